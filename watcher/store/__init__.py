"""The SQLite store: the only place with SQL.

One file (``store/watcher.db`` by default) in WAL mode, migrated on open. Writes go through
``Store.transaction()`` (``BEGIN IMMEDIATE`` at the top level, savepoints inside), so a crash in
the middle of a cycle leaves either all or none of a document's version, change, links and
alerts. sqlite-utils supplies table helpers and nested ``atomic()`` savepoints; the connection
is opened in autocommit mode so that no statement ever opens a transaction implicitly.

A ``Store`` belongs to one thread: the daemon opens one per worker thread.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import sqlite_utils

from watcher.errors import StoreError
from watcher.netloc import host_of, is_loopback_host
from watcher.records import (
    ChangeRow,
    ComparisonRow,
    DocumentRow,
    LinkRow,
    SourceRow,
    VersionResult,
    VersionRow,
)
from watcher.store.base import Clock, register_functions, storage_error, utcnow
from watcher.store.digests import DigestsMixin
from watcher.store.documents import DocumentsMixin
from watcher.store.findings import FindingsMixin
from watcher.store.lists import ListPage, ListPagesMixin
from watcher.store.outbox import OutboxMixin
from watcher.store.schema import MIGRATIONS
from watcher.store.terms import TermsMixin
from watcher.store.titles import TitleKeysMixin
from watcher.store.users import AuditRow, SessionRow, UserRow, UsersMixin

__all__ = [
    "AuditRow",
    "ChangeRow",
    "ComparisonRow",
    "DocumentRow",
    "LinkRow",
    "ListPage",
    "SessionRow",
    "SourceRow",
    "Store",
    "UserRow",
    "VersionResult",
    "VersionRow",
    "utcnow",
]


class Store(
    DocumentsMixin,
    FindingsMixin,
    OutboxMixin,
    DigestsMixin,
    TermsMixin,
    UsersMixin,
    ListPagesMixin,
    TitleKeysMixin,
):
    """Typed access to the store. Open with ``Store.open(path)``."""

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, path: str | Path, *, clock: Clock = utcnow, create: bool = True) -> Store:
        """Open (and migrate) the store; ``create=False`` refuses a missing file instead of
        starting an empty one (the daemon and ``health`` must notice a deleted store)."""
        p = Path(path)
        if not create and not p.is_file():
            raise StoreError(
                f"数据库文件 {p} 不存在（已被删除或移走？）。请恢复该文件，或检查 --store / "
                "WATCHER_STORE 指向的位置。"
            )
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(p), isolation_level=None, timeout=30.0, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            register_functions(conn)
            db = sqlite_utils.Database(conn, execute_plugins=False)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"无法打开数据库 {p}: {exc}。请检查路径是否可写，或用 --store 指定其他位置。"
            ) from exc
        store = cls(db, p, clock)
        store.migrate()
        return store

    @classmethod
    def open_readonly(cls, path: str | Path, *, clock: Clock = utcnow) -> Store:
        """Open for reading only, never writing a byte: the web UI's view of a store that the
        daemon writes, possibly through a read-only mount.

        ``mode=ro`` reads a live WAL store even when the directory is read-only, as long as the
        writer keeps its ``-wal``/``-shm`` files there (SQLite ≥ 3.22). When no writer is
        running (no ``-wal``) and the directory is not writable, SQLite cannot create them;
        then nothing can change the file and it is opened ``immutable``."""
        p = Path(path).absolute()
        if not p.is_file():
            raise StoreError(
                f"数据库文件 {p} 不存在。请先运行 watcher check 或守护进程，或用 --store 指定位置。"
            )
        wal = Path(f"{p}-wal")
        immutable = not wal.exists() and not os.access(p.parent, os.W_OK)
        uri = f"file:{quote(str(p))}?" + ("immutable=1" if immutable else "mode=ro")
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=5000")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise storage_error(p, exc) from exc
        if version != len(MIGRATIONS):
            conn.close()
            raise StoreError(
                f"数据库 {p} 的版本 ({version}) 与本程序 ({len(MIGRATIONS)}) 不一致。"
                "请用同一版本的 policy-watcher 运行守护进程（它会升级数据库）后再打开网页。"
            )
        return cls(sqlite_utils.Database(conn, execute_plugins=False), p, clock)

    @staticmethod
    def file_identity(path: str | Path) -> str | None:
        """``device:inode`` of the store file (None when it is missing): a deleted or replaced
        file has another identity even under the same name."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        return f"{st.st_dev}:{st.st_ino}"

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def migrate(self) -> None:
        try:
            version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"数据库 {self.path} 的版本 ({version}) 比本程序新 ({len(MIGRATIONS)})。"
                    "请升级 policy-watcher 后再打开它。"
                )
            for number in range(version, len(MIGRATIONS)):
                with self.transaction():
                    # another process may have migrated since the read above: BEGIN IMMEDIATE
                    # holds the write lock now, so this second read is the true one
                    if int(self.conn.execute("PRAGMA user_version").fetchone()[0]) > number:
                        continue
                    for statement in _statements(MIGRATIONS[number]):
                        self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version={number + 1}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"数据库 {self.path} 无法升级: {exc}。文件可能已损坏；请从备份恢复或换一个 --store。"
            ) from exc

    # ------------------------------------------------------------------ meta / heartbeat

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def mark_demo(self) -> None:
        """Record that this store holds the demo's data, so a later demo may rebuild it."""
        self.set_meta("demo_store", "1")

    def holds_only_demo_data(self) -> bool:
        """True for a store the demo made (or an empty one); False for anything a user stored.

        Stores made by the demo before it marked them are recognised by their documents all
        coming from loopback addresses, which real sources never fetch from."""
        if self.get_meta("demo_store") == "1":
            return True
        urls = [str(r["url"]) for r in self.query("SELECT url FROM documents")]
        for row in self.query("SELECT config_json FROM sources"):
            urls += _URL.findall(str(row["config_json"]))
        return all(is_loopback_host(host_of(u)) for u in urls)

    def heartbeat(self) -> None:
        self.set_meta("heartbeat", self.now())

    def last_heartbeat(self) -> datetime | None:
        value = self.get_meta("heartbeat")
        return datetime.fromisoformat(value) if value else None

    def check_writable(self) -> None:
        """Raise StoreError (saying what to do) unless a write can be committed right now."""
        self.set_meta("write_probe", self.now())

    def vacuum(self) -> None:
        """Merge the FTS segments, checkpoint the WAL and compact the file (housekeeping; never
        inside a transaction). FTS5 keeps replaced documents' postings until segments merge:
        bench_store measured the file 1.52× smaller after this."""
        self.conn.execute("INSERT INTO search(search) VALUES ('optimize')")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute("VACUUM")

    def save_copy(self, target: str | Path) -> None:
        """Write a consistent copy of this store to ``target`` (SQLite's online backup), also
        when the file this connection opened has since been deleted."""
        try:
            dst = sqlite3.connect(str(target))
            try:
                self.conn.backup(dst)
            finally:
                dst.close()
        except sqlite3.Error as exc:
            raise storage_error(Path(target), exc) from exc

    def integrity_ok(self) -> bool:
        row = self.conn.execute("PRAGMA integrity_check").fetchone()
        return bool(row) and row[0] == "ok"


_URL = re.compile(r"https?://[^\s\"'<>]+")


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our DDL strings)."""
    return [s.strip() for s in script.split(";") if s.strip() and not _only_comments(s)]


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in chunk.splitlines())
