"""Fetch: a URL in, a ``Fetched`` out (raw bytes, status, headers, final URL, decoded text).

The pipeline's door to the web. ``Fetcher`` is polite per host (a concurrency limit and a minimum,
jittered delay between request starts), sends ETag / Last-Modified validators and turns 304 into
``not_modified``, retries 408/429/5xx and network failures with exponential backoff while honouring
Retry-After, never retries 403/404/410, caps the body size while streaming (compressed bodies are
inflated in bounded steps), follows redirects itself and only to the source's hosts and ports,
connects only to global addresses it checked itself (``ingest.addresses``: no DNS rebinding)
unless the source allows private ones, and treats anti-bot challenge pages
(加速乐, 瑞数, 阿里云 WAF) as failures, never as content. Every HTTP attempt is reported through
``on_attempt`` so the store can log it. ``decode_html`` is the pure bytes → text step: header
charset, then ``<meta>``, then detection; GBK/GB2312 decode as gb18030, Big5 as big5hkscs.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

from watcher.config import FetchSettings, Source
from watcher.errors import BlockedError, FetchError, HTTPStatusError, OffsiteError, TooLargeError
from watcher.ingest.addresses import Resolver, check_target, pinned_transport
from watcher.ingest.decode import (
    decode_html,
    detect_challenge,
    is_text_content,
)
from watcher.models import FetchAttempt, Fetched
from watcher.netloc import host_of

__all__ = ["Fetcher", "decode_html", "detect_challenge", "is_text_content"]

# --------------------------------------------------------------------------- heuristics as data
#: Statuses worth another try in the same run, besides every 5xx except 501 (521 is a challenge
#: and is caught before retries are considered).
RETRY_STATUSES = frozenset({408, 429})
NOT_RETRIED_5XX = frozenset({501})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
#: Bytes of an error page read to look for challenge markers.
ERROR_BODY_PEEK = 64 * 1024
#: One attempt (connect + headers + whole body) may take this many times timeout_seconds.
TOTAL_TIMEOUT_FACTOR = 6

Sleep = Callable[[float], Awaitable[None]]


# --------------------------------------------------------------------------- the fetcher


@dataclass
class _HostGate:
    semaphore: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


@dataclass
class _Timer:
    started: float


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class _Inflater:
    """Bounded gzip/deflate decoding: never produces more than ``limit`` + 1 bytes."""

    def __init__(self, encoding: str) -> None:
        self._wbits = 47 if encoding in ("gzip", "x-gzip") else 15  # 47: gzip or zlib header
        self._obj = zlib.decompressobj(self._wbits)
        self._first = True

    def feed(self, data: bytes, limit: int) -> bytes:
        try:
            out = self._obj.decompress(data, limit + 1)
        except zlib.error:
            if not (self._first and self._wbits == 15):
                raise
            self._obj = zlib.decompressobj(-15)  # raw deflate without a zlib header
            out = self._obj.decompress(data, limit + 1)
        self._first = False
        while self._obj.unconsumed_tail and len(out) <= limit:
            out += self._obj.decompress(self._obj.unconsumed_tail, limit + 1 - len(out))
        return out

    @property
    def complete(self) -> bool:
        """Whether the compressed stream reached its end marker (else the body was cut short)."""
        return self._obj.eof


class _BodyError(FetchError):
    """The body could not be read into bytes (corrupt or cut-off compression, unknown coding)."""


class Fetcher:
    """Polite HTTP client for the pipeline. Use ``async with Fetcher(settings) as f``; one per event loop."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        sleep: Sleep | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_attempt: Callable[[FetchAttempt], None] | None = None,
        rng: random.Random | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: Resolver | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock = clock
        self._on_attempt = on_attempt
        self._rng = rng or random.Random()
        self._transport = transport
        self._resolve = resolve
        # One client for sources that may reach private addresses, one for all others: a pooled
        # connection opened for the first must never serve the second.
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._gates: dict[str, _HostGate] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _client_for(self, source: Source | None) -> httpx.AsyncClient:
        private = source is not None and source.allow_private
        client = self._clients.get(private)
        if client is None:
            s = self.settings
            transport = self._transport or pinned_transport(
                allow_private=private, resolve=self._resolve
            )
            client = self._clients[private] = httpx.AsyncClient(
                timeout=httpx.Timeout(s.timeout_seconds),
                follow_redirects=False,
                transport=transport,
                headers={
                    "User-Agent": s.user_agent,
                    "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
                    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
                    # Only codings we can inflate in bounded steps (see _Inflater).
                    "Accept-Encoding": "gzip, deflate",
                },
            )
        return client

    # -- public
    async def fetch(  # noqa: C901 - guards, conditional GET, redirects and size cap in request order
        self,
        url: str,
        *,
        source: Source | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        """GET ``url``; 304 gives ``not_modified=True`` and empty content. Raises FetchError subclasses."""
        attempts: list[FetchAttempt] = []
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        allowed = {h.rstrip(".").lower() for h in source.hosts} if source else None
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                check_target(current, source)
                if _hop == 0 and allowed is not None and host_of(url) not in allowed:
                    # A list page may link anywhere; a source fetches only from its own hosts.
                    raise OffsiteError(
                        f"{url} 不在该来源允许的主机范围内（{'、'.join(sorted(allowed))}），已拒绝。"
                        f"如确属同一网站，请把该主机加入 sources.yaml 中该来源的 allowed_hosts",
                        url=url,
                    )
            except FetchError as exc:  # refused before any request: still a line in the fetch log
                self._record(attempts, current, None, 0, self._clock(), 1, "offsite", str(exc))
                raise
            answer, started, number = await self._get(current, headers, attempts, source)
            status = answer.status
            if status in REDIRECT_STATUSES and answer.headers.get("location"):
                target = urljoin(current, answer.headers["location"].strip())
                if allowed is not None and host_of(target) not in allowed:
                    msg = (
                        f"{current} 重定向到了来源允许范围之外的主机 {host_of(target) or '?'}（{target}），已拒绝。"
                        f"如确属同一网站，请把该主机加入 sources.yaml 中该来源的 allowed_hosts"
                    )
                    self._record(attempts, current, status, 0, started, number, "offsite", msg)
                    raise OffsiteError(msg, url=url)
                self._record(
                    attempts, current, status, 0, started, number, "redirect", f"→ {target}"
                )
                current = target
                continue
            if status == 304:
                self._record(attempts, current, status, 0, started, number, "not_modified")
                return Fetched(
                    url=url,
                    final_url=current,
                    status=304,
                    headers=answer.headers,
                    content=b"",
                    encoding=None,
                    text=None,
                    etag=answer.headers.get("etag", etag),
                    last_modified=answer.headers.get("last-modified", last_modified),
                    not_modified=True,
                    attempts=tuple(attempts),
                )
            if not 200 <= status < 300:
                err = _status_error(current, status)
                self._record(
                    attempts,
                    current,
                    status,
                    len(answer.body),
                    started,
                    number,
                    "http_error",
                    str(err),
                )
                raise err
            self._record(attempts, current, status, len(answer.body), started, number, "ok")
            ctype = answer.headers.get("content-type")
            text: str | None = None
            encoding: str | None = None
            if is_text_content(ctype, answer.body):
                text, encoding = decode_html(answer.body, ctype)
            return Fetched(
                url=url,
                final_url=current,
                status=status,
                headers=answer.headers,
                content=answer.body,
                encoding=encoding,
                text=text,
                etag=answer.headers.get("etag"),
                last_modified=answer.headers.get("last-modified"),
                attempts=tuple(attempts),
            )
        msg = f"{url} 重定向超过 {MAX_REDIRECTS} 次（可能是重定向循环）；请在浏览器中检查该网址，必要时更新 sources.yaml"
        # The fetch log must show why the URL failed, not only a run of successful-looking hops.
        self._record(attempts, current, None, 0, self._clock(), 1, "redirect_loop", msg)
        raise FetchError(msg, url=url)

    # -- one URL, with retries
    async def _get(  # noqa: C901 - the retry loop: one branch per HTTP outcome
        self,
        url: str,
        headers: dict[str, str],
        attempts: list[FetchAttempt],
        source: Source | None,
    ) -> tuple[_Answer, float, int]:
        """The answer for one URL after retries, with its start time and attempt number.

        Returns 2xx, 3xx and non-retryable 4xx answers; raises on challenges, oversize bodies,
        and on retryable failures once the retries are spent.
        """
        s = self.settings
        host = host_of(url)
        number = 0
        while True:
            number += 1
            timer = _Timer(self._clock())
            try:
                answer = await self._send(url, headers, timer, source)
            except OffsiteError as exc:  # the name resolved to a private address at connect time
                self._record(attempts, url, None, 0, timer.started, number, "offsite", str(exc))
                raise OffsiteError(str(exc), url=url) from None
            except TooLargeError as exc:
                self._record(
                    attempts, url, None, s.max_bytes, timer.started, number, "too_large", str(exc)
                )
                raise
            except _BodyError as exc:
                self._record(attempts, url, None, 0, timer.started, number, "bad_body", str(exc))
                if not exc.retryable or number > s.retries:
                    raise
                await self._sleep(self._backoff(number))
                continue
            except (httpx.TransportError, TimeoutError) as exc:
                msg, retry = _network_message(exc, host, s.timeout_seconds)
                self._record(attempts, url, None, 0, timer.started, number, "network_error", msg)
                if not retry or number > s.retries:
                    raise FetchError(msg, url=url, retryable=True) from exc
                await self._sleep(self._backoff(number))
                continue
            status = answer.status
            vendor = detect_challenge(status, answer.headers.get("content-type"), answer.body)
            if vendor is not None:
                msg = (
                    f"{host} 返回了反爬虫验证页面（HTTP {status}，{vendor}），本轮跳过，不会把它当作内容。"
                    f"若持续出现，请调大 settings.fetch.min_delay_seconds 或降低该来源的抓取频率"
                )
                self._record(
                    attempts, url, status, len(answer.body), timer.started, number, "blocked", msg
                )
                raise BlockedError(msg, url=url, retryable=True)
            if not _retryable_status(status):
                return answer, timer.started, number
            wait = _retry_after(answer.headers.get("retry-after"))
            if wait is not None and wait > s.max_retry_after_seconds:
                msg = (
                    f"{host} 要求 {wait:.0f} 秒后再访问（HTTP {status}），超过上限 "
                    f"{s.max_retry_after_seconds:g} 秒；本轮不再重试，下一轮会自动重试"
                )
                self._record(
                    attempts,
                    url,
                    status,
                    len(answer.body),
                    timer.started,
                    number,
                    "http_error",
                    msg,
                )
                raise HTTPStatusError(msg, url=url, status=status, retryable=True)
            if number > s.retries:
                err = _status_error(url, status)
                self._record(
                    attempts,
                    url,
                    status,
                    len(answer.body),
                    timer.started,
                    number,
                    "http_error",
                    str(err),
                )
                raise err
            self._record(
                attempts,
                url,
                status,
                len(answer.body),
                timer.started,
                number,
                "http_error",
                f"HTTP {status}，稍后重试",
            )
            await self._sleep(max(self._backoff(number), wait or 0.0))

    def _backoff(self, number: int) -> float:
        base = self.settings.backoff_base_seconds
        return float(base * 2 ** (number - 1) + self._rng.uniform(0, base))

    # -- one HTTP exchange
    async def _send(
        self, url: str, headers: dict[str, str], timer: _Timer, source: Source | None
    ) -> _Answer:
        client = self._client_for(source)
        async with self._gate(urlsplit(url).netloc.lower()):
            timer.started = (
                self._clock()
            )  # the fetch log times the exchange, not the politeness wait
            async with asyncio.timeout(self.settings.timeout_seconds * TOTAL_TIMEOUT_FACTOR):
                async with client.stream("GET", url, headers=headers) as response:
                    answer_headers = {k.lower(): v for k, v in response.headers.items()}
                    status = response.status_code
                    body = await self._read_body(
                        url, response, answer_headers, ok=200 <= status < 300
                    )
                    if status in REDIRECT_STATUSES or status == 304:
                        body = b""  # read only so the connection can be reused
                    return _Answer(status, answer_headers, body)

    async def _read_body(
        self, url: str, response: httpx.Response, headers: dict[str, str], *, ok: bool
    ) -> bytes:
        """The decoded body, at most max_bytes (error pages: a peek of ERROR_BODY_PEEK)."""
        cap = self.settings.max_bytes if ok else ERROR_BODY_PEEK
        declared = headers.get("content-length", "")
        if ok and declared.isdigit() and int(declared) > cap:
            raise _too_large(url, cap, int(declared))
        coding = headers.get("content-encoding", "identity").strip().lower()
        inflater = _Inflater(coding) if coding in ("gzip", "x-gzip", "deflate") else None
        if inflater is None and coding not in ("identity", ""):
            raise _BodyError(
                f"{url} 使用了不支持的内容压缩格式 {coding}；请向维护者报告该网站",
                url=url,
                retryable=False,
            )
        chunks: list[bytes] = []
        size = 0
        truncated = False
        async for raw in response.aiter_raw():
            try:
                data = inflater.feed(raw, cap - size) if inflater else raw
            except zlib.error as exc:
                # A corrupt compressed body is a transfer fault, not content: retry, never store.
                raise _BodyError(
                    f"{url} 的压缩数据已损坏（{coding}: {exc}）；下一轮会自动重试",
                    url=url,
                    retryable=True,
                ) from exc
            size += len(data)
            if size > cap:
                if ok:
                    raise _too_large(url, cap, None)
                chunks.append(data[: len(data) - (size - cap)])
                truncated = True
                break
            chunks.append(data)
        if ok and inflater is not None and not truncated and not inflater.complete:
            # The server's Content-Length matched a cut-off gzip stream: the bytes we have are
            # the first part of a page, and stored they would look like a changed document.
            raise _BodyError(
                f"{url} 的压缩数据不完整（传输被截断）；下一轮会自动重试", url=url, retryable=True
            )
        return b"".join(chunks)

    @asynccontextmanager
    async def _gate(self, key: str) -> AsyncIterator[None]:
        """Per-host politeness: at most per_host_concurrency at once, starts min_delay (+jitter) apart."""
        s = self.settings
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _HostGate(asyncio.Semaphore(s.per_host_concurrency))
        async with gate.semaphore:
            async with gate.lock:
                now = self._clock()
                if gate.next_start > now:
                    await self._sleep(gate.next_start - now)
                start = max(now, gate.next_start)
                gate.next_start = (
                    start + s.min_delay_seconds + self._rng.uniform(0, s.jitter_seconds)
                )
            yield

    def _record(
        self,
        attempts: list[FetchAttempt],
        url: str,
        status: int | None,
        nbytes: int,
        started: float,
        number: int,
        outcome: str,
        error: str | None = None,
    ) -> None:
        attempt = FetchAttempt(
            url=url,
            status=status,
            bytes=nbytes,
            duration_ms=(self._clock() - started) * 1000.0,
            error=error,
            attempt=number,
            outcome=outcome,
        )
        attempts.append(attempt)
        if self._on_attempt is not None:
            self._on_attempt(attempt)


# --------------------------------------------------------------------------- messages


def _too_large(url: str, cap: int, declared: int | None) -> TooLargeError:
    size = f"声明大小 {declared / 1048576:.1f} MB，" if declared else ""
    return TooLargeError(
        f"{url} 的内容超过大小上限 {cap / 1048576:.1f} MB（{size}已停止下载）；"
        f"如确需抓取，请调大 settings.fetch.max_bytes",
        url=url,
    )


def _status_error(url: str, status: int) -> HTTPStatusError:
    if status in (404, 410):
        msg = f"页面不存在（HTTP {status}）：{url}；如果这是列表页，请检查 sources.yaml 中的网址"
        return HTTPStatusError(msg, url=url, status=status, retryable=False)
    if status == 403:
        msg = f"网站拒绝访问（HTTP 403）：{url}；可能被防火墙或 CDN 拦截，下一轮会再试，若持续出现请降低抓取频率"
        return HTTPStatusError(msg, url=url, status=status, retryable=True)
    if _retryable_status(status):
        msg = f"网站暂时无法提供 {url}（HTTP {status}，已重试）；下一轮会自动重试"
        return HTTPStatusError(msg, url=url, status=status, retryable=True)
    msg = f"网站拒绝了请求（HTTP {status}）：{url}；请在浏览器中检查该网址"
    return HTTPStatusError(msg, url=url, status=status, retryable=False)


def _retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES or (500 <= status < 600 and status not in NOT_RETRIED_5XX)


def _retry_after(value: str | None) -> float | None:
    """Seconds asked by a Retry-After header (delta-seconds or HTTP date), None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _network_message(exc: BaseException, host: str, timeout: float) -> tuple[str, bool]:
    """A Chinese message saying what failed and what happens next, and whether to retry now."""
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return (
            f"连接 {host} 超时（{timeout:g} 秒内没有完成）；网站可能繁忙，下一轮会自动重试。"
            f"若经常发生，可调大 settings.fetch.timeout_seconds",
            True,
        )
    chain = _chain(exc)
    detail = " ".join(str(e) for e in chain).lower()
    if isinstance(exc, httpx.ConnectError):
        if "refused" in detail or any(isinstance(e, ConnectionRefusedError) for e in chain):
            return f"无法连接 {host}（连接被拒绝）；网站可能暂时不可用，下一轮会自动重试", True
        dns_words = ("name or service", "nodename", "name resolution", "getaddrinfo", "no address")
        if any(isinstance(e, socket.gaierror) for e in chain) or any(
            k in detail for k in dns_words
        ):
            return f"无法解析域名 {host}；请检查网址拼写和服务器的 DNS 设置，下一轮会自动重试", True
        if any(k in detail for k in ("ssl", "certificate", "tls")):
            return (
                f"与 {host} 建立 HTTPS 连接失败（证书或 TLS 问题）；本轮不再重试，"
                f"请在浏览器中确认该网站能否打开",
                False,
            )
        return f"无法连接 {host}（{exc}）；网络或网站可能暂时不可用，下一轮会自动重试", True
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return f"{host} 在传输过程中断开了连接；下一轮会自动重试", True
    return f"访问 {host} 时出现网络错误（{type(exc).__name__}: {exc}）；下一轮会自动重试", True


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen
