"""Test support: loopback servers and fixture builders shared by several test files."""
