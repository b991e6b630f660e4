"""Command-line entry point. Importing the area modules registers their subcommands."""

from watcher.cli import (  # noqa: F401  (imported for their @main.command side effects)
    alerts_cmd,
    compare_cmd,
    daemon_cmd,
    directions_cmd,
    documents_cmd,
    ingest_cmd,
    text_cmd,
    user_cmd,
    web_cmd,
)
from watcher.cli._app import main

__all__ = ["main"]
