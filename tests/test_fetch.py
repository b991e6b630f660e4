"""Fetcher against a real HTTP server on 127.0.0.1: decoding, validators, retries, redirects,
address guard, challenge pages, size cap, failures, politeness and the attempt log."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest

from tests.support.loopback import LoopbackServer, Reply, redirect
from watcher.config import FetchSettings, ListSpec, Source
from watcher.errors import BlockedError, FetchError, HTTPStatusError, OffsiteError, TooLargeError
from watcher.ingest.fetch import Fetcher, decode_html
from watcher.models import FetchAttempt, Fetched

FAST = FetchSettings(
    timeout_seconds=1.0,
    retries=2,
    backoff_base_seconds=0.01,
    min_delay_seconds=0.0,
    jitter_seconds=0.0,
    max_retry_after_seconds=5.0,
    per_host_concurrency=2,
    max_bytes=1_000_000,
)
HTML = {"Content-Type": "text/html"}


class SleepRecorder:
    """An injected sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def source_for(
    url: str, *, allowed_hosts: tuple[str, ...] = (), allow_private: bool = True
) -> Source:
    return Source(
        id="test",
        name="测试来源",
        level="municipal",
        lists=(ListSpec(url=url, item="a"),),
        allowed_hosts=allowed_hosts,
        allow_private=allow_private,
    )


def fetch(
    url: str,
    settings: FetchSettings = FAST,
    *,
    source: Source | None = None,
    sleep: Any = None,
    attempts: list[FetchAttempt] | None = None,
    **kw: Any,
) -> Fetched:
    src = source if source is not None else source_for(url)

    async def go() -> Fetched:
        on_attempt = attempts.append if attempts is not None else None
        async with Fetcher(settings, sleep=sleep or SleepRecorder(), on_attempt=on_attempt) as f:
            return await f.fetch(url, source=src, **kw)

    return asyncio.run(go())


@pytest.fixture
def srv() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        yield server


# --------------------------------------------------------------------------- decoding

TITLE = "重庆市教育委员会关于印发《重庆市教育强市建设规划（2024—2035年）》的通知"


@pytest.mark.parametrize(
    ("content_type", "body", "codec", "expect"),
    [
        pytest.param(
            "text/html",
            f"<html><body>{TITLE}</body></html>".encode(),
            "utf-8",
            TITLE,
            id="utf8-no-charset",
        ),
        pytest.param(
            "text/html",
            (
                '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
                f"</head><body>{TITLE}</body></html>"
            ).encode("gbk"),
            "gb18030",
            TITLE,
            id="gbk-only-in-meta",
        ),
        pytest.param(
            "text/html;charset=GBK",
            f"<p>{TITLE}</p>".encode("gbk"),
            "gb18030",
            TITLE,
            id="charset=GBK-no-space",
        ),
        pytest.param(
            'text/html; charset="gbk"',
            "<p>生僻字𠀀与㐀见于古籍</p>".encode("gb18030"),
            "gb18030",
            "生僻字𠀀与㐀见于古籍",
            id="gb18030-only-char-under-gbk-label",
        ),
        pytest.param(
            "text/html; charset=Big5",
            "<p>教育強國建設規劃綱要</p>".encode("big5"),
            "big5hkscs",
            "教育強國建設規劃綱要",
            id="big5",
        ),
        pytest.param(
            "text/html; charset=ISO-8859-1",
            f"<p>{TITLE}</p>".encode(),
            "utf-8",
            TITLE,
            id="utf8-mislabelled-latin1",
        ),
    ],
)
def test_each_encoding_path_decodes_over_http(
    srv: LoopbackServer, content_type: str, body: bytes, codec: str, expect: str
) -> None:
    srv.route("/p", Reply(headers={"Content-Type": content_type}, body=body))
    got = fetch(srv.url("/p"))
    assert got.encoding == codec
    assert got.text is not None and expect in got.text
    assert got.content == body  # raw bytes kept exactly


