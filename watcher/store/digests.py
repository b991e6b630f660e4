"""Weekly digests (one row per ISO week) and the read-only weekly figures the digest reports.

``save_digest`` is an upsert: rebuilding a week overwrites its Markdown/HTML/DOCX and keeps the
first ``created_at`` and ``mailed_at``, so an identical rebuild leaves an identical row.
"""

from __future__ import annotations

from typing import Any

from watcher.store.base import StoreBase

__all__ = ["DigestsMixin"]


class DigestsMixin(StoreBase):
    def save_digest(
        self,
        *,
        week: str,
        issue: int,
        total: int,
        markdown: str,
        html: str,
        docx: bytes | None,
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO digests(week, issue, total, created_at, markdown, html, docx) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(week) DO UPDATE SET "
                "issue = excluded.issue, total = excluded.total, markdown = excluded.markdown, "
                "html = excluded.html, docx = excluded.docx",
                (week, issue, total, self.now(), markdown, html, docx),
            )

    def get_digest(self, week: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM digests WHERE week = ?", (week,))
        return rows[0] if rows else None

    def list_digests(self, limit: int = 100) -> list[dict[str, Any]]:
        """Digests newest week first, without their bodies."""
        return self.query(
            "SELECT week, issue, total, created_at, mailed_at FROM digests "
            "ORDER BY week DESC LIMIT ?",
            (limit,),
        )

    def mark_digest_mailed(self, week: str) -> None:
        with self.transaction():
            self.conn.execute("UPDATE digests SET mailed_at = ? WHERE week = ?", (self.now(), week))

    # ------------------------------------------------------------------ weekly figures

    def fetch_failures_between(self, start: str, end: str) -> list[dict[str, Any]]:
        """Per source: failed fetch attempts in [start, end), the source name and last error."""
        return self.query(
            "SELECT f.source_id, COALESCE(s.name, f.source_id, '') AS name, COUNT(*) AS failures, "
            "(SELECT f2.error FROM fetches f2 WHERE f2.source_id IS f.source_id AND f2.at >= ? "
            " AND f2.at < ? AND f2.outcome NOT IN ('ok', 'not_modified') ORDER BY f2.id DESC "
            " LIMIT 1) AS last_error "
            "FROM fetches f LEFT JOIN sources s ON s.id = f.source_id "
            "WHERE f.at >= ? AND f.at < ? AND f.outcome NOT IN ('ok', 'not_modified') "
            "GROUP BY f.source_id ORDER BY failures DESC, f.source_id",
            (start, end, start, end),
        )

    def undelivered_between(self, start: str, end: str) -> list[dict[str, Any]]:
        """Deliveries of alerts created in [start, end) that are dead or still waiting."""
        return self.query(
            "SELECT a.title, d.channel_label, d.status, d.attempts, d.last_error "
            "FROM deliveries d JOIN alerts a ON a.id = d.alert_id "
            "WHERE a.created_at >= ? AND a.created_at < ? AND d.status != 'sent' "
            "ORDER BY d.status, a.id, d.id",
            (start, end),
        )
