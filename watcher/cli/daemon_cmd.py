"""Subcommands of this area (filled in by the area owner)."""

from __future__ import annotations

from watcher.cli._app import main, pass_app  # noqa: F401