@pytest.mark.parametrize(
    ("content", "content_type", "codec", "expect"),
    [
        # <meta charset> after a 50 KB inline script (as on Hanweb UCAP list pages)
        (
            b"<html><head><script>"
            + b"x" * 50_000
            + b'</script><meta charset="GB2312"></head>'
            + "<body>发布日期</body>".encode("gbk"),
            None,
            "gb18030",
            "发布日期",
        ),
        (
            "\ufeff<p>带字节序标记</p>".encode(),
            "text/html; charset=gbk",
            "utf-8-sig",
            "带字节序标记",
        ),
        # no label anywhere: detection finds GB text
        (
            ("<html><body>" + TITLE * 6 + "</body></html>").encode("gb18030"),
            "text/html",
            "gb18030",
            TITLE,
        ),
        # a stray broken byte in a declared GBK page is replaced, not fatal
        (
            "<p>职业教育".encode("gbk") + b"\xff" + "产教融合</p>".encode("gbk"),
            "text/html; charset=gbk",
            "gb18030",
            "产教融合",
        ),
        (b"<p>plain ascii</p>", "text/html", "utf-8", "plain ascii"),
        # a site moved to UTF-8 but still labels its pages GBK
        (f"<p>{TITLE}</p>".encode(), "text/html; charset=GBK", "utf-8", TITLE),
    ],
)
def test_decode_html_edge_cases(
    content: bytes, content_type: str | None, codec: str, expect: str
) -> None:
    text, used = decode_html(content, content_type)
    assert used == codec
    assert expect in text


def test_binary_content_is_kept_without_text(srv: LoopbackServer) -> None:
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 10
    srv.route("/a.pdf", Reply(headers={"Content-Type": "application/pdf"}, body=pdf))
    got = fetch(srv.url("/a.pdf"))
    assert (got.text, got.encoding, got.content, got.content_type) == (
        None,
        None,
        pdf,
        "application/pdf",
    )


def test_gzip_body_is_inflated(srv: LoopbackServer) -> None:
    page = f"<html><body>{TITLE}</body></html>".encode()
    srv.route("/z", Reply(headers={**HTML, "Content-Encoding": "gzip"}, body=gzip.compress(page)))
    got = fetch(srv.url("/z"))
    assert got.content == page and got.text is not None and TITLE in got.text


# --------------------------------------------------------------------------- validators


def test_etag_gives_304_not_modified(srv: LoopbackServer) -> None:
    srv.route("/doc", Reply(headers=HTML, body="<p>v1</p>"), etag='"abc"')
    first = fetch(srv.url("/doc"))
    assert first.etag == '"abc"' and not first.not_modified
    again = fetch(srv.url("/doc"), etag=first.etag)
    assert again.not_modified and again.status == 304 and again.content == b""
    assert again.etag == '"abc"'
    assert srv.requests[-1].headers["if-none-match"] == '"abc"'


def test_last_modified_gives_304_not_modified(srv: LoopbackServer) -> None:
    stamp = "Wed, 05 Mar 2025 08:00:00 GMT"
    srv.route("/doc", Reply(headers=HTML, body="<p>v1</p>"), last_modified=stamp)
    first = fetch(srv.url("/doc"))
    assert first.last_modified == stamp and first.status == 200
    again = fetch(srv.url("/doc"), last_modified=first.last_modified)
    assert again.not_modified and again.last_modified == stamp
    assert srv.requests[-1].headers["if-modified-since"] == stamp


# --------------------------------------------------------------------------- retries


def test_429_waits_for_retry_after_then_succeeds(srv: LoopbackServer) -> None:
    srv.route(
        "/r", Reply(status=429, headers={"Retry-After": "3"}), Reply(headers=HTML, body="<p>好</p>")
    )
    sleeps = SleepRecorder()
    got = fetch(srv.url("/r"), sleep=sleeps)
    assert got.status == 200 and srv.hits("/r") == 2
    assert max(sleeps.calls) >= 3.0


def test_retry_after_http_date_is_honoured(srv: LoopbackServer) -> None:
    srv.route(
        "/r",
        Reply(status=503, headers={"Retry-After": formatdate(time.time() + 3, usegmt=True)}),
        Reply(headers=HTML, body="<p>ok</p>"),
    )
    sleeps = SleepRecorder()
    got = fetch(srv.url("/r"), sleep=sleeps)
    assert got.status == 200
    assert 1.5 < max(sleeps.calls) <= 3.0  # HTTP dates have 1 s resolution


