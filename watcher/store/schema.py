"""Schema migrations of the SQLite store, applied in order and recorded in ``PRAGMA user_version``.

A migration is appended, never edited, once it has shipped: stores in the field are upgraded by
running the ones they have not seen. Each runs inside one transaction.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: tuple[str, ...] = (
    # 1: the whole first schema
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        level TEXT NOT NULL,
        config_json TEXT NOT NULL,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_run_at TEXT,
        last_ok_at TEXT,
        next_run_at TEXT,
        last_error TEXT,
        last_outcome TEXT
    );
    CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,            -- sha256 of the raw bytes
        size INTEGER NOT NULL,            -- uncompressed size
        content_type TEXT,
        data BLOB NOT NULL                -- zlib-compressed raw bytes
    );
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        source_id TEXT,
        url TEXT NOT NULL UNIQUE,         -- canonical URL (or file:// / import: key for imports)
        identity_key TEXT NOT NULL,       -- same document from two sites → same key
        title TEXT NOT NULL,
        doc_number TEXT,
        issuer TEXT,
        index_no TEXT,
        written_date TEXT,
        published_date TEXT,
        topic TEXT,
        validity TEXT,
        level TEXT,
        kind TEXT,                        -- 纲要 / 规划 / 方案 / 通知 / ...
        origin TEXT NOT NULL DEFAULT 'fetch',   -- fetch | import | attachment
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        current_version_id INTEGER,
        parent_id INTEGER REFERENCES documents(id)
    );
    CREATE INDEX documents_identity ON documents(identity_key);
    CREATE INDEX documents_source ON documents(source_id);
    CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        seq INTEGER NOT NULL,             -- 1, 2, ... per document
        fetched_at TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL,               -- normalised text (never NFKC)
        text_hash TEXT NOT NULL,          -- fingerprint of the substantive text
        structure_json TEXT,              -- section tree as JSON
        meta_json TEXT NOT NULL DEFAULT '{}',
        attachments_json TEXT NOT NULL DEFAULT '[]',
        blob_hash TEXT REFERENCES blobs(hash),
        url TEXT,
        etag TEXT,
        last_modified TEXT,
        encoding TEXT,
        UNIQUE(document_id, seq)
    );
    CREATE INDEX versions_hash ON versions(document_id, text_hash);
    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY,
        source_id TEXT,
        url TEXT NOT NULL,
        at TEXT NOT NULL,
        status INTEGER,
        bytes INTEGER NOT NULL DEFAULT 0,
        duration_ms REAL NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL,
        error TEXT,
        attempt INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX fetches_source_at ON fetches(source_id, at);
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        old_version_id INTEGER NOT NULL REFERENCES versions(id),
        new_version_id INTEGER NOT NULL REFERENCES versions(id),
        created_at TEXT NOT NULL,
        substantive INTEGER NOT NULL,
        flip_flop INTEGER NOT NULL DEFAULT 0,
        diff_json TEXT NOT NULL,
        UNIQUE(old_version_id, new_version_id)
    );
    CREATE TABLE links (
        id INTEGER PRIMARY KEY,
        child_id INTEGER NOT NULL REFERENCES documents(id),
        parent_id INTEGER REFERENCES documents(id),   -- NULL while the cited document is unknown
        relation TEXT NOT NULL,           -- implements | supersedes | configured
        cited_title TEXT NOT NULL,
        evidence TEXT NOT NULL,
        doc_number TEXT,
        created_at TEXT NOT NULL,
        UNIQUE(child_id, relation, cited_title)
    );
    CREATE TABLE comparisons (
        id INTEGER PRIMARY KEY,
        new_document_id INTEGER NOT NULL REFERENCES documents(id),
        old_document_id INTEGER NOT NULL REFERENCES documents(id),
        new_version_id INTEGER NOT NULL REFERENCES versions(id),
        old_version_id INTEGER NOT NULL REFERENCES versions(id),
        created_at TEXT NOT NULL,
        summary_json TEXT NOT NULL,
        result_json TEXT NOT NULL,
        UNIQUE(new_version_id, old_version_id)
    );
    CREATE TABLE directions (
        id INTEGER PRIMARY KEY,
        period TEXT NOT NULL,             -- ISO week, e.g. 2026-W47
        rank INTEGER NOT NULL,
        direction TEXT NOT NULL,
        score REAL NOT NULL,
        terms_json TEXT NOT NULL,
        evidence_json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE(period, direction)
    );
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        dedupe_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        url TEXT,
        source_id TEXT,
        document_id INTEGER,
        evidence_json TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        resolved_at TEXT
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts(id),
        channel TEXT NOT NULL,            -- channel key: sha256 of the URL (secrets never stored)
        channel_label TEXT NOT NULL,      -- redacted URL for display
        status TEXT NOT NULL DEFAULT 'pending',   -- pending | sending | sent | dead
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE(alert_id, channel)
    );
    CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
    CREATE TABLE digests (
        week TEXT PRIMARY KEY,            -- ISO week 2026-W47
        issue INTEGER NOT NULL,
        total INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        markdown TEXT NOT NULL,
        html TEXT NOT NULL,
        docx BLOB,
        mailed_at TEXT
    );
    CREATE VIRTUAL TABLE search USING fts5(
        title, text, document_id UNINDEXED, tokenize = 'trigram'
    );
    """,
    # 2: the same document published on a second site (a copy, a Big5 gateway) is an alias of
    # the first, not a rival version that would flip-flop with it every cycle
    """
    CREATE TABLE aliases (
        url TEXT PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        first_seen TEXT NOT NULL
    );
    """,
    # 3: section trees are parsed from the version text when needed (the stored outline was
    # never read and only doubled the size of every version)
    """
    ALTER TABLE versions DROP COLUMN structure_json;
    """,
    # 4: research directions off the fetch path. Each version's words (jieba's segmentation of
    # its sentences, as compressed word lengths) are made once, when a ranking first needs them,
    # so re-ranking a week never segments again; a direction keeps its 推荐理由.
    """
    CREATE TABLE version_terms (
        version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
        analyser TEXT NOT NULL,           -- code + vocabulary that made it (others are remade)
        words BLOB NOT NULL,              -- serialize.segmentation_to_bytes
        created_at TEXT NOT NULL
    );
    ALTER TABLE directions ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    """,
    # 5: an attachment stored as a document names the page it belongs to (attachment_of; the
    # old parent_id is the lineage parent); every identity decision is kept with its reason:
    # a URL merged into another document (and the page it served, so the merge can be undone),
    # or kept apart although it shares a 发文字号 with one; aliases made before this migration
    # are listed without a reason
    """
    CREATE TABLE alias_decisions (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,                -- the page the decision is about
        document_id INTEGER NOT NULL REFERENCES documents(id),   -- merged into / stored as
        other_document_id INTEGER REFERENCES documents(id),      -- kept apart from
        decision TEXT NOT NULL,           -- merged | separate | undone
        identity_key TEXT NOT NULL,
        reason TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',   -- the page's own title, text and metadata
        text TEXT,
        text_hash TEXT,
        meta_json TEXT NOT NULL DEFAULT '{}',
        source_id TEXT,
        level TEXT,
        kind TEXT,
        origin TEXT NOT NULL DEFAULT 'fetch',
        decided_at TEXT NOT NULL,
        undone_at TEXT,
        split_document_id INTEGER REFERENCES documents(id)
    );
    CREATE INDEX alias_decisions_url ON alias_decisions(url);
    INSERT INTO alias_decisions(url, document_id, decision, identity_key, reason, decided_at)
        SELECT a.url, a.document_id, 'merged', d.identity_key,
               '升级前合并的副本（当时未记录理由）', a.first_seen
        FROM aliases a JOIN documents d ON d.id = a.document_id;
    ALTER TABLE documents ADD COLUMN attachment_of INTEGER REFERENCES documents(id);
    CREATE INDEX documents_attachment_of ON documents(attachment_of);
    UPDATE documents SET attachment_of = (
        SELECT v.document_id FROM versions v, json_each(v.attachments_json) j
        WHERE json_extract(j.value, '$.url') = documents.url AND v.document_id != documents.id
        ORDER BY v.id LIMIT 1
    ) WHERE origin = 'attachment';
    """,
    # 6: what part of a delivery was already acknowledged (mail recipients, chat message parts),
    # so a retry never sends those again
    """
    ALTER TABLE deliveries ADD COLUMN progress_json TEXT;
    """,
    # 7: web accounts (editors and viewers, argon2 hashes), their login sessions (only a hash of
    # each session id is kept) and the audit log of who did what when
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
        password_hash TEXT NOT NULL,      -- argon2id, PHC string form
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,         -- sha256 of the session id the cookie carries
        user_name TEXT NOT NULL,
        fingerprint TEXT NOT NULL,        -- of the password hash: a new password ends old sessions
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ip TEXT
    );
    CREATE INDEX sessions_user ON sessions(user_name);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,              -- account name, or cli:<os user> for commands
        action TEXT NOT NULL,             -- login | logout | login_failed | user_added | ...
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        ip TEXT
    );
    CREATE INDEX audit_at ON audit(at);
    """,
    # 8: version text is kept zlib-compressed like the raw HTML (``watcher_pack``, a function
    # the store registers), and the search index keeps no second copy of it: a contentless
    # trigram FTS5 table whose rowid is the document id, indexed from the current version,
    # keeping which documents hold a trigram but not where (detail = none, 1/7 of the size;
    # Store.search checks the candidates' text).
    """
    DROP TABLE search;
    CREATE VIRTUAL TABLE search USING fts5(
        title, text, content = '', detail = none, tokenize = 'trigram'
    );
    INSERT INTO search(rowid, title, text)
        SELECT d.id, v.title, watcher_unpack(v.text) FROM documents d
        JOIN versions v ON v.id = d.current_version_id;
    UPDATE versions SET text = watcher_pack(text) WHERE typeof(text) = 'text';
    """,
    # 9: list pages are fetched conditionally too: the validators of each list page and the
    # links it held, read back when it answers 304
    """
    CREATE TABLE list_pages (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        links_json TEXT NOT NULL,         -- the links found on it, as [{url, title, date, meta}]
        fetched_at TEXT NOT NULL
    );
    """,
    # 10: lineage looks titles up by key instead of reading every stored title: each document's
    # title key and series key, each unresolved link's cited key (made by the pipeline, remade
    # when a title changes or the keying code does)
    """
    CREATE TABLE title_keys (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        title TEXT NOT NULL,              -- the title the keys were made from
        title_key TEXT NOT NULL,
        series_key TEXT NOT NULL
    );
    CREATE INDEX title_keys_title ON title_keys(title_key);
    CREATE INDEX title_keys_series ON title_keys(series_key);
    CREATE TABLE link_keys (
        link_id INTEGER PRIMARY KEY REFERENCES links(id),
        cited_key TEXT NOT NULL
    );
    """,
)
