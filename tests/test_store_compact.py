"""The compact store (migration 5): version text zlib-compressed, a contentless search index.

A store of the previous schema (migrations 1–4, rows written as the previous code wrote them:
plain text in ``versions.text``, a second copy in the FTS table) is upgraded on open without
losing a version, and searches the same afterwards; the file no longer holds the text twice.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from watcher.store import Store
from watcher.store.schema import MIGRATIONS

PREVIOUS = 4
TEXTS = {
    "https://jw.cq.gov.cn/a.html": [
        "深化产教融合，建设市域产教联合体。\n一、总体要求\n（一）指导思想。坚持立德树人。" * 40,
        "深化产教融合，建设市域产教联合体。\n一、总体要求\n（一）指导思想。坚持立德树人，服务发展。"
        * 40,
    ],
    "https://jw.cq.gov.cn/b.html": ["推进职业教育数字化转型，建成虚拟仿真实训基地。" * 60],
}


def _previous_store(path: Path) -> None:
    """The schema and rows the previous release wrote (its SQL, not today's code)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for number in range(PREVIOUS):
        for statement in (s for s in MIGRATIONS[number].split(";") if s.strip()):
            if any(
                line.strip() and not line.strip().startswith("--")
                for line in statement.splitlines()
            ):
                conn.execute(statement)
    conn.execute(f"PRAGMA user_version={PREVIOUS}")
    for doc_id, (url, texts) in enumerate(TEXTS.items(), 1):
        conn.execute(
            "INSERT INTO documents(id, url, identity_key, title, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, '2026-01-05T00:00:00+00:00', '2026-01-05T00:00:00+00:00')",
            (doc_id, url, "k:" + url, f"关于印发第{doc_id}号方案的通知"),
        )
        for seq, text in enumerate(texts, 1):
            cur = conn.execute(
                "INSERT INTO versions(document_id, seq, fetched_at, title, text, text_hash) "
                "VALUES (?, ?, '2026-01-05T00:00:00+00:00', ?, ?, ?)",
                (doc_id, seq, f"关于印发第{doc_id}号方案的通知", text, f"h{doc_id}.{seq}"),
            )
            conn.execute(
                "UPDATE documents SET current_version_id = ? WHERE id = ?", (cur.lastrowid, doc_id)
            )
        conn.execute("DELETE FROM search WHERE document_id = ?", (doc_id,))
        conn.execute(
            "INSERT INTO search(title, text, document_id) VALUES (?, ?, ?)",
            (f"关于印发第{doc_id}号方案的通知", texts[-1], doc_id),
        )
    conn.close()


def test_a_previous_store_is_upgraded_without_losing_a_version(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _previous_store(db)
    with Store.open(db) as store:
        for doc_id, texts in enumerate(TEXTS.values(), 1):
            assert [v.text for v in store.versions(doc_id)] == texts
            assert store.latest_version_text(doc_id)[1] == texts[-1]
        # the current versions are searchable, the replaced text is not
        assert [d.id for d in store.search("服务发展")] == [1]
        assert [d.id for d in store.search("虚拟仿真实训")] == [2]
        assert [d.id for d in store.search("融合")] == [1]  # shorter than a trigram
        assert store.integrity_ok()
    raw = sqlite3.connect(db)
    try:
        kinds = {r[0] for r in raw.execute("SELECT typeof(text) FROM versions")}
        content = raw.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'search_content'"
        ).fetchone()[0]
    finally:
        raw.close()
    assert kinds == {"blob"} and content == 0  # compressed, and no second copy in the index


def test_a_new_version_replaces_the_indexed_text(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _previous_store(db)
    with Store.open(db) as store:
        store.save_version(
            url="https://jw.cq.gov.cn/a.html",
            identity_key="k:https://jw.cq.gov.cn/a.html",
            title="关于印发第1号方案的通知",
            text="全面推行现代学徒制，校企联合招生。" * 30,
            text_hash="h1.3",
        )
        assert [d.id for d in store.search("现代学徒制")] == [1]
        assert store.search("服务发展") == []
        assert [v.seq for v in store.versions(1)] == [1, 2, 3]
        store.vacuum()
        assert [d.id for d in store.search("校企联合招生")] == [1] and store.integrity_ok()