def test_retry_after_beyond_cap_gives_up_for_this_run(srv: LoopbackServer) -> None:
    srv.route("/r", Reply(status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(HTTPStatusError) as err:
        fetch(srv.url("/r"))
    assert err.value.status == 429 and err.value.retryable
    assert srv.hits("/r") == 1
    assert "3600" in str(err.value)


def test_500_then_200_is_retried_and_every_attempt_reported(srv: LoopbackServer) -> None:
    srv.route("/x", Reply(status=500), Reply(headers=HTML, body="<p>ok</p>"))
    seen: list[FetchAttempt] = []
    got = fetch(srv.url("/x"), attempts=seen)
    assert [a.outcome for a in seen] == ["http_error", "ok"]
    assert [a.status for a in seen] == [500, 200]
    assert [a.attempt for a in seen] == [1, 2]
    assert got.attempts == tuple(seen)


def test_persistent_503_fails_after_retries(srv: LoopbackServer) -> None:
    srv.route("/x", Reply(status=503))
    with pytest.raises(HTTPStatusError) as err:
        fetch(srv.url("/x"))
    assert err.value.status == 503 and err.value.retryable
    assert srv.hits("/x") == FAST.retries + 1


@pytest.mark.parametrize(
    ("status", "retryable"), [(404, False), (410, False), (403, True), (400, False)]
)
def test_client_errors_are_not_retried(srv: LoopbackServer, status: int, retryable: bool) -> None:
    srv.route("/gone", Reply(status=status, headers=HTML, body="<p>没有找到</p>"))
    seen: list[FetchAttempt] = []
    with pytest.raises(HTTPStatusError) as err:
        fetch(srv.url("/gone"), attempts=seen)
    assert err.value.status == status and err.value.retryable is retryable
    assert srv.hits("/gone") == 1
    assert [a.outcome for a in seen] == ["http_error"]


def test_connection_dropped_mid_body_is_retried(srv: LoopbackServer) -> None:
    body = ("<p>" + TITLE * 50 + "</p>").encode()
    srv.route("/c", Reply(headers=HTML, body=body, close_after=100), Reply(headers=HTML, body=body))
    seen: list[FetchAttempt] = []
    got = fetch(srv.url("/c"), attempts=seen)
    assert got.content == body
    assert [a.outcome for a in seen] == ["network_error", "ok"]
    assert seen[0].error is not None and "断开" in seen[0].error


# --------------------------------------------------------------------------- redirects and address guard


def test_redirect_within_allowed_hosts_is_followed(srv: LoopbackServer) -> None:
    srv.route("/old", redirect("/new/index.html", 301))
    srv.route("/new/index.html", Reply(headers=HTML, body="<p>新地址</p>"))
    seen: list[FetchAttempt] = []
    got = fetch(srv.url("/old"), attempts=seen)
    assert got.final_url == srv.url("/new/index.html") and got.url == srv.url("/old")
    assert got.text is not None and "新地址" in got.text
    assert [a.outcome for a in seen] == ["redirect", "ok"]


def test_redirect_to_other_host_is_refused(srv: LoopbackServer) -> None:
    srv.route("/go", redirect("http://evil.example.com/phish"))
    seen: list[FetchAttempt] = []
    with pytest.raises(OffsiteError) as err:
        fetch(
            srv.url("/go"),
            source=source_for(srv.url("/"), allowed_hosts=("127.0.0.1",)),
            attempts=seen,
        )
    assert "evil.example.com" in str(err.value) and "allowed_hosts" in str(err.value)
    assert [a.outcome for a in seen] == ["offsite"]


def test_redirect_loop_is_a_fetch_error(srv: LoopbackServer) -> None:
    srv.route("/a", redirect("/b"))
    srv.route("/b", redirect("/a"))
    with pytest.raises(FetchError, match="重定向超过"):
        fetch(srv.url("/a"))
    assert srv.hits("/a") + srv.hits("/b") == 11


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:9/",
        "http://127.0.0.1:9/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://2130706433/",
        "http://127.1/",
        "http://app.localhost/",
    ],
)
def test_private_addresses_are_refused_without_allow_private(url: str) -> None:
    with pytest.raises(OffsiteError, match="allow_private"):
        fetch(url, source=source_for("http://www.cq.gov.cn/", allow_private=False))
    with pytest.raises(OffsiteError, match="allow_private"):
        asyncio.run(_fetch_without_source(url))


