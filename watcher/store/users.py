"""Web accounts, their login sessions and the audit log (who did what, when).

Accounts hold an argon2 hash, never a password (hashing is the web layer's job; the store only
keeps the string). A session row is keyed by a hash of the id its cookie carries, so a copy of
the database does not hand out live sessions. Every change to an account and every login or
logout writes its audit row in the same transaction as the change itself; removing an account
or giving it a new password ends its sessions in that transaction too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watcher.store.base import StoreBase

__all__ = ["AuditRow", "SessionRow", "UserRow", "UsersMixin"]


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str  # editor | viewer
    password_hash: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class SessionRow:
    user_name: str
    fingerprint: str
    created_at: str
    expires_at: str
    ip: str | None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str
    ip: str | None


class UsersMixin(StoreBase):
    # ------------------------------------------------------------------ accounts

    def user(self, name: str) -> UserRow | None:
        rows = self.query("SELECT * FROM users WHERE name = ?", (name,))
        return UserRow(**rows[0]) if rows else None

    def users(self) -> list[UserRow]:
        return [UserRow(**r) for r in self.query("SELECT * FROM users ORDER BY role, name")]

    def save_user(self, name: str, role: str, password_hash: str, *, actor: str) -> bool:
        """Add the account, or give an existing one this role and password (its sessions end).
        True when the account is new."""
        with self.transaction():
            now = self.now()
            existed = self.user(name) is not None
            self.conn.execute(
                "INSERT INTO users(name, role, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET role = excluded.role, "
                "password_hash = excluded.password_hash, updated_at = excluded.updated_at",
                (name, role, password_hash, now, now),
            )
            if existed:
                self.conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            action = "user_updated" if existed else "user_added"
            self.record_audit(actor, action, target=name, detail=role)
        return not existed

    def remove_user(self, name: str, *, actor: str) -> bool:
        """Delete the account and end its sessions; False when there was no such account."""
        with self.transaction():
            gone = self.conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount
            if not gone:
                return False
            self.conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
            self.record_audit(actor, "user_removed", target=name)
        return True

    # ------------------------------------------------------------------ sessions

    def start_session(
        self,
        id_hash: str,
        *,
        user_name: str,
        fingerprint: str,
        expires_at: str,
        ip: str | None,
    ) -> None:
        """Record a login: the session row and its audit row; expired sessions are dropped."""
        with self.transaction():
            now = self.now()
            self.conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            self.conn.execute(
                "INSERT INTO sessions(id_hash, user_name, fingerprint, created_at, expires_at, ip)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (id_hash, user_name, fingerprint, now, expires_at, ip),
            )
            self.record_audit(user_name, "login", target=user_name, ip=ip)

    def session(self, id_hash: str) -> SessionRow | None:
        """The live session with this id hash (None once it expired or ended)."""
        rows = self.query(
            "SELECT user_name, fingerprint, created_at, expires_at, ip FROM sessions "
            "WHERE id_hash = ? AND expires_at > ?",
            (id_hash, self.now()),
        )
        return SessionRow(**rows[0]) if rows else None

    def end_session(self, id_hash: str, *, ip: str | None) -> bool:
        """Record a logout; False when the session had already ended."""
        with self.transaction():
            row = self.session(id_hash)
            self.conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))
            if row is None:
                return False
            self.record_audit(row.user_name, "logout", target=row.user_name, ip=ip)
        return True

    # ------------------------------------------------------------------ audit log

    def record_audit(
        self, actor: str, action: str, *, target: str = "", detail: str = "", ip: str | None = None
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO audit(at, actor, action, target, detail, ip) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.now(), actor, action, target, detail, ip),
            )

    def audit_log(self, *, limit: int = 200, actor: str | None = None) -> list[AuditRow]:
        """Newest first."""
        where, params = ("WHERE actor = ?", (actor,)) if actor else ("", ())
        rows: list[dict[str, Any]] = self.query(
            f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", (*params, limit)
        )
        return [AuditRow(**r) for r in rows]
