"""Connection-level plumbing shared by the store's mixins: transactions, the clock, queries."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
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
    "storage_error",
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


def storage_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """One Chinese line for what SQLite said, with what to do about it."""
    text = str(exc)
    if "full" in text:
        advice = "磁盘已满：请清理数据库所在磁盘的空间；守护进程会暂停写入并稍后自动重试。"
    elif "readonly" in text or "read-only" in text:
        advice = "数据库是只读的：请检查挂载方式（是否 :ro）和文件权限；网页界面只读即可，守护进程必须可写。"
    elif "locked" in text or "busy" in text:
        advice = "数据库正被另一个进程写入：请稍后重试。"
    elif "unable to open" in text or "disk I/O" in text:
        advice = "无法读写数据库文件：请检查文件是否还在、磁盘是否正常、目录权限是否正确。"
    elif "malformed" in text or "not a database" in text:
        advice = "文件已损坏或不是数据库：请从备份恢复，或用 --store 换一个位置。"
    else:
        advice = "请检查磁盘和文件权限后重试。"
    return StoreError(f"数据库 {path} 出错（{text}）。{advice}")


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
        except sqlite3.Error as exc:
            raise storage_error(self.path, exc) from exc
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                with suppress(sqlite3.Error):  # SQLite may have rolled back already (disk full)
                    self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise storage_error(self.path, exc) from exc
            raise

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
