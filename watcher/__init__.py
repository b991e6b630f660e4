"""policy-watcher."""