async def _fetch_without_source(url: str) -> Fetched:
    async with Fetcher(FAST) as f:
        return await f.fetch(url)


# --------------------------------------------------------------------------- challenge pages

JSL = b"<html><script>document.cookie=('__jsl_clearance_s=')+('1700000000.1|0|')+'abc';location.href=location.pathname+location.search</script></html>"
RS = b'<html><head><meta content="{qqqqqqqqqqqq.abcd" r="m"><script>var $_ts=window[\'$_ts\'];if(!$_ts)$_ts={};</script><script r="m">x</script></head><body></body></html>'


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(status=521, headers=HTML, body=JSL), id="521-jsl"),
        pytest.param(Reply(status=412, headers=HTML, body=RS), id="412-rs"),
        pytest.param(Reply(status=200, headers=HTML, body=RS), id="200-with-$_ts"),
        pytest.param(
            Reply(status=512, headers=HTML, body=b"<script>document.cookie='a=b'</script>"),
            id="512-js-cookie",
        ),
        pytest.param(
            Reply(
                status=200,
                headers=HTML,
                body=b"<html><script>var arg1='3B5';document.cookie='acw_sc__v2='+x;location.reload()</script></html>",
            ),
            id="200-acw_sc__v2",
        ),
        pytest.param(
            Reply(
                status=200,
                headers=HTML,
                body=b"<html><body><script>document.cookie='t=1;path=/';location.reload();</script></body></html>",
            ),
            id="200-tiny-cookie-page",
        ),
    ],
)
def test_challenge_pages_are_blocked_never_content(srv: LoopbackServer, reply: Reply) -> None:
    srv.route("/w", reply)
    seen: list[FetchAttempt] = []
    with pytest.raises(BlockedError) as err:
        fetch(srv.url("/w"), attempts=seen)
    assert "反爬虫" in str(err.value)
    assert srv.hits("/w") == 1
    assert [a.outcome for a in seen] == ["blocked"]


@pytest.mark.parametrize("script", ["document.cookie='font=big';", "var $_ts=window['$_ts'];"])
def test_real_page_with_protection_script_is_content(srv: LoopbackServer, script: str) -> None:
    page = (
        f"<html><body><script>{script}</script><div>"
        + "各区县教委要深化产教融合，推进职业教育高质量发展。" * 120
        + "</div></body></html>"
    ).encode()
    srv.route("/real", Reply(headers=HTML, body=page))
    assert fetch(srv.url("/real")).status == 200


# --------------------------------------------------------------------------- size cap and failures


def test_declared_oversize_is_refused_before_reading(srv: LoopbackServer) -> None:
    srv.route("/big", Reply(headers=HTML, body=b"x" * 3_000_000, drip=0.05, chunk_size=65536))
    small = FAST.model_copy(update={"max_bytes": 100_000})
    with pytest.raises(TooLargeError, match="max_bytes"):
        fetch(srv.url("/big"), small)
    # Refused on the Content-Length: the client hung up long before the 3 MB were sent.
    assert srv.bytes_sent("/big") < 1_500_000


def test_streamed_oversize_stops_at_the_cap(srv: LoopbackServer) -> None:
    srv.route(
        "/big",
        Reply(headers=HTML, body=b"x" * 3_000_000, drip=0.02, chunk_size=32768, chunked=True),
    )
    small = FAST.model_copy(update={"max_bytes": 100_000})
    seen: list[FetchAttempt] = []
    with pytest.raises(TooLargeError):
        fetch(srv.url("/big"), small, attempts=seen)
    assert srv.bytes_sent("/big") < 1_500_000  # reading stopped at the cap, not at the end
    assert [a.outcome for a in seen] == ["too_large"] and srv.hits("/big") == 1


