"""Advisory per-store process locks (``fcntl.flock``): one cycle and one delivery run at a time.

The kernel drops a lock when its process dies, even by ``kill -9``, so a crashed run never
blocks the next one; a second live process is refused at once instead of interleaving with the
first (two delivery workers would otherwise both send the same pending alert).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from watcher.errors import StoreError

__all__ = ["store_lock"]


@contextmanager
def store_lock(store_path: Path, purpose: str, busy_message: str) -> Iterator[None]:
    """Hold ``<store>.<purpose>.lock`` for the block; StoreError(busy_message) when taken."""
    lock_path = Path(f"{store_path}.{purpose}.lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as exc:
        raise StoreError(
            f"无法创建锁文件 {lock_path}（{exc.strerror}）。数据库所在目录必须可写："
            "请检查磁盘空间、挂载方式（是否只读）和目录权限，或用 --store 指定可写的位置。"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(busy_message) from None
        yield
    finally:
        os.close(fd)
