"""Boundaries: where the crawler may go, where secrets may appear, what the web UI lets through.

* A source without ``allow_private`` never reaches loopback or private addresses, by literal
  address, by ``localhost`` or by a host name that resolves to loopback; no request arrives.
* A source fetches only from its own hosts: a list page linking elsewhere is refused and logged.
* Notification secrets (a mailto password, a WeCom key, a DingTalk token and signing secret, a
  webhook HMAC secret) never appear in a daemon's log, in any table of the store, in alert
  texts, in CLI output or in web UI pages, even when deliveries fail and errors are logged.
* The web UI shows fetched content inert and is read-only; the demo server and the blob store
  never touch files outside their roots.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.support.loopback import LoopbackServer, Reply
from tests.support.receiver import Receiver
from watcher.config import Config, FetchSettings, ListSpec, Settings, Source
from watcher.demo.server import DemoServer
from watcher.pipeline.cycle import Pipeline
from watcher.store import Store
from watcher.web import create_app

HTML = {"Content-Type": "text/html; charset=utf-8"}
FAST = FetchSettings(
    timeout_seconds=2, retries=0, backoff_base_seconds=0.01, min_delay_seconds=0, jitter_seconds=0
)
DOC = (
    "<html><head><meta charset='utf-8'><title>关于开展职业教育活动周的通知</title></head><body>"
    "<div class='article'><h1>关于开展职业教育活动周的通知</h1><p>一、活动主题</p>"
    "<p>（一）技能照亮前程。围绕产教融合开展展示活动，组织职业院校开放校园。</p></div></body></html>"
)


def _cycle(store: Store, source: Source) -> object:
    config = Config(settings=Settings(fetch=FAST), sources=(source,))
    return asyncio.run(Pipeline(config, store).run_cycle()).outcomes[0]


def _hostname_on_loopback() -> str | None:
    """A host name (not ``localhost``) that this machine resolves to a loopback address."""
    for name in (socket.gethostname(), "localhost.localdomain", "ip6-localhost"):
        try:
            addrs = {info[4][0] for info in socket.getaddrinfo(name, None)}
        except OSError:
            continue
        if name != "localhost" and addrs and all(a.startswith("127.") or a == "::1" for a in addrs):
            return name
    return None


LOOPBACK_NAME = _hostname_on_loopback()
PRIVATE_HOSTS = [
    "127.0.0.1",
    "localhost",
    "127.1",
    "2130706433",
    "0x7f.0.0.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "app.localhost",
]


@pytest.mark.parametrize(
    "host",
    [
        *PRIVATE_HOSTS,
        pytest.param(
            LOOPBACK_NAME or "unresolvable",
            marks=pytest.mark.skipif(
                LOOPBACK_NAME is None, reason="no host name resolves to loopback on this machine"
            ),
        ),
    ],
)
def test_a_source_without_allow_private_never_reaches_loopback(host: str, tmp_path: Path) -> None:
    with LoopbackServer() as srv, Store.open(tmp_path / "w.db") as store:
        srv.route(
            "/list/", Reply(body='<ul><li><a href="/doc.html">通知</a></li></ul>', headers=HTML)
        )
        url = f"http://{host}:{srv.port}/list/"
        source = Source(id="p", name="内网", level="district", lists=(ListSpec(url=url, item="a"),))
        outcome = _cycle(store, source)
        assert outcome.status == "failed" and "allow_private" in (outcome.error or "")
        assert srv.requests == [], "no request may reach a private address"
        assert [r["outcome"] for r in store.fetch_log("p")] == ["offsite"]


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/list/",
        "http://192.168.1.1/list/",
        "http://172.16.0.1/list/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_networks_are_refused_before_connecting(url: str, tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        source = Source(id="p", name="内网", level="district", lists=(ListSpec(url=url, item="a"),))
        outcome = _cycle(store, source)
        assert outcome.status == "failed" and "allow_private" in (outcome.error or "")
        # Refused up front: no connection was tried, so no network error or timeout was logged.
        assert [r["outcome"] for r in store.fetch_log("p")] == ["offsite"]


def test_allow_private_opens_loopback_for_that_source_only(tmp_path: Path) -> None:
    with LoopbackServer() as srv, Store.open(tmp_path / "w.db") as store:
        srv.route(
            "/list/",
            Reply(
                body=f'<ul><li><a href="{srv.url("/doc.html")}">通知</a></li></ul>', headers=HTML
            ),
        )
        srv.route("/doc.html", Reply(body=DOC, headers=HTML))
        lists = (ListSpec(url=srv.url("/list/"), item="a"),)
        ok = Source(id="ok", name="演示", level="district", allow_private=True, lists=lists)
        closed = Source(id="closed", name="外网", level="district", lists=lists)
        config = Config(settings=Settings(fetch=FAST), sources=(ok, closed))
        outcomes = {
            o.source_id: o for o in asyncio.run(Pipeline(config, store).run_cycle()).outcomes
        }
        assert outcomes["ok"].status == "ok" and outcomes["closed"].status == "failed"


def test_links_to_other_hosts_are_not_followed(tmp_path: Path) -> None:
    with LoopbackServer() as srv, Store.open(tmp_path / "w.db") as store:
        offsite = f"http://localhost:{srv.port}/doc.html"  # same server, another host name
        srv.route(
            "/list/",
            Reply(
                body=f'<ul><li><a href="{offsite}">外站通知</a></li>'
                f'<li><a href="/own.html">本站通知</a></li></ul>',
                headers=HTML,
            ),
        )
        srv.route("/own.html", Reply(body=DOC, headers=HTML))
        srv.route("/doc.html", Reply(body=DOC.replace("活动周", "外站"), headers=HTML))
        source = Source(
            id="s",
            name="本站",
            level="district",
            allow_private=True,
            allowed_hosts=("127.0.0.1",),
            lists=(ListSpec(url=srv.url("/list/"), item="a"),),
        )
        outcome = _cycle(store, source)
        assert outcome.new_documents == 1 and outcome.failed == 1
        assert srv.hits("/doc.html") == 0 and srv.hits("/own.html") == 1
        assert any(r["outcome"] == "offsite" and r["url"] == offsite for r in store.fetch_log("s"))
        assert [d.url for d in store.documents()] == [srv.url("/own.html")]


# --------------------------------------------------------------------------- secrets

SECRETS = {
    "MAIL_PASSWORD": "MailPass-9f3c1e",
    "WECOM_KEY": "wecomkey-7d2a44b1",
    "DING_TOKEN": "dingtoken-55e0aa",
    "DING_SECRET": "SECdingsecret-3b19",
    "WATCHER_WEBHOOK_SECRET": "hmac-secret-c0ffee",
}
SITE_LIST = (
    '<html><head><meta charset="utf-8"></head><body><ul class="list">'
    '<li><a href="./p/t1.html">关于开展职业教育活动周的通知</a><span>2025-07-07</span></li></ul></body></html>'
)
SITE_CONFIG = """
settings:
  fetch: {{min_delay_seconds: 0, jitter_seconds: 0, retries: 0, timeout_seconds: 3}}
  notify:
    min_severity: info
    urls:
      - "mailto://editor:${{MAIL_PASSWORD}}@127.0.0.1:{dead_port}?to=a@example.org&from=w@example.org"
      - "wecom://${{WECOM_KEY}}"
      - "dingtalk://${{DING_TOKEN}}?secret=${{DING_SECRET}}"
      - "json://127.0.0.1:{rx_port}/hook"
