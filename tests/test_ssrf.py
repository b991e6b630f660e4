"""Where the fetcher connects: only global addresses, the address it checked, the source's ports.

* Every address ``ipaddress`` does not call global is refused without ``allow_private``, the
  shared 100.64.0.0/10 range (100.100.100.200 is a cloud metadata address) included.
* DNS rebinding: a resolver that answers a public address for one lookup and 127.0.0.1 for the
  next never gets a request to the loopback server, because the address checked is the address
  connected to (the system resolver is replaced for the test, as a hostile DNS server would).
* A link or a redirect to another port of an allowed host is refused unless the source lists
  that port in ``allowed_ports``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.loopback import LoopbackServer, Reply, redirect
from watcher.config import FetchSettings, ListSpec, Source
from watcher.errors import FetchError, OffsiteError
from watcher.ingest.fetch import Fetcher
from watcher.models import FetchAttempt, Fetched

FAST = FetchSettings(
    timeout_seconds=1.0,
    retries=0,
    backoff_base_seconds=0.01,
    min_delay_seconds=0.0,
    jitter_seconds=0.0,
)
HTML = {"Content-Type": "text/html; charset=utf-8"}
SECRET_PAGE = "<html><body><p>仅限内网：管理后台</p></body></html>"
#: A global address (Google's public DNS over IPv6): what a hostile resolver answers first.
PUBLIC = "2001:4860:4860::8888"


def _source(url: str, **kw: Any) -> Source:
    return Source(
        id="s", name="测试", level="municipal", lists=(ListSpec(url=url, item="a"),), **kw
    )


def _fetch(url: str, source: Source, attempts: list[FetchAttempt] | None = None) -> Fetched:
    async def go() -> Fetched:
        on_attempt = attempts.append if attempts is not None else None
        async with Fetcher(FAST, on_attempt=on_attempt) as f:
            return await f.fetch(url, source=source)

    return asyncio.run(go())


@pytest.fixture
def srv() -> Iterator[LoopbackServer]:
    with LoopbackServer() as server:
        server.route("/", Reply(headers=HTML, body=SECRET_PAGE))
        yield server


@pytest.mark.parametrize(
    "host",
    ["100.100.100.200", "100.64.0.1", "198.18.0.1", "192.0.2.10", "[fd00::1]", "[64:ff9b:1::1]"],
)
def test_every_non_global_address_is_refused(host: str) -> None:
    url = f"http://{host}/latest/meta-data/"
    seen: list[FetchAttempt] = []
    with pytest.raises(OffsiteError, match="allow_private"):
        _fetch(url, _source(url), seen)
    assert [a.outcome for a in seen] == ["offsite"]  # refused before any connection


def _name(host: Any) -> str:
    return host.decode() if isinstance(host, bytes) else str(host)  # anyio passes IDNA bytes


class _Rebinding:
    """A resolver for ``rebind.example`` answering PUBLIC, then 127.0.0.1, alternately."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if _name(host) != "rebind.example":
            return self.real(host, port, *args, **kw)
        self.calls += 1
        if self.calls % 2:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (PUBLIC, port or 0, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]


def test_dns_rebinding_never_reaches_a_loopback_server(
    srv: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = _Rebinding(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    url = f"http://rebind.example:{srv.port}/"
    source = _source(url)
    for _ in range(3):  # three cycles: each lookup flips between the two answers
        with pytest.raises(FetchError):
            _fetch(url, source)
    assert resolver.calls >= 3
    assert srv.requests == [], "the loopback-only server must never be reached"


def test_a_name_with_any_private_answer_is_refused_at_connect_time(
    srv: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def both(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if _name(host) != "mixed.example":
            return real(host, port, *args, **kw)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (PUBLIC, port or 0, 0, 0)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    url = f"http://mixed.example:{srv.port}/"
    seen: list[FetchAttempt] = []
    with pytest.raises(OffsiteError, match=r"127\.0\.0\.1"):
        _fetch(url, _source(url), seen)
    assert srv.requests == [] and [a.outcome for a in seen] == ["offsite"]


def test_a_redirect_to_another_port_of_an_allowed_host_is_refused(srv: LoopbackServer) -> None:
    with LoopbackServer() as other:
        other.route("/admin", Reply(headers=HTML, body=SECRET_PAGE))
        srv.route("/go", redirect(other.url("/admin")))
        source = _source(srv.url("/"), allow_private=True, allowed_hosts=("127.0.0.1",))
        seen: list[FetchAttempt] = []
        with pytest.raises(OffsiteError, match="allowed_ports"):
            _fetch(srv.url("/go"), source, seen)
        assert other.requests == []
        assert [a.outcome for a in seen] == ["redirect", "offsite"]


def test_a_link_to_another_port_is_refused(srv: LoopbackServer) -> None:
    with LoopbackServer() as other:
        other.route("/admin", Reply(headers=HTML, body=SECRET_PAGE))
        source = _source(srv.url("/"), allow_private=True, allowed_hosts=("127.0.0.1",))
        with pytest.raises(OffsiteError, match="allowed_ports"):
            _fetch(other.url("/admin"), source)
        assert other.requests == []


def test_allowed_ports_opens_another_port(srv: LoopbackServer) -> None:
    with LoopbackServer() as other:
        other.route("/ok", Reply(headers=HTML, body="<p>ok</p>"))
        srv.route("/go", redirect(other.url("/ok")))
        source = _source(
            srv.url("/"),
            allow_private=True,
            allowed_hosts=("127.0.0.1",),
            allowed_ports=(other.port,),
        )
        got = _fetch(srv.url("/go"), source)
        assert got.final_url == other.url("/ok") and other.hits("/ok") == 1


def test_http_and_https_default_ports_go_together() -> None:
    from watcher.ingest.addresses import allowed_ports

    assert allowed_ports(_source("https://www.moe.gov.cn/")) == {80, 443}
    assert allowed_ports(_source("http://jw.cq.gov.cn:8080/")) == {8080}
