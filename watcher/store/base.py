"""Connection-level plumbing shared by the store's mixins: transactions, the clock, queries."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from watcher.errors import StoreError

__all__ = [
    "Clock",
    "StoreBase",
    "pack_text",
    "register_functions",
    "row_as",
    "unpack_text",
    "utcnow",
]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def pack_text(text: str) -> bytes:
    """A version's text as stored: zlib-compressed UTF-8 (policy text shrinks about 3×)."""
    return zlib.compress(text.encode("utf-8"), 6)


def unpack_text(value: str | bytes | None) -> str:
    """The text of a stored ``versions.text`` value (plain text in a store not migrated yet)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return zlib.decompress(value).decode("utf-8")


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the store's migrations and queries use: ``watcher_pack(text)`` and
    ``watcher_unpack(blob)`` (see ``pack_text``/``unpack_text``)."""
    conn.create_function(
        "watcher_pack",
        1,
        lambda v: v if v is None or isinstance(v, bytes) else pack_text(v),
        deterministic=True,
    )
    conn.create_function("watcher_unpack", 1, unpack_text, deterministic=True)


R = TypeVar("R")


def row_as(cls: type[R], row: Mapping[str, Any] | None) -> R | None:
    """A row dict as the frozen dataclass ``cls``, ignoring columns it does not name."""
    if row is None:
        return None
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in row.items() if k in names})


class StoreBase:
    def __init__(self, db: sqlite_utils.Database, path: Path, clock: Clock = utcnow) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path
        self.clock = clock

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. Nested calls are savepoints."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"数据库 {self.path} 正被另一个进程写入 ({exc})。请稍后重试。"
            ) from exc
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def now(self) -> str:
        """Current time as an ISO-8601 UTC string (the store's only time format)."""
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Rows as dicts, for read-only reporting code (web, digest)."""
        cur = self.conn.execute(sql, params)
        cols = [c[0] for c in cur.description or ()]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
