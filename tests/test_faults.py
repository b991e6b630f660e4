"""Network faults through whole cycles: a document that was fetched fine turns into a fault.

Each case runs real cycles (``Pipeline.run_cycle``) against real loopback servers into a real
SQLite store: cycle 1 stores the document; then the document's URL starts failing in one way
(refused, reset, slow, broken gzip, 5xx/429 storms, redirect loop, oversized, mislabelled or
binary body, soft-404 / maintenance page with HTTP 200). For every fault: the cycle returns an
outcome, no version is added and the stored text is unchanged, no new-version alert is raised,
the failure is in the fetch log, the health alert fires after ``settings.health_failures``
failed runs (once), and the source recovers (with a recovery alert) when the page comes back.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.loopback import LoopbackServer, Reply, redirect
from tests.support.loopback import _Handler as _LoopbackHandler
from tests.support.loopback import _Server as _LoopbackHTTPServer
from watcher.config import Config, FetchSettings, ListSpec, Settings, Source
from watcher.pipeline.cycle import CycleReport, Pipeline
from watcher.store import Store

HTML = {"Content-Type": "text/html; charset=utf-8"}
TITLE = "关于开展职业教育活动周的通知"
DOC = f"""<html><head><meta charset="utf-8"><title>{TITLE}</title></head><body>
<div class="article"><h1>{TITLE}</h1>
<p>各镇街、区级各部门：</p>
<p>一、活动主题</p><p>（一）技能照亮前程。围绕产教融合开展展示活动，组织职业院校开放校园，邀请企业参与。</p>
<p>二、工作要求</p><p>（二）各单位于7月20日前报送活动总结，材料须真实准确，并报区教委职成科备案。</p>
<p>三、联系方式</p><p>联系人：张老师，电话：023-12345678。</p>
</div></body></html>"""
#: What the page would say if the fault leaked through: a different deadline, i.e. a "change".
CHANGED = DOC.replace("7月20日", "8月31日")
MAX_BYTES = 200_000


def _maintenance(text: str) -> str:
    return (
        f"<html><head><meta charset='utf-8'><title>{text}</title></head><body>"
        f"<div class='article'><h1>{text}</h1><p>{text}，请稍后访问。给您带来不便敬请谅解。</p></div></body></html>"
    )


def _list_page(doc_url: str) -> str:
    return (
        f'<html><body><ul class="list"><li><a href="{doc_url}">{TITLE}</a>'
        f"<span>2025-07-07</span></li></ul></body></html>"
    )


class _RestartableServer(LoopbackServer):
    """A LoopbackServer that can come back on the port it had (connection-refused faults)."""

    def __init__(self) -> None:
        super().__init__()
        self._fixed_port = 0

    def start(self) -> LoopbackServer:
        import threading

        self._stopping.clear()
        server = _LoopbackHTTPServer(("127.0.0.1", self._fixed_port), _LoopbackHandler)
        server.owner = self
        self._server = server
        self._fixed_port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._fixed_port


@dataclass
class Site:
    lists: LoopbackServer
    docs: _RestartableServer
    store: Store
    config: Config

    @property
    def doc_url(self) -> str:
        return self.docs.url("/doc/1.html")

    def cycle(self) -> CycleReport:
        return asyncio.run(Pipeline(self.config, self.store).run_cycle())

    def serve(self, *replies: Reply) -> None:
        self.docs.route("/doc/1.html", *replies)

    def fetch_rows_after(self, last_id: int) -> list[dict[str, object]]:
        return self.store.query("SELECT * FROM fetches WHERE id > ? ORDER BY id", (last_id,))

    def last_fetch_id(self) -> int:
        return int(self.store.query("SELECT COALESCE(MAX(id), 0) AS n FROM fetches")[0]["n"])

    def versions(self) -> list[str]:
        ids = [int(r["id"]) for r in self.store.query("SELECT id FROM versions ORDER BY id")]
        return [v.text for i in ids if (v := self.store.version(i)) is not None]

    def alerts(self, kind: str) -> list[dict[str, object]]:
        return self.store.query("SELECT * FROM alerts WHERE kind = ? ORDER BY id", (kind,))


def _config(list_url: str, *, retries: int, timeout: float, doc_port: int) -> Config:
    source = Source(
        id="faulty",
        name="故障测试站",
        level="district",
        allow_private=True,
        allowed_hosts=("127.0.0.1",),
        allowed_ports=(doc_port,),  # the documents live on a second server
        lists=(ListSpec(url=list_url, item="ul.list a"),),
    )
    fetch = FetchSettings(
        timeout_seconds=timeout,
        retries=retries,
        backoff_base_seconds=0.01,
        min_delay_seconds=0,
        jitter_seconds=0,
        max_bytes=MAX_BYTES,
        max_retry_after_seconds=1,
    )
    return Config(settings=Settings(fetch=fetch, health_failures=2), sources=(source,))


@pytest.fixture()
def make_site(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    opened: list[tuple[LoopbackServer, LoopbackServer, Store]] = []

    def make(*, retries: int = 1, timeout: float = 0.3) -> Site:
        lists, docs = LoopbackServer().start(), _RestartableServer()
        docs.start()
        store = Store.open(tmp_path / f"w{len(opened)}.db")
        opened.append((lists, docs, store))
        site = Site(
            lists,
            docs,
            store,
            _config(lists.url("/list/"), retries=retries, timeout=timeout, doc_port=docs.port),
        )
        lists.route("/list/", Reply(body=_list_page(site.doc_url), headers=HTML))
        site.serve(Reply(body=DOC, headers=HTML))
        return site

    yield make
    for lists, docs, store in opened:
        store.close()
        lists.stop()
        docs.stop()


def _gzip(body: str) -> bytes:
    return gzip.compress(body.encode("utf-8"))


@dataclass(frozen=True)
class Fault:
    replies: tuple[Reply, ...] = ()
    refuse: bool = False  # stop the document's server: connection refused
    retries: int = 1
    timeout: float = 0.3
    outcomes: frozenset[str] = frozenset()  # fetch-log outcomes the failure may be recorded as


NET = frozenset({"network_error"})
HTTP = frozenset({"http_error"})
EXTRACT = frozenset({"extract_error"})

FAULTS: dict[str, Fault] = {
    "connection_refused": Fault(refuse=True, outcomes=NET),
    "reset_mid_body": Fault((Reply(body=CHANGED, headers=HTML, close_after=200),), outcomes=NET),
    "headers_never_come": Fault((Reply(body=CHANGED, headers=HTML, delay=2.0),), outcomes=NET),
    # Each chunk arrives within the read timeout, the whole body never does.
    "slow_drip_body": Fault(
        (Reply(body=CHANGED * 4, headers=HTML, chunk_size=64, drip=0.15),),
        retries=0,
        timeout=0.25,
        outcomes=NET,
    ),
    "truncated_gzip": Fault(
        (Reply(body=_gzip(CHANGED)[:300], headers={**HTML, "Content-Encoding": "gzip"}),),
        outcomes=frozenset({"bad_body"}),
    ),
    "corrupt_gzip": Fault(
        (
            Reply(
                body=b"\x1f\x8b\x08\x00" + b"garbage!" * 64,
                headers={**HTML, "Content-Encoding": "gzip"},
            ),
        ),
        outcomes=frozenset({"bad_body"}),
    ),
    "unknown_content_encoding": Fault(
        (Reply(body=CHANGED, headers={**HTML, "Content-Encoding": "br"}),),
        outcomes=frozenset({"bad_body"}),
    ),
    "http_500_storm": Fault((Reply(status=500, body="Internal Server Error"),), outcomes=HTTP),
    "http_503_retry_after_too_long": Fault(
        (Reply(status=503, headers={"Retry-After": "3600"}),), outcomes=HTTP
    ),
    "http_429_flood": Fault(
        (Reply(status=429, headers={"Retry-After": "0"}, body="slow down"),), outcomes=HTTP
    ),
    "http_404_gone": Fault((Reply(status=404, body="not found"),), outcomes=HTTP),
    "redirect_loop": Fault((redirect("/doc/1.html"),), outcomes=frozenset({"redirect_loop"})),
    "redirect_offsite": Fault(
        (redirect("http://evil.example.org/doc/1.html"),), outcomes=frozenset({"offsite"})
    ),
    "oversized_declared": Fault(
        (Reply(body=b"<p>" + b"x" * (MAX_BYTES * 2), headers=HTML),),
        outcomes=frozenset({"too_large"}),
    ),
    "endless_chunked_body": Fault(
        (Reply(body=b"<p>" + "无尽".encode() * MAX_BYTES, headers=HTML, chunked=True),),
        outcomes=frozenset({"too_large"}),
    ),
    "gzip_bomb": Fault(
        (
            Reply(
                body=gzip.compress(b"<p>" + b"\x20" * (MAX_BYTES * 50)),
                headers={**HTML, "Content-Encoding": "gzip"},
            ),
        ),
        outcomes=frozenset({"too_large"}),
    ),
    "empty_200": Fault((Reply(body=b"", headers=HTML),), outcomes=EXTRACT),
    "binary_as_html": Fault((Reply(body=bytes(range(256)) * 16, headers=HTML),), outcomes=EXTRACT),
    "random_bytes_as_html": Fault(
        (Reply(body=bytes((i * 7919 + 13) % 251 for i in range(40000)), headers=HTML),),
        outcomes=EXTRACT,
    ),
    "pdf_bytes_as_html": Fault(
        (Reply(body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 16, headers=HTML),),
        outcomes=EXTRACT,
    ),
    "maintenance_200": Fault(
        (Reply(body=_maintenance("网站维护中"), headers=HTML),), outcomes=EXTRACT
    ),
    "soft_404_200": Fault(
        (Reply(body=_maintenance("您访问的页面不存在"), headers=HTML),), outcomes=EXTRACT
    ),
    "waf_challenge_200": Fault(
        (
            Reply(
                body="<html><script>document.cookie='__jsl_clearance=1';location.reload()</script></html>",
                headers=HTML,
            ),
        ),
        outcomes=frozenset({"blocked"}),
    ),
    "waf_challenge_521": Fault(
        (Reply(status=521, body="<script>var x=1</script>"),), outcomes=frozenset({"blocked"})
    ),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_a_fault_never_becomes_a_version_and_health_follows_it(
    name: str, make_site: Callable[..., Site]
) -> None:
    fault = FAULTS[name]
    site = make_site(retries=fault.retries, timeout=fault.timeout)
    first = site.cycle()
    assert first.outcomes[0].status == "ok" and first.outcomes[0].new_documents == 1
    stored = site.versions()
    assert len(stored) == 1 and "7月20日" in stored[0]

    if fault.refuse:
        site.docs.stop()
    else:
        site.serve(*fault.replies)
    for run in (1, 2, 3):
        before = site.last_fetch_id()
        report = site.cycle()  # returns an outcome: no exception escapes the cycle
        outcome = report.outcomes[0]
        assert outcome.status == "failed", (run, outcome)
        assert outcome.error, "the outcome says why"
        assert site.versions() == stored, "a fault must never become a version"
        rows = [r for r in site.fetch_rows_after(before) if r["url"] == site.doc_url]
        failed = [r for r in rows if r["outcome"] != "ok"]
        assert failed and {str(r["outcome"]) for r in failed} <= fault.outcomes | {"redirect"}, rows
        assert {str(r["outcome"]) for r in failed} & fault.outcomes, rows
        assert all(r["error"] for r in failed if r["outcome"] != "redirect")
        health = site.alerts("source_health")
        # settings.health_failures = 2: the alert on the second failed run, and only once.
        assert len(health) == (0 if run < 2 else 1), (run, health)
    assert site.alerts("new_version") == []
    assert site.store.source_row("faulty").consecutive_failures == 3  # type: ignore[union-attr]

    if fault.refuse:
        site.docs.start()
    site.serve(Reply(body=DOC, headers=HTML))
    recovered = site.cycle().outcomes[0]
    assert recovered.status == "ok" and recovered.unchanged == 1 and recovered.new_versions == 0
    assert site.versions() == stored
    assert site.alerts("source_recovered"), "recovery is announced"
    assert all(a["resolved_at"] for a in site.alerts("source_health")), (
        "the health alert is resolved"
    )
    assert site.alerts("new_version") == []
    assert site.store.source_row("faulty").consecutive_failures == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "content_type", ["application/octet-stream", "text/plain", "image/jpeg", ""]
)
def test_the_same_page_with_a_wrong_content_type_is_not_a_change(
    content_type: str, make_site: Callable[..., Site]
) -> None:
    site = make_site()
    site.cycle()
    stored = site.versions()
    headers = {"Content-Type": content_type} if content_type else {}
    site.serve(Reply(body=DOC.encode("utf-8"), headers=headers))
    outcome = site.cycle().outcomes[0]
    assert outcome.new_versions == 0, outcome
    assert site.versions() == stored
    assert site.alerts("new_version") == []


def test_a_dead_list_page_reaches_the_health_alert_and_recovers(
    make_site: Callable[..., Site],
) -> None:
    site = make_site()
    site.cycle()
    site.lists.route("/list/", Reply(status=502, body="Bad Gateway"))
    outcomes = [site.cycle().outcomes[0] for _ in range(3)]
    assert [o.status for o in outcomes] == ["failed"] * 3
    assert len(site.alerts("source_health")) == 1
    log = site.store.fetch_log("faulty", limit=50)
    assert any(r["status"] == 502 and r["outcome"] == "http_error" for r in log)
    site.lists.route("/list/", Reply(body=_list_page(site.doc_url), headers=HTML))
    assert site.cycle().outcomes[0].status == "ok"
    assert site.alerts("source_recovered")
    assert len(site.versions()) == 1


def test_a_fault_in_one_document_spares_the_others(make_site: Callable[..., Site]) -> None:
    """A document that breaks mid-run is skipped; its neighbours on the same list are stored."""
    site = make_site()
    other = site.docs.url("/doc/2.html")
    site.lists.route(
        "/list/",
        Reply(
            body=_list_page(site.doc_url).replace(
                "</ul>", f'<li><a href="{other}">另一份通知</a></li></ul>'
            ),
            headers=HTML,
        ),
    )
    site.docs.route(
        "/doc/2.html", Reply(body=DOC.replace(TITLE, "关于做好暑期安全工作的通知"), headers=HTML)
    )
    site.serve(Reply(body=bytes(range(256)) * 64, headers=HTML))
    outcome = site.cycle().outcomes[0]
    assert outcome.status == "partial" and outcome.failed == 1 and outcome.new_documents == 1
    assert len(site.versions()) == 1
