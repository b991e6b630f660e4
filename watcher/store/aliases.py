"""Identity decisions: which URL is a copy of which document, and why.

A page found at a new URL is merged into a document we hold when they share an identity key
(发文字号, 索引号 or title) *and* their titles agree; a shared number with a different title is
two documents. Every decision is written to ``alias_decisions`` with its reason and, for a
merge, the page it served, so that ``watcher documents --aliases`` can list them and
``watcher unmerge`` can split a wrong merge back into a document of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

from watcher.records import AliasDecisionRow, DocumentRow
from watcher.store.base import StoreBase, row_as
from watcher.text import identity
from watcher.text.clip import shorten

__all__ = ["AliasesMixin", "Page", "key_label"]


class Page(NamedTuple):
    """What a page served, kept with an identity decision (the merge may be undone)."""

    title: str
    text: str | None
    text_hash: str | None
    meta: Mapping[str, str]
    source_id: str | None
    level: str | None
    kind: str | None
    origin: str


def key_label(identity_key: str) -> str:
    """「发文字号 教职成〔2025〕2号」: the identity key as a reader names it."""
    kind, _, value = identity_key.partition(":")
    label = {"doc": "发文字号", "idx": "索引号", "title": "标题"}.get(kind, "标识")
    return f"{label} {value}"


class AliasesMixin(StoreBase):
    def alias_decisions(self, limit: int = 1000) -> list[AliasDecisionRow]:
        """Identity decisions, newest first."""
        rows = self.query(
            "SELECT id, url, document_id, other_document_id, decision, identity_key, reason, "
            "title, decided_at, undone_at, split_document_id FROM alias_decisions "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [AliasDecisionRow(**row) for row in rows]

    def document(self, document_id: int) -> DocumentRow | None:
        rows = self.query("SELECT * FROM documents WHERE id = ?", (document_id,))
        return row_as(DocumentRow, rows[0]) if rows else None

    def _twin(
        self, url: str, identity_key: str, title: str
    ) -> tuple[DocumentRow | None, str, DocumentRow | None]:
        """The document ``url`` is a copy of (an alias already decided, or the first document
        with the same identity key whose title agrees), why, and the first one refused because
        its title disagrees."""
        alias = self.conn.execute(
            "SELECT document_id FROM aliases WHERE url = ?", (url,)
        ).fetchone()
        if alias:
            return self.document(int(alias[0])), "", None
        undone = self.conn.execute(
            "SELECT 1 FROM alias_decisions WHERE url = ? AND decision = 'undone'", (url,)
        ).fetchone()
        if undone:  # a user split this page off: it is never merged again
            return None, "", None
        refused: DocumentRow | None = None
        for row in self.query(
            "SELECT * FROM documents WHERE identity_key = ? ORDER BY id", (identity_key,)
        ):
            candidate = row_as(DocumentRow, row)
            if candidate is None:
                continue
            if identity_key.startswith("title:"):
                return candidate, f"标题相同（「{candidate.title}」），视为同一文件的副本", None
            if identity.titles_agree(title, candidate.title):
                reason = (
                    f"{key_label(identity_key)}相同，标题一致："
                    f"「{shorten(title, 30)}」≈ #{candidate.id}「{shorten(candidate.title, 30)}」"
                )
                return candidate, reason, None
            refused = refused or candidate
        return None, "", refused

    def _log_merge(
        self, url: str, document_id: int, identity_key: str, reason: str, page: Page
    ) -> None:
        """Record a new merge with its reason, or refresh the page kept with an earlier one."""
        row = self.conn.execute(
            "SELECT id FROM alias_decisions WHERE url = ? AND decision = 'merged' "
            "ORDER BY id DESC LIMIT 1",
            (url,),
        ).fetchone()
        if row is None:
            self._log_decision(url, document_id, "merged", identity_key, reason, page)
            return
        self.conn.execute(
            "UPDATE alias_decisions SET title = ?, text = ?, text_hash = ?, meta_json = ? "
            "WHERE id = ?",
            (
                page.title,
                page.text,
                page.text_hash,
                json.dumps(page.meta, ensure_ascii=False),
                row[0],
            ),
        )

    def _log_decision(
        self,
        url: str,
        document_id: int,
        decision: str,
        identity_key: str,
        reason: str,
        page: Page,
        *,
        other: int | None = None,
    ) -> None:
        self.conn.execute(
            "INSERT INTO alias_decisions(url, document_id, other_document_id, decision, "
            "identity_key, reason, title, text, text_hash, meta_json, source_id, level, kind, "
            "origin, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                url,
                document_id,
                other,
                decision,
                identity_key,
                reason,
                page.title,
                page.text,
                page.text_hash,
                json.dumps(dict(page.meta), ensure_ascii=False),
                page.source_id,
                page.level,
                page.kind,
                page.origin,
                self.now(),
            ),
        )
