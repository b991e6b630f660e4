"""Accounts of the web UI: editors and viewers, their argon2 password hashes, the account the
environment may define, and the login throttle.

Accounts live in the store (``watcher user add``); one more may come from the environment
(``WATCHER_WEB_USER`` / ``WATCHER_WEB_PASSWORD``, the variables the Basic-auth UI used, with
``WATCHER_WEB_ROLE`` = editor by default). Passwords are hashed with argon2id through
argon2-cffi; a plain password in the environment is turned into an argon2 hash when the app
starts (with a salt fixed per account name, so its sessions survive a restart) and is never
stored. The throttle is per account name and client address and runs on an injected clock.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import argon2
from argon2.low_level import Type, hash_secret

from watcher.errors import AccountError

__all__ = [
    "ROLES",
    "ROLE_LABEL",
    "Account",
    "LoginThrottle",
    "check_name",
    "check_role",
    "env_account",
    "hash_password",
    "verify_password",
]

ROLES = ("editor", "viewer")
ROLE_LABEL = {"editor": "编辑", "viewer": "查看者"}
MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w.@-]{1,64}$")
_HASHER = argon2.PasswordHasher()  # RFC 9106 low-memory profile: argon2id, 64 MiB, t=3, p=4
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY = _HASHER.hash("policy-watcher: no such account")
_MAX_RECORDS = 10_000


@dataclass(frozen=True)
class Account:
    name: str
    role: str  # editor | viewer
    password_hash: str
    origin: str = "store"  # store | env

    @property
    def is_editor(self) -> bool:
        return self.role == "editor"

    @property
    def fingerprint(self) -> str:
        """Changes with the password: a session made under another password is void."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise AccountError(
            f"用户名 {name!r} 不可用：请用 1–64 个字母、数字、汉字或 . _ @ -，不要有空格。"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"角色 {role!r} 不存在：只能是 editor（编辑）或 viewer（查看者）。")
    return role


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of a new password; refuses one that is too short."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"口令太短：至少需要 {MIN_PASSWORD} 个字符。")
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing account (None) takes as long and fails."""
    try:
        return _HASHER.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def env_account(environ: Mapping[str, str]) -> Account | None:
    """The account ``WATCHER_WEB_USER`` / ``WATCHER_WEB_PASSWORD`` (/ ``WATCHER_WEB_ROLE``)
    define, or None. The password may be given as an argon2 hash (``$argon2id$…``)."""
    name, password = environ.get("WATCHER_WEB_USER"), environ.get("WATCHER_WEB_PASSWORD")
    if not name or not password:
        return None
    name = check_name(name)
    role = check_role(environ.get("WATCHER_WEB_ROLE") or "editor")
    if password.startswith("$argon2"):
        return Account(name, role, password, origin="env")
    p = _HASHER
    salt = hashlib.sha256(f"policy-watcher env account {name}".encode()).digest()[:16]
    encoded = hash_secret(
        password.encode(),
        salt,
        time_cost=p.time_cost,
        memory_cost=p.memory_cost,
        parallelism=p.parallelism,
        hash_len=p.hash_len,
        type=Type.ID,
    )
    return Account(name, role, encoded.decode("ascii"), origin="env")


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Slows down guessing: after ``free`` wrong passwords in a row for one (name, address), the
    next try must wait ``base`` seconds, doubling with every further failure up to ``cap``. A
    success clears the record; records older than a day are forgotten. Thread-safe (the pages
    run in worker threads); kept in memory, so it is per process and a restart clears it."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        free: int = 5,
        base: float = 60.0,
        cap: float = 3600.0,
        forget: float = 86400.0,
    ) -> None:
        self.clock, self.free, self.base, self.cap, self.forget = clock, free, base, cap, forget
        self._records: dict[tuple[str, str], _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(name: str, address: str) -> tuple[str, str]:
        return (name.strip().casefold(), address)

    def wait_seconds(self, key: tuple[str, str]) -> int:
        """Whole seconds to wait before this key may try again (0: go ahead)."""
        with self._lock:
            rec = self._records.get(key)
            if rec is None or rec.count < self.free:
                return 0
            delay = min(self.cap, self.base * 2 ** (rec.count - self.free))
            remaining = rec.last + delay - self.clock().timestamp()
            return max(0, int(remaining + 0.999))

    def failed(self, key: tuple[str, str]) -> None:
        now = self.clock().timestamp()
        with self._lock:
            stale = [k for k, r in self._records.items() if now - r.last > self.forget]
            if len(self._records) - len(stale) > _MAX_RECORDS:  # a spray of names: keep the newest
                by_age = sorted(self._records, key=lambda k: self._records[k].last)
                stale = by_age[: len(by_age) // 2]
            for k in stale:
                del self._records[k]
            rec = self._records.setdefault(key, _Failures(0, now))
            rec.count += 1
            rec.last = now

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._records.pop(key, None)
