"""The title-key index for lineage: each document's title keys (computed by the pipeline from
``analysis.lineage``) and each unresolved link's cited key, so that finding a new document's
parents and the documents that cited it before it arrived are lookups, not a pass in Python
over every stored title and every unresolved link.

Keys are derived data: rows whose title changed or that were made by another keyer are made
again (``titles_to_key``), so a store of any age gets its index on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from watcher.records import LinkRow
from watcher.store.base import StoreBase
from watcher.store.findings import link_row

__all__ = ["TitleKeysMixin"]

_KEYER = "title_keys_keyer"


class TitleKeysMixin(StoreBase):
    def titles_to_key(self, keyer: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        """(document id, title) of documents without current keys, and (link id, cited title)
        of unresolved links without a key; everything when ``keyer`` differs from the one that
        made the stored keys."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (_KEYER,)).fetchone()
        if row is None or row[0] != keyer:
            with self.transaction():
                self.conn.execute("DELETE FROM title_keys")
                self.conn.execute("DELETE FROM link_keys")
                self.conn.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (_KEYER, keyer),
                )
        docs = self.conn.execute(
            "SELECT d.id, d.title FROM documents d LEFT JOIN title_keys k ON k.document_id = d.id "
            "WHERE k.document_id IS NULL OR k.title IS NOT d.title"
        ).fetchall()
        links = self.conn.execute(
            "SELECT l.id, l.cited_title FROM links l LEFT JOIN link_keys k ON k.link_id = l.id "
            "WHERE l.parent_id IS NULL AND k.link_id IS NULL"
        ).fetchall()
        return [(int(i), str(t)) for i, t in docs], [(int(i), str(t)) for i, t in links]

    def save_title_keys(
        self,
        documents: Iterable[tuple[int, str, str, str]],
        links: Iterable[tuple[int, str]] = (),
    ) -> None:
        """Keep (document id, title, title key, series key) rows and (link id, cited key) rows."""
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO title_keys(document_id, title, title_key, series_key) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(document_id) DO UPDATE SET "
                "title = excluded.title, title_key = excluded.title_key, "
                "series_key = excluded.series_key",
                list(documents),
            )
            self.conn.executemany(
                "INSERT OR REPLACE INTO link_keys(link_id, cited_key) VALUES (?, ?)", list(links)
            )

    def titled_candidates(
        self, keys: Sequence[str], containing: Sequence[str], series: str | None
    ) -> list[tuple[int, str, str | None]]:
        """(id, title, level) of documents, in id order, whose title key is one of ``keys`` or
        contains one of ``containing``, or whose series key is ``series``."""
        where, params = [], []
        if keys:
            where.append(f"k.title_key IN ({','.join('?' * len(keys))})")
            params += list(keys)
        for part in containing:
            where.append("instr(k.title_key, ?) > 0")
            params.append(part)
        if series:
            where.append("k.series_key = ?")
            params.append(series)
        if not where:
            return []
        rows = self.conn.execute(
            "SELECT d.id, d.title, d.level FROM title_keys k JOIN documents d "
            f"ON d.id = k.document_id WHERE {' OR '.join(where)} ORDER BY d.id",
            params,
        ).fetchall()
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]

    def unresolved_links_naming(self, key: str, min_contained: int) -> list[LinkRow]:
        """Unresolved links whose cited key is ``key`` or, at least ``min_contained``
        characters long, occurs in it."""
        rows = self.query(
            "SELECT l.* FROM link_keys k JOIN links l ON l.id = k.link_id "
            "WHERE l.parent_id IS NULL AND k.cited_key != '' AND instr(?, k.cited_key) > 0 "
            "AND (k.cited_key = ? OR length(k.cited_key) >= ?) ORDER BY l.id",
            (key, key, min_contained),
        )
        return [link_row(r) for r in rows]
