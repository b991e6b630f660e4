"""What the analysis found, stored: version diffs (changes), lineage links, comparisons of a
plan with its parent, and the weekly research directions. Every read returns the values of
``models`` (through ``serialize``), never a JSON column.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from watcher.models import Comparison, Direction, SectionChange
from watcher.records import ChangeRow, ComparisonRow, LinkRow
from watcher.serialize import (
    changes_from_json,
    changes_to_json,
    comparison_from_json,
    comparison_to_json,
    evidence_from_json,
    evidence_to_json,
)
from watcher.store.base import StoreBase

__all__ = ["FindingsMixin", "link_row"]


def _change(row: Mapping[str, Any]) -> ChangeRow:
    return ChangeRow(
        id=int(row["id"]),
        document_id=int(row["document_id"]),
        old_version_id=int(row["old_version_id"]),
        new_version_id=int(row["new_version_id"]),
        created_at=str(row["created_at"]),
        substantive=bool(row["substantive"]),
        flip_flop=bool(row["flip_flop"]),
        changes=changes_from_json(json.loads(row["diff_json"])),
    )


def link_row(row: Mapping[str, Any]) -> LinkRow:
    """A ``links`` row as a value."""
    return LinkRow(
        id=int(row["id"]),
        child_id=int(row["child_id"]),
        parent_id=None if row["parent_id"] is None else int(row["parent_id"]),
        relation=str(row["relation"]),
        cited_title=str(row["cited_title"]),
        evidence=str(row["evidence"]),
        doc_number=row["doc_number"],
        created_at=str(row["created_at"]),
    )


def _comparison(row: Mapping[str, Any]) -> ComparisonRow:
    return ComparisonRow(
        id=int(row["id"]),
        new_document_id=int(row["new_document_id"]),
        old_document_id=int(row["old_document_id"]),
        new_version_id=int(row["new_version_id"]),
        old_version_id=int(row["old_version_id"]),
        created_at=str(row["created_at"]),
        comparison=comparison_from_json(json.loads(row["result_json"])),
    )


class FindingsMixin(StoreBase):
    # ------------------------------------------------------------------ changes

    def add_change(
        self,
        document_id: int,
        old_version_id: int,
        new_version_id: int,
        *,
        changes: Sequence[SectionChange],
        flip_flop: bool = False,
    ) -> int:
        """Record the diff between two versions; a flip-flop (back to an earlier text) is
        recorded without changes and never counts as substantive."""
        substantive = bool(changes) and not flip_flop
        with self.transaction():
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO changes(document_id, old_version_id, new_version_id, "
                "created_at, substantive, flip_flop, diff_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    document_id,
                    old_version_id,
                    new_version_id,
                    self.now(),
                    int(substantive),
                    int(flip_flop),
                    json.dumps(changes_to_json([] if flip_flop else changes), ensure_ascii=False),
                ),
            )
        return int(cur.lastrowid or 0)

    def changes(
        self, *, since: str | None = None, document_id: int | None = None
    ) -> list[ChangeRow]:
        sql, params = "SELECT * FROM changes WHERE 1 = 1", []
        if since:
            sql += " AND created_at >= ?"
            params.append(since)
        if document_id is not None:
            sql += " AND document_id = ?"
            params.append(str(document_id))
        return [_change(r) for r in self.query(sql + " ORDER BY id", tuple(params))]

    # ------------------------------------------------------------------ lineage links

    def add_link(
        self,
        child_id: int,
        *,
        relation: str,
        cited_title: str,
        evidence: str,
        parent_id: int | None = None,
        doc_number: str | None = None,
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO links(child_id, parent_id, relation, cited_title, evidence, doc_number, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(child_id, relation, cited_title) DO UPDATE SET "
                "parent_id = COALESCE(excluded.parent_id, links.parent_id), evidence = excluded.evidence",
                (child_id, parent_id, relation, cited_title, evidence, doc_number, self.now()),
            )
            if parent_id is not None:
                self.conn.execute(
                    "UPDATE documents SET parent_id = ? WHERE id = ? AND parent_id IS NULL",
                    (parent_id, child_id),
                )

    def links(self, *, child_id: int | None = None, parent_id: int | None = None) -> list[LinkRow]:
        if child_id is not None:
            rows = self.query("SELECT * FROM links WHERE child_id = ? ORDER BY id", (child_id,))
        elif parent_id is not None:
            rows = self.query("SELECT * FROM links WHERE parent_id = ? ORDER BY id", (parent_id,))
        else:
            rows = self.query("SELECT * FROM links ORDER BY id")
        return [link_row(r) for r in rows]

    def unresolved_links(self) -> list[LinkRow]:
        return [
            link_row(r)
            for r in self.query("SELECT * FROM links WHERE parent_id IS NULL ORDER BY id")
        ]

    # ------------------------------------------------------------------ comparisons

    def add_comparison(
        self,
        *,
        new_document_id: int,
        old_document_id: int,
        new_version_id: int,
        old_version_id: int,
        comparison: Comparison,
    ) -> tuple[int, bool]:
        """Store a comparison; returns (id, created) — not created when already stored."""
        with self.transaction():
            existing = self.conn.execute(
                "SELECT id FROM comparisons WHERE new_version_id = ? AND old_version_id = ?",
                (new_version_id, old_version_id),
            ).fetchone()
            if existing:
                return int(existing[0]), False
            cur = self.conn.execute(
                "INSERT INTO comparisons(new_document_id, old_document_id, new_version_id, "
                "old_version_id, created_at, summary_json, result_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    new_document_id,
                    old_document_id,
                    new_version_id,
                    old_version_id,
                    self.now(),
                    json.dumps(dict(comparison.summary), ensure_ascii=False),
                    json.dumps(comparison_to_json(comparison), ensure_ascii=False),
                ),
            )
        return int(cur.lastrowid or 0), True

    def comparisons(
        self, *, new_document_id: int | None = None, since: str | None = None
    ) -> list[ComparisonRow]:
        """Stored comparisons, newest first."""
        sql, params = "SELECT * FROM comparisons WHERE 1 = 1", []
        if new_document_id is not None:
            sql += " AND new_document_id = ?"
            params.append(str(new_document_id))
        if since:
            sql += " AND created_at >= ?"
            params.append(since)
        return [_comparison(r) for r in self.query(sql + " ORDER BY id DESC", tuple(params))]

    # ------------------------------------------------------------------ research directions

    def save_directions(self, period: str, directions: Sequence[Direction]) -> None:
        """Replace the stored ranking for ``period`` (an ISO week)."""
        with self.transaction():
            self.conn.execute("DELETE FROM directions WHERE period = ?", (period,))
            for rank, d in enumerate(directions, 1):
                self.conn.execute(
                    "INSERT INTO directions(period, rank, direction, score, terms_json, evidence_json, "
                    "created_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        period,
                        rank,
                        d.direction,
                        d.score,
                        json.dumps(list(d.terms), ensure_ascii=False),
                        json.dumps(evidence_to_json(d.evidence), ensure_ascii=False),
                        self.now(),
                        d.reason,
                    ),
                )

    def directions(self, period: str) -> list[Direction]:
        rows = self.query("SELECT * FROM directions WHERE period = ? ORDER BY rank", (period,))
        return [
            Direction(
                direction=r["direction"],
                terms=tuple(json.loads(r["terms_json"])),
                score=float(r["score"]),
                evidence=evidence_from_json(json.loads(r["evidence_json"])),
                reason=str(r["reason"] or ""),
            )
            for r in rows
        ]

    def latest_directions_period(self) -> str | None:
        """The newest period that has a stored ranking."""
        row = self.conn.execute("SELECT MAX(period) FROM directions").fetchone()
        return str(row[0]) if row and row[0] else None
