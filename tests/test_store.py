"""Store behaviour on real SQLite files: versions only on change, flip-flops, blobs, outbox, FTS."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from watcher.errors import StoreError
from watcher.models import Alert, FetchAttempt
from watcher.store import Store, VersionResult


def _save(
    store: Store, text: str, h: str, url: str = "https://jw.cq.gov.cn/a.html"
) -> VersionResult:
    return store.save_version(
        url=url,
        identity_key="k:" + url,
        title="关于印发某方案的通知",
        text=text,
        text_hash=h,
        meta={"doc_number": "渝教发〔2025〕1号", "published_date": "2025-02-28"},
        source_id="cq-jw",
        level="municipal",
    )


def test_new_version_only_when_fingerprint_changes(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        first = _save(store, "一、总体要求", "h1")
        again = _save(store, "一、总体要求 ", "h1")
        second = _save(store, "一、总体要求（修订）", "h2")
        back = _save(store, "一、总体要求", "h1")
        assert [first.status, again.status, second.status, back.status] == [
            "new_document",
            "unchanged",
            "new_version",
            "new_version",
        ]
        assert back.flip_flop and not second.flip_flop
        doc = store.document(first.document_id)
        assert doc is not None and doc.doc_number == "渝教发〔2025〕1号"
        assert [v.seq for v in store.versions(doc.id)] == [1, 2, 3]


def test_store_survives_reopen_and_is_wal(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "w.db"
    with Store.open(path) as store:
        _save(store, "正文", "h")
        digest = store.put_blob("原始字节".encode("gb18030"), "text/html")
    with Store.open(path) as store:
        assert store.get_blob(digest).decode("gb18030") == "原始字节"
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.integrity_ok()


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        with pytest.raises(RuntimeError), store.transaction():
            _save(store, "正文", "h")
            raise RuntimeError("crash in the middle of a cycle")
        assert store.documents() == []
        assert store.query("SELECT COUNT(*) AS n FROM versions")[0]["n"] == 0


def test_alert_dedupe_and_deliveries(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        alert = Alert(
            kind="new_document", dedupe_key="doc:1", severity="notice", title="新文件", body="正文"
        )
        first = store.add_alert(alert, [("c1", "json://x"), ("c2", "mailto://y")])
        assert first is not None
        assert store.add_alert(alert, [("c1", "json://x")]) is None
        due = store.due_deliveries(store.now())
        assert len(due) == 2
        store.mark_delivery(due[0]["id"], status="sent")
        store.mark_delivery(due[0]["id"], status="pending", error="late failure")
        assert store.delivery_counts() == {"sent": 1, "pending": 1}


def test_search_chinese_substrings(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        _save(store, "深化产教融合，建设市域产教联合体。", "h")
        assert [d.title for d in store.search("产教联合体")] == ["关于印发某方案的通知"]
        assert len(store.search("融合")) == 1
        assert store.search("低空经济") == []


def test_fetch_log_and_health(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        from watcher.config import ListSpec, Source

        store.sync_sources(
            [
                Source(
                    id="s",
                    name="测试",
                    level="district",
                    lists=(ListSpec(url="https://www.hc.gov.cn/", item="a"),),
                )
            ]
        )
        store.log_fetch(
            "s",
            FetchAttempt(
                url="https://www.hc.gov.cn/",
                status=None,
                bytes=0,
                duration_ms=3.0,
                error="连接被拒绝",
                outcome="network_error",
            ),
        )
        assert store.record_source_run("s", ok=False, outcome="failed", error="x") == 1
        assert store.record_source_run("s", ok=False, outcome="failed", error="x") == 2
        assert store.record_source_run("s", ok=True, outcome="ok") == 0
        assert store.fetch_log("s")[0]["error"] == "连接被拒绝"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=999")
    conn.close()
    with pytest.raises(StoreError, match="升级"):
        Store.open(path)


def test_processes_opening_a_new_store_at_once_migrate_it_once(tmp_path: Path) -> None:
    """The daemon's threads and `watcher status` may open a fresh store together: each saw
    version 0 and ran migration 1 again ("table meta already exists")."""
    import threading

    for round_ in range(5):
        path = tmp_path / f"w{round_}.db"
        start = threading.Barrier(6)
        errors: list[StoreError] = []

        def open_it(
            path: Path = path, start: threading.Barrier = start, errors: list[StoreError] = errors
        ) -> None:
            start.wait()
            try:
                Store.open(path).close()
            except StoreError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[0]
        with Store.open(path) as store:
            assert store.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


def test_a_copy_on_another_site_is_an_alias_not_a_rival_version(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        kw = dict(identity_key="doc:教职成〔2025〕2号", title="关于实施双高计划的通知")
        first = store.save_version(
            url="https://www.moe.gov.cn/a.html", text="正文（教育部）", text_hash="moe", **kw
        )
        for _ in range(3):  # the gov.cn copy differs in furniture; cycles must not flip-flop
            copy = store.save_version(
                url="https://www.gov.cn/b.htm", text="正文（国务院）", text_hash="gov", **kw
            )
            again = store.save_version(
                url="https://www.moe.gov.cn/a.html", text="正文（教育部）", text_hash="moe", **kw
            )
            assert copy.status == "unchanged" and again.status == "unchanged"
        assert copy.document_id == first.document_id
        assert len(store.versions(first.document_id)) == 1
        assert store.known_url("https://www.gov.cn/b.htm")
        assert store.aliases(first.document_id) == ["https://www.gov.cn/b.htm"]


def test_raw_bytes_are_kept_only_with_a_new_version(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        kw = dict(url="https://jw.cq.gov.cn/a.html", identity_key="k", title="通知", text_hash="h")
        store.save_version(
            text="正文", raw=b"<html>visits 1</html>", content_type="text/html", **kw
        )
        for n in range(2, 6):  # a page whose counter changes: same text, new bytes every fetch
            store.save_version(text="正文", raw=f"<html>visits {n}</html>".encode(), **kw)
        assert store.query("SELECT COUNT(*) AS n FROM blobs")[0]["n"] == 1
        changed = store.save_version(
            url=kw["url"],
            identity_key="k",
            title="通知",
            text="新正文",
            text_hash="h2",
            raw=b"<html>new</html>",
        )
        version = store.version(changed.version_id)
        assert (
            version is not None and store.get_blob(version.blob_hash or "") == b"<html>new</html>"
        )


def test_housekeeping_vacuum_keeps_search_working(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        for n in range(5):
            _save(store, f"第{n}版：深化产教融合。", f"h{n}")
        store.vacuum()
        assert len(store.search("产教融合")) == 1 and store.integrity_ok()
