"""Alerts and their deliveries: the transactional outbox.

``add_alert`` writes an alert and one pending delivery per channel in the caller's transaction,
so an alert exists exactly when the change that caused it does. The delivery worker claims due
deliveries, sends them, and records the outcome; a delivery a channel acknowledged is ``sent``
and never picked again. Channel keys are hashes of the URL: secrets never reach the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from watcher.models import Alert
from watcher.store.base import StoreBase

__all__ = ["OutboxMixin"]


class OutboxMixin(StoreBase):
    def add_alert(self, alert: Alert, channels: Sequence[tuple[str, str]] = ()) -> int | None:
        """Insert ``alert`` with a pending delivery per ``(channel_key, label)``.

        Returns the new alert id, or None when an alert with the same dedupe key exists
        (a re-run never repeats an alert).
        """
        now = self.now()
        with self.transaction():
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO alerts(dedupe_key, kind, severity, title, body, url, "
                "source_id, document_id, evidence_json, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    alert.dedupe_key,
                    alert.kind,
                    alert.severity,
                    alert.title,
                    alert.body,
                    alert.url,
                    alert.source_id,
                    alert.document_id,
                    json.dumps([asdict(e) for e in alert.evidence], ensure_ascii=False),
                    now,
                ),
            )
            if cur.rowcount == 0:
                return None
            alert_id = int(cur.lastrowid or 0)
            for key, label in channels:
                self.conn.execute(
                    "INSERT OR IGNORE INTO deliveries(alert_id, channel, channel_label, status, "
                    "next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)",
                    (alert_id, key, label, now, now),
                )
        return alert_id

    def resolve_alerts(self, prefix: str) -> int:
        """Mark open alerts whose dedupe key starts with ``prefix`` as resolved."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE alerts SET resolved_at = ? WHERE dedupe_key LIKE ? AND resolved_at IS NULL",
                (self.now(), prefix.replace("%", r"\%") + "%"),
            )
        return cur.rowcount

    def alerts(
        self, *, status: str | None = None, since: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Alerts newest first, each with its deliveries. ``status``: pending | failed | None."""
        sql, params = "SELECT * FROM alerts WHERE 1 = 1", []
        if since:
            sql += " AND created_at >= ?"
            params.append(since)
        if status == "pending":
            sql += (
                " AND id IN (SELECT alert_id FROM deliveries "
                "WHERE status IN ('pending', 'sending'))"
            )
        elif status == "failed":
            sql += (
                " AND id IN (SELECT alert_id FROM deliveries "
                "WHERE status = 'dead' OR (status = 'pending' AND attempts > 0))"
            )
        rows = self.query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        for row in rows:
            row["evidence"] = json.loads(row.pop("evidence_json"))
            row["deliveries"] = self.query(
                "SELECT id, channel, channel_label, status, attempts, next_attempt_at, last_error, "
                "sent_at FROM deliveries WHERE alert_id = ? ORDER BY id",
                (row["id"],),
            )
        return rows

    def due_deliveries(
        self, now: str, *, include_backoff: bool = False, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Pending deliveries whose time has come (or all pending with ``include_backoff``)."""
        sql = (
            "SELECT d.*, a.dedupe_key, a.kind, a.severity, a.title, a.body, a.url, a.created_at "
            "AS alert_created_at, a.evidence_json FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
            "WHERE d.status IN ('pending', 'sending')"
        )
        params: list[Any] = []
        if not include_backoff:
            sql += " AND d.next_attempt_at <= ?"
            params.append(now)
        rows = self.query(sql + " ORDER BY d.id LIMIT ?", (*params, limit))
        for row in rows:
            row["evidence"] = json.loads(row.pop("evidence_json"))
            row["progress"] = json.loads(row.pop("progress_json") or "[]")
        return rows

    def record_progress(self, delivery_id: int, done: Sequence[str]) -> None:
        """Store the acknowledged parts of a delivery (recipients, message parts) at once."""
        with self.transaction():
            self.conn.execute(
                "UPDATE deliveries SET progress_json = ? WHERE id = ?",
                (json.dumps(sorted(done), ensure_ascii=False), delivery_id),
            )

    def mark_delivery(
        self,
        delivery_id: int,
        *,
        status: str,
        next_attempt_at: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record a delivery outcome. ``status``: sending | sent | pending (retry) | dead."""
        now = self.now()
        with self.transaction():
            if status == "sending":
                self.conn.execute(
                    "UPDATE deliveries SET status = 'sending' WHERE id = ? AND status != 'sent'",
                    (delivery_id,),
                )
            elif status == "sent":
                self.conn.execute(
                    "UPDATE deliveries SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                    "last_error = NULL WHERE id = ?",
                    (now, delivery_id),
                )
            else:
                self.conn.execute(
                    "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, "
                    "next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ? AND status != 'sent'",
                    (status, error, next_attempt_at, delivery_id),
                )

    def defer_deliveries(self, delivery_ids: Sequence[int], next_attempt_at: str) -> None:
        """Postpone deliveries without counting an attempt (their channel just failed)."""
        with self.transaction():
            self.conn.executemany(
                "UPDATE deliveries SET status = 'pending', next_attempt_at = ? "
                "WHERE id = ? AND status != 'sent'",
                [(next_attempt_at, i) for i in delivery_ids],
            )

    def delivery_counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT status, COUNT(*) FROM deliveries GROUP BY status"
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}
