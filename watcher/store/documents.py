"""Sources, documents, versions, raw blobs and the fetch log (search: ``store.search``).

A version is written only when the document's fingerprint (the hash of its substantive,
normalised text) differs from the current version's; an unchanged fetch only moves
``last_seen``. Raw bytes are zlib-compressed and stored once per SHA-256; version text is
zlib-compressed too (``base.pack_text``); the search index over each document's current
version (``store.search``) keeps no copy of it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from watcher.config import Source
from watcher.errors import StoreError
from watcher.models import FetchAttempt, Section
from watcher.records import DocumentRow, SourceRow, VersionResult, VersionRow
from watcher.store.aliases import AliasesMixin, Page, key_label
from watcher.store.base import pack_text, row_as, unpack_text
from watcher.store.search import SearchMixin
from watcher.text import structure

__all__ = ["DocumentsMixin"]

_META_COLUMNS = (
    "doc_number",
    "issuer",
    "index_no",
    "written_date",
    "published_date",
    "topic",
    "validity",
)

_row = row_as
#: A version's length without spaces and line breaks, computed in SQL (the text is
#: decompressed there, not loaded into Python).
_SOLID_LENGTH = (
    "length(replace(replace(replace(replace(watcher_unpack(v.text), ' ', ''), char(10), ''), "
    "char(13), ''), '　', ''))"
)


@functools.lru_cache(maxsize=64)
def _parsed(text: str, title: str) -> Section:
    return structure.parse(text, title)


def _version_row(row: Mapping[str, Any]) -> VersionRow | None:
    return row_as(VersionRow, {**row, "text": unpack_text(row["text"])})


class DocumentsMixin(AliasesMixin, SearchMixin):
    # ------------------------------------------------------------------ sources

    def sync_sources(self, sources: Iterable[Source]) -> None:
        """Insert or update the configured sources; health counters survive reloads."""
        with self.transaction():
            for s in sources:
                self.conn.execute(
                    "INSERT INTO sources(id, name, level, config_json) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET name = excluded.name, level = excluded.level, "
                    "config_json = excluded.config_json",
                    (s.id, s.name, s.level, s.model_dump_json()),
                )

    def sources(self) -> list[SourceRow]:
        rows = self.query("SELECT * FROM sources ORDER BY id")
        return [r for row in rows if (r := _row(SourceRow, row)) is not None]

    def source_row(self, source_id: str) -> SourceRow | None:
        rows = self.query("SELECT * FROM sources WHERE id = ?", (source_id,))
        return _row(SourceRow, rows[0]) if rows else None

    def record_source_run(
        self, source_id: str, *, ok: bool, outcome: str, error: str | None = None
    ) -> int:
        """Record the end of one run of a source; returns its consecutive failure count."""
        now = self.now()
        with self.transaction():
            if ok:
                self.conn.execute(
                    "UPDATE sources SET consecutive_failures = 0, last_run_at = ?, last_ok_at = ?, "
                    "last_error = NULL, last_outcome = ? WHERE id = ?",
                    (now, now, outcome, source_id),
                )
            else:
                self.conn.execute(
                    "UPDATE sources SET consecutive_failures = consecutive_failures + 1, "
                    "last_run_at = ?, last_error = ?, last_outcome = ? WHERE id = ?",
                    (now, error, outcome, source_id),
                )
            row = self.conn.execute(
                "SELECT consecutive_failures FROM sources WHERE id = ?", (source_id,)
            ).fetchone()
        return int(row[0]) if row else 0

    def set_next_run(self, source_id: str, when: str | None) -> None:
        with self.transaction():
            self.conn.execute("UPDATE sources SET next_run_at = ? WHERE id = ?", (when, source_id))

    # ------------------------------------------------------------------ fetch log and blobs

    def log_fetch(self, source_id: str | None, attempt: FetchAttempt) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO fetches(source_id, url, at, status, bytes, duration_ms, outcome, "
                "error, attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source_id,
                    attempt.url,
                    self.now(),
                    attempt.status,
                    attempt.bytes,
                    attempt.duration_ms,
                    attempt.outcome,
                    attempt.error,
                    attempt.attempt,
                ),
            )

    def fetch_log(self, source_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        if source_id:
            return self.query(
                "SELECT * FROM fetches WHERE source_id = ? ORDER BY id DESC LIMIT ?",
                (source_id, limit),
            )
        return self.query("SELECT * FROM fetches ORDER BY id DESC LIMIT ?", (limit,))

    def prune_fetch_log(self, before_iso: str) -> int:
        """Delete fetch-log rows older than ``before_iso``; versions are never pruned."""
        with self.transaction():
            cur = self.conn.execute("DELETE FROM fetches WHERE at < ?", (before_iso,))
        return cur.rowcount

    def put_blob(self, data: bytes, content_type: str | None = None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO blobs(hash, size, content_type, data) VALUES (?, ?, ?, ?)",
                (digest, len(data), content_type, zlib.compress(data, 6)),
            )
        return digest

    def get_blob(self, digest: str) -> bytes:
        row = self.conn.execute("SELECT data FROM blobs WHERE hash = ?", (digest,)).fetchone()
        if row is None:
            raise StoreError(f"原始文件 {digest[:12]}… 不在数据库中。")
        return zlib.decompress(row[0])

    # ------------------------------------------------------------------ documents and versions

    def known_url(self, url: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM documents WHERE url = ? UNION ALL SELECT 1 FROM aliases WHERE url = ?",
                (url, url),
            ).fetchone()
            is not None
        )

    def document_by_url(self, url: str) -> DocumentRow | None:
        rows = self.query("SELECT * FROM documents WHERE url = ?", (url,))
        return _row(DocumentRow, rows[0]) if rows else None

    def document_by_identity(self, identity_key: str) -> DocumentRow | None:
        rows = self.query(
            "SELECT * FROM documents WHERE identity_key = ? ORDER BY id LIMIT 1", (identity_key,)
        )
        return _row(DocumentRow, rows[0]) if rows else None

    def documents(
        self,
        *,
        source_id: str | None = None,
        level: str | None = None,
        kind: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 1000,
        top_level: bool = False,
    ) -> list[DocumentRow]:
        """Documents, newest first; ``top_level`` leaves out attachments (see ``children``)."""
        where, params = ["attachment_of IS NULL" if top_level else "1 = 1"], []
        for column, value in (("source_id", source_id), ("level", level), ("kind", kind)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if since:
            where.append("first_seen >= ?")
            params.append(since)
        if until:
            where.append("first_seen < ?")
            params.append(until)
        rows = self.query(
            f"SELECT * FROM documents WHERE {' AND '.join(where)} "
            "ORDER BY COALESCE(published_date, written_date, first_seen) DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [r for row in rows if (r := _row(DocumentRow, row)) is not None]

    def children(self, document_id: int) -> list[DocumentRow]:
        """The attachments stored as documents of their own under ``document_id``."""
        rows = self.query(
            "SELECT * FROM documents WHERE attachment_of = ? ORDER BY id", (document_id,)
        )
        return [r for row in rows if (r := _row(DocumentRow, row)) is not None]

    def touch(self, url: str) -> None:
        """An unchanged (e.g. 304) fetch: only ``last_seen`` moves."""
        with self.transaction():
            self.conn.execute("UPDATE documents SET last_seen = ? WHERE url = ?", (self.now(), url))

    def stale_urls(self, source_id: str, limit: int) -> list[str]:
        """URLs of the source's fetched documents, least recently seen first (for re-checks)."""
        rows = self.conn.execute(
            "SELECT url FROM documents WHERE source_id = ? AND origin = 'fetch' "
            "ORDER BY last_seen, id LIMIT ?",
            (source_id, limit),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def aliases(self, document_id: int) -> list[str]:
        """Other URLs where the same document was found."""
        rows = self.conn.execute(
            "SELECT url FROM aliases WHERE document_id = ? ORDER BY url", (document_id,)
        ).fetchall()
        return [str(r[0]) for r in rows]

    def document_titles(self) -> list[tuple[int, str, str | None]]:
        """(id, title, level) of every document: the lineage candidates, without whole rows."""
        rows = self.conn.execute("SELECT id, title, level FROM documents ORDER BY id").fetchall()
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]

    def text_length(self, url: str) -> int | None:
        """Characters (spaces and line breaks excluded) of the current version at ``url``."""
        row = self.conn.execute(
            f"SELECT {_SOLID_LENGTH} FROM documents d JOIN versions v "
            "ON v.id = d.current_version_id WHERE d.url = ?",
            (url,),
        ).fetchone()
        return int(row[0]) if row else None

    def recent_text_lengths(self, source_id: str, limit: int = 20) -> list[int]:
        """Text lengths (as ``text_length``) of the source's latest fetched pages, newest
        first: the history a page's extraction is compared with to notice a redesign."""
        rows = self.conn.execute(
            f"SELECT {_SOLID_LENGTH} FROM documents d JOIN versions v "
            "ON v.id = d.current_version_id "
            "WHERE d.source_id = ? AND d.origin = 'fetch' ORDER BY d.id DESC LIMIT ?",
            (source_id, limit),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the current version at ``url``, for conditional requests."""
        row = self.conn.execute(
            "SELECT v.etag, v.last_modified FROM documents d JOIN versions v "
            "ON v.id = d.current_version_id WHERE d.url = ?",
            (url,),
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_version(
        self,
        *,
        url: str,
        identity_key: str,
        title: str,
        text: str,
        text_hash: str,
        meta: Mapping[str, str] | None = None,
        source_id: str | None = None,
        level: str | None = None,
        kind: str | None = None,
        origin: str = "fetch",
        attachments: Sequence[Mapping[str, str]] = (),
        blob_hash: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        encoding: str | None = None,
        raw: bytes | None = None,
        content_type: str | None = None,
        attachment_of: int | None = None,
    ) -> VersionResult:
        """Store a fetched document; a new version only when ``text_hash`` changed.

        ``attachment_of`` makes the document an attachment of that page (shown under it).
        ``raw`` (the fetched bytes) is kept only with a new document or version: an unchanged
        fetch of a page with a visit counter must not leave an unreferenced blob behind.

        Call inside ``transaction()`` together with whatever the result causes (change,
        links, alerts) so that all of it lands or none of it does.
        """
        meta = dict(meta or {})
        now = self.now()
        with self.transaction():
            doc = self.document_by_url(url)
            refused: DocumentRow | None = None
            if doc is None:
                twin, reason, refused = self._twin(url, identity_key, title)
                if twin is not None and twin.current_version_id is not None:
                    # Another site's copy of a document we already hold: remember the URL and
                    # fill metadata the first copy lacked; its text never becomes a version,
                    # but is kept with the decision so that the merge can be undone.
                    self.conn.execute(
                        "INSERT OR IGNORE INTO aliases(url, document_id, first_seen) VALUES (?, ?, ?)",
                        (url, twin.id, now),
                    )
                    self.conn.execute(
                        "UPDATE documents SET last_seen = ?, "
                        + ", ".join(f"{k} = COALESCE({k}, ?)" for k in _META_COLUMNS)
                        + " WHERE id = ?",
                        (now, *(meta.get(k) or None for k in _META_COLUMNS), twin.id),
                    )
                    page = Page(title, text, text_hash, meta, source_id, level, kind, origin)
                    self._log_merge(url, twin.id, identity_key, reason, page)
                    return VersionResult("unchanged", twin.id, twin.current_version_id, None)
            if doc is None:
                blob_hash = self.put_blob(raw, content_type) if raw else blob_hash
                document_id = self._insert_document(
                    url,
                    identity_key,
                    title,
                    meta,
                    source_id,
                    level,
                    kind,
                    origin,
                    now,
                    attachment_of,
                )
                version_id = self._insert_version(
                    document_id,
                    1,
                    now,
                    title,
                    text,
                    text_hash,
                    meta,
                    attachments,
                    blob_hash,
                    url,
                    etag,
                    last_modified,
                    encoding,
                )
                self._index(document_id, title, text)
                if refused is not None:
                    self._log_decision(
                        url,
                        document_id,
                        "separate",
                        identity_key,
                        f"与 #{refused.id}「{refused.title}」{key_label(identity_key)}相同，"
                        "但标题不同：作为另一份文件保存",
                        Page(title, None, None, meta, source_id, level, kind, origin),
                        other=refused.id,
                    )
                return VersionResult("new_document", document_id, version_id, None)
            if attachment_of is not None and doc.attachment_of is None and attachment_of != doc.id:
                self.conn.execute(
                    "UPDATE documents SET attachment_of = ? WHERE id = ?", (attachment_of, doc.id)
                )
            current = self.version(doc.current_version_id) if doc.current_version_id else None
            if current is not None and current.text_hash == text_hash:
                self.conn.execute("UPDATE documents SET last_seen = ? WHERE id = ?", (now, doc.id))
                if etag or last_modified:
                    self.conn.execute(
                        "UPDATE versions SET etag = ?, last_modified = ? WHERE id = ?",
                        (etag, last_modified, current.id),
                    )
                return VersionResult("unchanged", doc.id, current.id, None)
            flip_flop = (
                self.conn.execute(
                    "SELECT 1 FROM versions WHERE document_id = ? AND text_hash = ?",
                    (doc.id, text_hash),
                ).fetchone()
                is not None
            )
            blob_hash = self.put_blob(raw, content_type) if raw else blob_hash
            seq_row = self.conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM versions WHERE document_id = ?", (doc.id,)
            ).fetchone()
            version_id = self._insert_version(
                doc.id,
                int(seq_row[0]) + 1,
                now,
                title,
                text,
                text_hash,
                meta,
                attachments,
                blob_hash,
                url,
                etag,
                last_modified,
                encoding,
            )
            columns = {k: meta.get(k) or getattr(doc, k) for k in _META_COLUMNS}
            self.conn.execute(
                "UPDATE documents SET title = ?, last_seen = ?, current_version_id = ?, "
                + ", ".join(f"{k} = ?" for k in columns)
                + " WHERE id = ?",
                (title, now, version_id, *columns.values(), doc.id),
            )
            self._index(doc.id, title, text, replaces=current)
            return VersionResult(
                "new_version", doc.id, version_id, current.id if current else None, flip_flop
            )

    def unmerge(self, decision_id: int) -> int | None:
        """Undo merge ``decision_id``: the page it kept becomes a document of its own (its id is
        returned) and its URL is never merged again. A merge made before decisions were logged
        kept no page: its URL is freed and the next fetch stores it on its own (None)."""
        with self.transaction():
            rows = self.query("SELECT * FROM alias_decisions WHERE id = ?", (decision_id,))
            if not rows:
                raise StoreError(
                    f"没有编号为 {decision_id} 的合并记录。用 watcher documents --aliases 查看。"
                )
            row = rows[0]
            if row["decision"] != "merged":
                raise StoreError(f"记录 {decision_id} 不是一次合并（{row['reason']}），无需拆分。")
            self.conn.execute("DELETE FROM aliases WHERE url = ?", (row["url"],))
            self.conn.execute(
                "UPDATE alias_decisions SET decision = 'undone', undone_at = ? WHERE id = ?",
                (self.now(), decision_id),
            )
            if row["text"] is None:
                return None
            result = self.save_version(
                url=row["url"],
                identity_key=row["identity_key"],
                title=row["title"],
                text=row["text"],
                text_hash=row["text_hash"],
                meta=json.loads(row["meta_json"]),
                source_id=row["source_id"],
                level=row["level"],
                kind=row["kind"],
                origin=row["origin"],
            )
            self.conn.execute(
                "UPDATE alias_decisions SET split_document_id = ? WHERE id = ?",
                (result.document_id, decision_id),
            )
        return result.document_id

    def _insert_document(
        self,
        url: str,
        identity_key: str,
        title: str,
        meta: Mapping[str, str],
        source_id: str | None,
        level: str | None,
        kind: str | None,
        origin: str,
        now: str,
        attachment_of: int | None = None,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO documents(source_id, url, identity_key, title, level, kind, origin, "
            "attachment_of, first_seen, last_seen, " + ", ".join(_META_COLUMNS) + ") "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " + ", ".join("?" * len(_META_COLUMNS)) + ")",
            (
                source_id,
                url,
                identity_key,
                title,
                level,
                kind,
                origin,
                attachment_of,
                now,
                now,
                *(meta.get(k) for k in _META_COLUMNS),
            ),
        )
        return int(cur.lastrowid or 0)

    def _insert_version(
        self,
        document_id: int,
        seq: int,
        now: str,
        title: str,
        text: str,
        text_hash: str,
        meta: Mapping[str, str],
        attachments: Sequence[Mapping[str, str]],
        blob_hash: str | None,
        url: str,
        etag: str | None,
        last_modified: str | None,
        encoding: str | None,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO versions(document_id, seq, fetched_at, title, text, text_hash, "
            "meta_json, attachments_json, blob_hash, url, etag, last_modified, "
            "encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document_id,
                seq,
                now,
                title,
                pack_text(text),
                text_hash,
                json.dumps(dict(meta), ensure_ascii=False),
                json.dumps([dict(a) for a in attachments], ensure_ascii=False),
                blob_hash,
                url,
                etag,
                last_modified,
                encoding,
            ),
        )
        version_id = int(cur.lastrowid or 0)
        self.conn.execute(
            "UPDATE documents SET current_version_id = ? WHERE id = ?", (version_id, document_id)
        )
        return version_id

    def version(self, version_id: int) -> VersionRow | None:
        rows = self.query("SELECT * FROM versions WHERE id = ?", (version_id,))
        return _version_row(rows[0]) if rows else None

    def versions(self, document_id: int) -> list[VersionRow]:
        rows = self.query(
            "SELECT * FROM versions WHERE document_id = ? ORDER BY seq", (document_id,)
        )
        return [r for row in rows if (r := _version_row(row)) is not None]

    def latest_version_text(self, document_id: int) -> tuple[str, str]:
        """(title, text) of a document's current version; StoreError when there is none."""
        row = self.conn.execute(
            "SELECT v.title, v.text FROM documents d JOIN versions v ON v.id = d.current_version_id "
            "WHERE d.id = ?",
            (document_id,),
        ).fetchone()
        if row is None:
            raise StoreError(
                f"数据库中没有编号为 {document_id} 的文档。用 watcher sources 或网页查看已有文档。"
            )
        return str(row[0]), unpack_text(row[1])

    def documents_changed_between(self, start: str, end: str) -> list[DocumentRow]:
        """Documents with a new document or new version stored in [start, end)."""
        rows = self.query(
            "SELECT DISTINCT d.* FROM documents d JOIN versions v ON v.document_id = d.id "
            "WHERE v.fetched_at >= ? AND v.fetched_at < ? ORDER BY d.id",
            (start, end),
        )
        return [r for row in rows if (r := _row(DocumentRow, row)) is not None]

    def document_kinds(self) -> list[str]:
        """Every document kind (纲要, 规划, 通知, …) in the store, sorted."""
        rows = self.conn.execute(
            "SELECT DISTINCT kind FROM documents WHERE kind IS NOT NULL ORDER BY kind"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def section_tree(self, version_id: int) -> Section:
        """The section tree of a stored version (parsed from its text, cached: versions never
        change once written). StoreError when there is no such version."""
        version = self.version(version_id)
        if version is None:
            raise StoreError(f"数据库中没有编号为 {version_id} 的版本。")
        return _parsed(version.text, version.title)
