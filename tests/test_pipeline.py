"""A whole cycle over the bundled demo sites on a real loopback server, into a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from watcher.config import Config, ListSpec, Source
from watcher.demo.server import DemoServer, demo_config
from watcher.pipeline.cycle import Pipeline, cycle_lock
from watcher.store import Store

MANIFEST = json.loads(
    (Path(__file__).resolve().parent.parent / "watcher" / "demo" / "manifest.json").read_text(
        "utf-8"
    )
)


@pytest.fixture()
def demo_run(demo_store: dict[str, Any]) -> tuple[Path, Any, Any]:
    return demo_store["path"], demo_store["first"], demo_store["second"]


def test_first_cycle_stores_every_demo_document_with_metadata(
    demo_run: tuple[Path, Any, Any],
) -> None:
    path, first, _ = demo_run
    assert all(o.status == "ok" for o in first), [(o.source_id, o.error) for o in first]
    with Store.open(path) as store:
        docs = {d.title: d for d in store.documents(limit=1000)}
    for entry in MANIFEST["documents"]:
        doc = docs.get(entry["title"])
        assert doc is not None, f"demo document not stored: {entry['title']}"
        for key in ("issuer", "doc_number", "written_date", "published_date"):
            if entry.get(key):
                assert getattr(doc, key) == entry[key], (entry["title"], key)


def test_second_cycle_records_the_revised_edition_as_a_new_version(
    demo_run: tuple[Path, Any, Any],
) -> None:
    path, _, second = demo_run
    assert sum(o.new_versions for o in second) >= 1
    assert sum(o.new_documents for o in second) == 0
    revised = [e for e in MANIFEST["documents"] if e.get("edition2")]
    dynamic = [e for e in MANIFEST["documents"] if e.get("dynamic")]
    with Store.open(path) as store:
        docs = {d.title: d for d in store.documents(limit=1000)}
        for entry in revised:
            assert len(store.versions(docs[entry["title"]].id)) == 2, entry["title"]
        # A page whose visit counter changes on every request is not a new version.
        for entry in dynamic:
            assert len(store.versions(docs[entry["title"]].id)) == 1, entry["title"]
        kinds = [a["kind"] for a in store.alerts(limit=1000)]
        changes = store.changes()
    assert "new_version" in kinds and "new_document" in kinds
    assert any(c.substantive for c in changes)


def test_the_local_plan_is_compared_with_the_national_plan(demo_run: tuple[Path, Any, Any]) -> None:
    path, _, _ = demo_run
    with Store.open(path) as store:
        pairs = []
        for row in store.comparisons():
            new, old = store.document(row.new_document_id), store.document(row.old_document_id)
            assert new is not None and old is not None
            pairs.append((new.title, old.title, row.comparison.summary))
    hits = [p for p in pairs if "教育强市" in p[0] and "教育强国建设规划纲要" in p[1]]
    assert hits, pairs
    summary = hits[0][2]
    assert summary["carried"] > 0 and summary["new"] > 0


def test_a_dead_site_fails_alone_and_is_logged(tmp_path: Path) -> None:
    with DemoServer() as server, Store.open(tmp_path / "w.db") as store:
        good = demo_config(server.base_url)
        dead = Source(
            id="dead",
            name="不可达网站",
            level="district",
            allow_private=True,
            lists=(ListSpec(url="http://127.0.0.1:9/list/", item="a"),),
        )
        config = Config(settings=good.settings, sources=(*good.sources[:2], dead))
        report = asyncio.run(Pipeline(config, store).run_cycle())
        by_id = {o.source_id: o for o in report.outcomes}
        assert by_id["dead"].status == "failed" and by_id["dead"].error
        assert all(by_id[s.id].status == "ok" for s in good.sources[:2])
        assert store.fetch_log("dead"), "the failed attempts are in the fetch log"
        assert store.source_row("dead").consecutive_failures == 1  # type: ignore[union-attr]


def test_second_check_on_the_same_store_is_refused(tmp_path: Path) -> None:
    from watcher.errors import StoreError

    with (
        cycle_lock(tmp_path / "w.db"),
        pytest.raises(StoreError, match="另一个"),
        cycle_lock(tmp_path / "w.db"),
    ):
        pass


def test_one_health_alert_per_failure_streak(tmp_path: Path) -> None:
    from watcher.config import FetchSettings, Settings

    dead = Source(
        id="dead",
        name="不可达网站",
        level="district",
        allow_private=True,
        lists=(ListSpec(url="http://127.0.0.1:9/list/", item="a"),),
    )
    quick = FetchSettings(retries=0, timeout_seconds=1, min_delay_seconds=0)
    with Store.open(tmp_path / "w.db") as store:
        for threshold in (5, 5, 2, 2, 2):  # lowered by a reload after the 2nd failed run
            config = Config(
                settings=Settings(fetch=quick, health_failures=threshold), sources=(dead,)
            )
            asyncio.run(Pipeline(config, store).run_cycle())
        health = [a for a in store.alerts() if a["kind"] == "source_health"]
    assert len(health) == 1 and "不可达网站" in health[0]["title"]