sources:
  - id: hc-sec
    name: 合川区安全测试
    level: district
    allow_private: true
    allowed_hosts: [127.0.0.1]
    interval_minutes: 0.02
    jitter_seconds: 0
    lists:
      - url: {base}/www.hc.gov.cn/xxgk/gggs/
        item: "ul.list li a"
"""


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dump_store(db: Path) -> str:
    with Store.open(db) as store:
        tables = [
            r[0]
            for r in store.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'search_%'"
            )
        ]
        out = []
        for table in tables:
            for row in store.conn.execute(f'SELECT * FROM "{table}"'):
                out.append(
                    f"{table}: "
                    + " | ".join(
                        v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                        for v in row
                    )
                )
    return "\n".join(out)


def test_notification_secrets_never_leak(tmp_path: Path) -> None:
    site = tmp_path / "sites" / "www.hc.gov.cn" / "xxgk" / "gggs"
    (site / "p").mkdir(parents=True)
    (site / "index.html").write_text(SITE_LIST, encoding="utf-8")
    (site / "p" / "t1.html").write_text(DOC, encoding="utf-8")
    db = tmp_path / "store" / "watcher.db"
    with DemoServer(root=tmp_path / "sites") as server, Receiver() as rx:
        rx.errcode_first(2)  # the bots answer "invalid key" first: errors get logged
        rx.fail_first(1)
        config = tmp_path / "sources.yaml"
        config.write_text(
            SITE_CONFIG.format(base=server.base_url, rx_port=rx.port, dead_port=_dead_port()),
            encoding="utf-8",
        )
        assert not any(v in config.read_text("utf-8") for v in SECRETS.values())
        env = {
            **os.environ,
            **SECRETS,
            "WATCHER_STORE": str(db),
            "WATCHER_CONFIG": str(config),
            "WATCHER_WECOM_ENDPOINT": rx.url("/wecom"),
            "WATCHER_DINGTALK_ENDPOINT": rx.url("/ding"),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "watcher", "run", "--log-json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (db.exists() and _count_alerts(db) >= 1):
                time.sleep(0.3)
            # the outbox runs at start; run it again so the queued alert meets the failing bots
            runs = [
                subprocess.run(
                    [sys.executable, "-m", "watcher", *args],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                for args in (
                    ["deliver", "--retry-now"],
                    ["deliver", "--retry-now"],
                    ["alerts", "--json"],
                    ["status"],
                    ["sources"],
                )
            ]
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=20)
        assert rx.requests, "deliveries reached the bots and the webhook"
        assert any(not r.ok for r in rx.requests), "some deliveries failed and were logged"
        wire = [r for r in rx.requests if r.path in ("/wecom", "/ding")]
        assert wire and all(
            SECRETS["WECOM_KEY"] in r.query.get("key", SECRETS["WECOM_KEY"]) for r in wire
        )
    texts = {"daemon log": out + err, "store": _dump_store(db)}
    texts.update({f"watcher {' '.join(r.args[3:])}": r.stdout + r.stderr for r in runs})
    app = TestClient(create_app(db))
    with Store.open(db) as store:
        doc_ids = [d.id for d in store.documents()]
        texts["alert texts"] = "\n".join(
            f"{a['title']} {a['body']} {a['deliveries']}" for a in store.alerts()
        )
    for path in [
        "/",
        "/documents",
        "/feed.atom",
        "/digests",
        "/healthz",
        *(f"/documents/{i}" for i in doc_ids),
    ]:
        texts[f"web {path}"] = app.get(path).text
    assert "合川区安全测试" in texts["store"] and texts["alert texts"].strip()
    for where, text in texts.items():
        for name, secret in SECRETS.items():
            assert secret not in text, f"{name} leaked into {where}"


def _count_alerts(db: Path) -> int:
    try:
        with Store.open(db) as store:
            return int(store.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])
    except Exception:
        return 0


# --------------------------------------------------------------------------- web UI

HOSTILE_TITLE = '<script>alert("t")</script>关于<img src=x onerror=alert(1)>的通知'
HOSTILE_TEXT = (
    '一、总则\n点击<a href="javascript:alert(2)">这里</a><img src=x onerror="alert(3)">\n'
    '<svg onload=alert(4)></svg><iframe src="javascript:alert(5)"></iframe>'
)


@pytest.fixture()
def hostile_app(tmp_path: Path) -> tuple[TestClient, int]:
    db = tmp_path / "w.db"
    with Store.open(db) as store:
        first = store.save_version(
            url="javascript:alert(9)//x",
            identity_key="h",
            title=HOSTILE_TITLE,
            text=HOSTILE_TEXT,
            text_hash="h1",
            level="district",
            meta={"issuer": '<b onmouseover="alert(6)">教委</b>'},
        )
        store.save_version(
            url="javascript:alert(9)//x",
            identity_key="h",
            title=HOSTILE_TITLE,
            text=HOSTILE_TEXT + "\n二、<script>alert(7)</script>",
            text_hash="h2",
            level="district",
        )
    return TestClient(create_app(db)), first.document_id


def test_web_ui_shows_fetched_content_inert(hostile_app: tuple[TestClient, int]) -> None:
    import lxml.html

    client, doc_id = hostile_app
    for path in ["/", "/documents", f"/documents/{doc_id}", "/feed.atom", "/documents?q=通知"]:
        page = client.get(path)
        assert page.status_code == 200, path
        body = page.text
        assert "<script>alert" not in body and "<img src=x" not in body and "<svg" not in body, path
        if path == "/feed.atom":
            continue
        tree = lxml.html.fromstring(body)
        for el in tree.iter():
            for attr, value in el.attrib.items():
                assert not attr.lower().startswith("on"), (path, el.tag, attr)
                assert not value.strip().lower().startswith("javascript:"), (
                    path,
                    el.tag,
                    attr,
                    value,
                )
        assert not [s for s in tree.iter("script") if "alert" in (s.text or "")], path


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/documents", "/documents/1", "/digests", "/feed.atom"])
def test_web_ui_is_read_only(method: str, path: str, hostile_app: tuple[TestClient, int]) -> None:
    client, _ = hostile_app
    assert client.request(method, path).status_code == 405


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize(
    "path",
    [
        "/www.hc.gov.cn/../../etc/passwd",
        "/www.hc.gov.cn/%2e%2e/%2e%2e/etc/passwd",
        "/www.hc.gov.cn/..%2f..%2f..%2fetc%2fpasswd",
        "/../../../../etc/passwd",
        "/www.hc.gov.cn/%2fetc%2fpasswd",
        "/www.hc.gov.cn//etc/passwd",
        "/www.hc.gov.cn/link/passwd",
    ],
)
def test_demo_server_serves_nothing_outside_its_root(path: str, tmp_path: Path) -> None:
    root = tmp_path / "sites"
    (root / "www.hc.gov.cn").mkdir(parents=True)
    (root / "www.hc.gov.cn" / "index.html").write_text("<p>ok</p>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("root:x:0:0", encoding="utf-8")
    (root / "www.hc.gov.cn" / "link").mkdir()
    (root / "www.hc.gov.cn" / "link" / "passwd").symlink_to(tmp_path / "secret.txt")
    with DemoServer(root=root) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)  # sent raw: no client-side normalisation of ../
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
    assert answer.status in (301, 404), (path, answer.status)
    assert b"root:" not in body


def test_hostile_urls_and_names_never_create_files_outside_the_store(tmp_path: Path) -> None:
    """The blob store is content-addressed: URLs and attachment names never become paths."""
    before = set(Path("/tmp").glob("passwd*")) | set(Path.cwd().glob("*passwd*"))
    work = tmp_path / "work"
    (work / "store").mkdir(parents=True)
    long_doc = DOC.replace(
        "</div>", "<p>（二）" + "各单位要高度重视，精心组织，确保活动取得实效。" * 6 + "</p></div>"
    )
    evil_doc = long_doc.replace(
        "</div>",
        '<p>附件：<a href="../../../../etc/passwd.pdf">../../etc/passwd.pdf</a></p>'
        '<p><a href="/files/%2e%2e%2f%2e%2e%2fescape.docx">..\\..\\escape.docx</a></p></div>',
    )
    with LoopbackServer() as srv, Store.open(work / "store" / "watcher.db") as store:
        srv.route(
            "/list/",
            Reply(
                body='<ul><li><a href="/a/../../%2e%2e/doc%2F..%2F..%2Fx.html">../../etc/passwd</a></li>'
                '<li><a href="/list/..%2f..%2fetc%2fpasswd">通知二</a></li></ul>',
                headers=HTML,
            ),
        )
        srv.route("/%2e%2e/doc%2F..%2F..%2Fx.html", Reply(body=evil_doc, headers=HTML))
        srv.route(
            "/list/..%2f..%2fetc%2fpasswd",
            Reply(body=evil_doc.replace("活动周", "安全周"), headers=HTML),
        )
        srv.route(
            "/etc/passwd.pdf",
            Reply(body=b"%PDF-1.4 not really", headers={"Content-Type": "application/pdf"}),
        )
        source = Source(
            id="t",
            name="路径",
            level="district",
            allow_private=True,
            lists=(ListSpec(url=srv.url("/list/"), item="a"),),
        )
        cwd = Path.cwd()
        os.chdir(work / "store")
        try:
            outcome = _cycle(store, source)
        finally:
            os.chdir(cwd)
        assert outcome.new_documents == 2, outcome
        blobs = store.conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]
        assert blobs >= 1
    created = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert all(p == "work" or p.startswith("work/store") for p in created), created
    assert {Path(p).name for p in created} <= {
        "work",
        "store",
        "watcher.db",
        "watcher.db-wal",
        "watcher.db-shm",
    }, created
    assert set(Path("/tmp").glob("passwd*")) | set(Path.cwd().glob("*passwd*")) == before