def test_gzip_bomb_is_stopped_at_the_cap(srv: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # ~50 KB on the wire
    srv.route("/bomb", Reply(headers={**HTML, "Content-Encoding": "gzip"}, body=bomb))
    with pytest.raises(TooLargeError):
        fetch(srv.url("/bomb"), FAST.model_copy(update={"max_bytes": 1_000_000}))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_dead_host_is_a_retryable_fetch_error(host: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://{host}:{port}/index.html"
    seen: list[FetchAttempt] = []
    with pytest.raises(FetchError) as err:
        fetch(url, attempts=seen)
    assert "连接被拒绝" in str(err.value) and "下一轮会自动重试" in str(err.value)
    assert err.value.retryable and err.value.url == url
    assert [a.outcome for a in seen] == ["network_error"] * (FAST.retries + 1)
    assert all(a.status is None for a in seen)


def test_slow_response_times_out(srv: LoopbackServer) -> None:
    # Without a working timeout the page would arrive after 20 s and the fetch would succeed.
    srv.route("/slow", Reply(headers=HTML, body=b"<p>late</p>", delay=20.0))
    quick = FAST.model_copy(update={"timeout_seconds": 0.3, "retries": 0})
    with pytest.raises(FetchError, match="超时") as err:
        fetch(srv.url("/slow"), quick)
    assert err.value.retryable


def test_slow_drip_body_hits_the_total_deadline(srv: LoopbackServer) -> None:
    # Every chunk arrives within the read timeout; only a total deadline stops the 20 s body.
    srv.route("/drip", Reply(headers=HTML, body=b"y" * 200, chunk_size=2, drip=0.2))
    quick = FAST.model_copy(update={"timeout_seconds": 0.25, "retries": 0})
    with pytest.raises(FetchError, match="超时"):
        fetch(srv.url("/drip"), quick)
    assert srv.bytes_sent("/drip") < 200


# --------------------------------------------------------------------------- politeness and headers


def test_per_host_concurrency_is_respected(srv: LoopbackServer) -> None:
    for i in range(8):
        srv.route(f"/p{i}", Reply(headers=HTML, body=b"<p>ok</p>", delay=0.15))

    async def go() -> None:
        async with Fetcher(FAST) as f:
            src = source_for(srv.url("/"))
            await asyncio.gather(*(f.fetch(srv.url(f"/p{i}"), source=src) for i in range(8)))

    asyncio.run(go())
    assert srv.max_in_flight == FAST.per_host_concurrency


class FrozenClock:
    """An injected clock that never moves: politeness waits are then exactly the schedule the
    fetcher computed, whatever the machine's load."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_min_delay_spaces_requests_to_one_host_but_not_across_hosts() -> None:
    polite = FAST.model_copy(
        update={"min_delay_seconds": 0.1, "jitter_seconds": 0.02, "per_host_concurrency": 4}
    )
    waits = SleepRecorder()
    with LoopbackServer() as a, LoopbackServer() as b:
        for s in (a, b):
            for i in range(4):
                s.route(f"/p{i}", Reply(headers=HTML, body=b"<p>ok</p>"))

        async def go() -> None:
            async with Fetcher(polite, sleep=waits, clock=FrozenClock()) as f:
                # two servers on one host name: the source lists both ports
                src = source_for(a.url("/")).model_copy(update={"allowed_ports": (a.port, b.port)})
                await asyncio.gather(
                    *(f.fetch(s.url(f"/p{i}"), source=src) for s in (a, b) for i in range(4))
                )

        asyncio.run(go())
        assert a.hits("/p3") == b.hits("/p3") == 1
    # Each host has its own schedule from now: its 2nd, 3rd and 4th requests wait one, two and
    # three spacings (0.1 s plus up to 0.02 s jitter each); the other host never waits for it.
    starts = sorted(waits.calls)
    assert len(starts) == 6
    for tier in range(3):
        pair = starts[2 * tier : 2 * tier + 2]
        assert all(0.1 * (tier + 1) <= w <= 0.12 * (tier + 1) for w in pair), starts


def test_request_headers_carry_user_agent_and_validators(srv: LoopbackServer) -> None:
    srv.route("/h", Reply(headers=HTML, body=b"<p>ok</p>"))
    fetch(srv.url("/h"), etag='W/"x1"', last_modified="Wed, 05 Mar 2025 08:00:00 GMT")
    seen = srv.requests[-1].headers
    assert "policy-watcher" in seen["user-agent"]
    assert seen["if-none-match"] == 'W/"x1"'
    assert seen["if-modified-since"] == "Wed, 05 Mar 2025 08:00:00 GMT"
