"""Where the fetcher may connect: public addresses only, on the source's own ports.

``check_target`` refuses a URL before any request (not http(s), a literal non-public address, a
port the source does not use). ``pinned_transport`` is the httpx transport the fetcher uses for
the real network: its network backend resolves each host itself, refuses the connection when any
answer is not a global address (``ipaddress``'s ``is_global``: loopback, RFC 1918, 100.64.0.0/10,
link-local and metadata addresses, ULA…), and then connects to exactly the address it checked.
The name is never resolved a second time by somebody else, so a DNS server that answers a public
address for the check and 127.0.0.1 for the connection (DNS rebinding) reaches nothing. TLS
still verifies the certificate and sends SNI for the host name, not the address.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from watcher.config import Source
from watcher.errors import FetchError, OffsiteError
from watcher.netloc import host_of, is_private_host, literal_ip

__all__ = ["PinnedBackend", "allowed_ports", "check_target", "effective_port", "pinned_transport"]

#: host, port → the addresses it resolves to (the default asks the system resolver).
Resolver = Callable[[str, int], Awaitable[list[str]]]
DEFAULT_PORTS = {"http": 80, "https": 443}


def effective_port(url: str) -> int | None:
    """The port ``url`` connects to (80/443 when it names none), None when it is malformed."""
    parts = urlsplit(url)
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None


def allowed_ports(source: Source) -> frozenset[int]:
    """Ports a source may fetch from: those of its list URLs plus ``allowed_ports``. 80 and 443
    count as one (a site moving between http and https is followed); any other port needs the
    list URL or ``allowed_ports`` to name it."""
    ports = set(source.allowed_ports)
    for spec in source.lists:
        port = effective_port(spec.url)
        if port is not None:
            ports.add(port)
    if ports & {80, 443}:
        ports |= {80, 443}
    return frozenset(ports)


def check_target(url: str, source: Source | None) -> None:
    """Refuse ``url`` before any request: not http(s), a literal private address (unless the
    source allows them), or a port the source does not use."""
    parts = urlsplit(url)
    host = host_of(url)
    if parts.scheme not in ("http", "https") or not host:
        raise FetchError(
            f"不是可抓取的 http(s) 网址: {url}；请检查 sources.yaml 或列表页里的链接", url=url
        )
    if is_private_host(host) and not (source is not None and source.allow_private):
        raise OffsiteError(_private_message(host, url), url=url)
    if source is None:
        return
    port = effective_port(url)
    ports = allowed_ports(source)
    if port not in ports:
        shown = "、".join(str(p) for p in sorted(ports))
        raise OffsiteError(
            f"{url} 使用的端口 {port if port is not None else '?'} 不是该来源的端口（{shown}），已拒绝。"
            f"如确属同一网站，请把该端口加入 sources.yaml 中该来源的 allowed_ports",
            url=url,
        )


def _private_message(host: str, url: str) -> str:
    return (
        f"拒绝访问内网或本机地址 {host}（{url}）。如果这是你自己的测试站点，"
        f"请在 sources.yaml 中给该来源设置 allow_private: true"
    )


async def _system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses it has checked itself."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._resolve = resolve or _system_resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses for ``host``; OffsiteError when any of them is not public."""
        bare = host.strip("[]")
        literal = literal_ip(bare)
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = list(dict.fromkeys(await self._resolve(bare, port)))
            except OSError as exc:
                raise httpcore.ConnectError(f"getaddrinfo failed for {bare}: {exc}") from exc
        if not found:
            raise httpcore.ConnectError(f"no address for {bare}")
        if not self.allow_private:
            bad = [a for a in found if is_private_host(a)]
            if bad:
                raise OffsiteError(
                    f"拒绝访问 {bare}：该域名解析到内网或本机地址 {'、'.join(bad)}。"
                    f"如果这是你自己的测试站点，请在 sources.yaml 中给该来源设置 allow_private: true",
                    url=f"//{bare}:{port}/",
                )
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address in await self.addresses(host, port):
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # try the next checked address, never a fresh lookup
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: PinnedBackend) -> None:
        super().__init__()
        # httpx takes no network backend of its own; its pool is rebuilt with ours (the same
        # pool settings httpx's defaults give).
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


def pinned_transport(
    *, allow_private: bool, resolve: Resolver | None = None
) -> httpx.AsyncBaseTransport:
    """The fetcher's transport: every connection goes to an address checked by ``PinnedBackend``."""
    return _PinnedTransport(PinnedBackend(allow_private=allow_private, resolve=resolve))
