"""Full-text search over each document's current version.

The index is a contentless trigram FTS5 table (rowid = document id) without positions
(``detail=none``): it keeps which documents hold each trigram, not the text and not where, so it
is a seventh of a positional index and the text is not stored twice. A query finds the
documents holding all its trigrams, best ranked first, and keeps those whose current title or
text really contains it; a query shorter than a trigram scans the current versions.
"""

from __future__ import annotations

from watcher.records import DocumentRow, VersionRow
from watcher.store.base import StoreBase, row_as, unpack_text

__all__ = ["SearchMixin"]


class SearchMixin(StoreBase):
    def _index(
        self, document_id: int, title: str, text: str, replaces: VersionRow | None = None
    ) -> None:
        """Index the document's current version. A contentless FTS5 row is removed by giving
        back the values it was indexed with: those of the version it ``replaces``."""
        if replaces is not None:
            self.conn.execute(
                "INSERT INTO search(search, rowid, title, text) VALUES ('delete', ?, ?, ?)",
                (document_id, replaces.title, replaces.text),
            )
        self.conn.execute(
            "INSERT INTO search(rowid, title, text) VALUES (?, ?, ?)", (document_id, title, text)
        )

    def search(self, q: str, limit: int = 50) -> list[DocumentRow]:
        """Full-text search; the trigram index for 3+ characters, a scan for shorter queries.

        The index keeps which documents hold each trigram, not where (``detail=none``: a
        seventh of the size), so a longer query finds the documents holding all its trigrams,
        best ranked first, and keeps those whose current title or text really contains it.
        Control characters (a NUL from ``q=%00``) are never in stored text and are dropped."""
        q = "".join(c for c in q if c >= " " or c in "\t\n").strip()
        if not q:
            return []
        if len(q) >= 3:
            grams = dict.fromkeys(q[i : i + 3] for i in range(len(q) - 2))
            match = " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)
            cur = self.conn.execute(
                "SELECT rowid FROM search WHERE search MATCH ? ORDER BY rank", (match,)
            )
            ids = []
            for (doc_id,) in cur:
                if len(grams) == 1 or self._contains(int(doc_id), q):
                    ids.append(doc_id)
                    if len(ids) >= limit:
                        break
            cur.close()
        else:
            like = f"%{q}%"
            ids = [
                r[0]
                for r in self.conn.execute(
                    "SELECT d.id FROM documents d JOIN versions v ON v.id = d.current_version_id "
                    "WHERE v.title LIKE ? OR watcher_unpack(v.text) LIKE ? ORDER BY d.id LIMIT ?",
                    (like, like, limit),
                )
            ]
        return self._documents_in_order([int(i) for i in ids])

    def _contains(self, document_id: int, q: str) -> bool:
        """Whether the document's current title or text contains ``q`` (case folded, as the
        trigram index folds it)."""
        row = self.conn.execute(
            "SELECT v.title, v.text FROM documents d JOIN versions v ON v.id = d.current_version_id "
            "WHERE d.id = ?",
            (document_id,),
        ).fetchone()
        if row is None:
            return False
        title, text = str(row[0]), unpack_text(row[1])
        if q.lower() == q.upper():  # nothing to fold (Chinese): a plain substring test
            return q in title or q in text
        needle = q.lower()
        return needle in title.lower() or needle in text.lower()

    def _documents_in_order(self, ids: list[int]) -> list[DocumentRow]:
        found: list[DocumentRow] = []
        for doc_id in ids:
            rows = self.query("SELECT * FROM documents WHERE id = ?", (doc_id,))
            if rows and (doc := row_as(DocumentRow, rows[0])) is not None:
                found.append(doc)
        return found
