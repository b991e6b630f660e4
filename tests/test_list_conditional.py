"""List pages are fetched conditionally: an unchanged list page costs one 304 (its links are
read back from the store), a changed one is read again and its new document found."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.loopback import LoopbackServer, Reply
from watcher.config import Config, FetchSettings, ListSpec, Settings, Source
from watcher.pipeline.cycle import Pipeline
from watcher.store import Store

ARTICLE = (
    "<html><head><title>{t}</title></head><body><h1>{t}</h1><div class='body'>"
    "<p>一、总体要求</p><p>深化产教融合，推进职业教育改革，第{n}项任务按期完成。</p>"
    "<p>二、主要任务</p><p>建设市级高水平专业群，每年遴选示范项目，给予经费支持。</p>"
    "</div></body></html>"
)


def _list(items: list[int]) -> str:
    rows = "".join(
        f"<li><a href='/a{n}.html'>关于印发第{n}号实施方案的通知</a><span>2026-01-0{n}</span></li>"
        for n in items
    )
    return f"<html><body><ul class='list'>{rows}</ul></body></html>"


def _serve(srv: LoopbackServer, items: list[int], etag: str) -> None:
    srv.route("/list/", Reply(body=_list(items)), etag=etag)
    for n in items:
        srv.route(
            f"/a{n}.html",
            Reply(body=ARTICLE.format(t=f"关于印发第{n}号实施方案的通知", n=n)),
            etag=f'"a{n}"',
        )


def _config(srv: LoopbackServer) -> Config:
    source = Source(
        id="qx",
        name="某区教育委员会",
        level="district",
        allow_private=True,
        lists=(ListSpec(url=srv.url("/list/"), item="ul.list a", date="span"),),
    )
    fetch = FetchSettings(retries=0, timeout_seconds=5, min_delay_seconds=0, jitter_seconds=0)
    return Config(settings=Settings(fetch=fetch), sources=(source,))


def _list_statuses(store: Store, url: str) -> list[int | None]:
    return [r["status"] for r in reversed(store.fetch_log(limit=1000)) if r["url"] == url]


def test_an_unchanged_list_page_costs_one_304(tmp_path: Path) -> None:
    with LoopbackServer() as srv, Store.open(tmp_path / "w.db") as store:
        _serve(srv, [1, 2], etag='"l1"')
        config = _config(srv)
        first = asyncio.run(Pipeline(config, store, rank=False).run_cycle())
        assert first.total("new_documents") == 2
        second = asyncio.run(Pipeline(config, store, rank=False).run_cycle())
        list_url = srv.url("/list/")
        assert _list_statuses(store, list_url) == [200, 304]
        # the documents the list links to are still re-checked (304 each), nothing is lost
        assert second.total("unchanged") == 2 and second.outcomes[0].status == "ok"

        _serve(srv, [1, 2, 3], etag='"l2"')  # a new document on the list: a new ETag
        third = asyncio.run(Pipeline(config, store, rank=False).run_cycle())
        assert _list_statuses(store, list_url) == [200, 304, 200]
        assert third.total("new_documents") == 1
        doc = store.document_by_url(srv.url("/a3.html"))
        assert doc is not None and doc.published_date == "2026-01-03"  # the list's date kept
