"""A real HTTP server on 127.0.0.1 whose answers are scripted per path, for tests and benchmarks.

Tests talk to it over real sockets (no mocks), so everything the network stack does — timeouts,
keep-alive, truncated bodies, redirects, conditional requests — is exercised for real. Usage::

    with LoopbackServer() as srv:
        srv.route("/a", Reply(body="<html>…</html>", headers={"Content-Type": "text/html"}))
        srv.route("/b", Reply(status=429, headers={"Retry-After": "1"}), Reply(body=b"ok"))
        srv.route("/c", Reply(body=b"v1"), etag='"v1"')       # If-None-Match: "v1" -> 304
        srv.route("/hook", lambda req: Reply(status=204))      # dynamic reply; req.body is logged
        url = srv.url("/a")
        ...
        assert srv.hits("/b") == 2
        assert srv.max_in_flight <= 2

Public API (keep it small; other test modules depend on it):

* ``Reply(status, headers, body, delay, drip, chunk_size, close_after, chunked)`` — one scripted
  answer. ``delay`` waits before the status line (a slow server); ``drip`` waits between body
  chunks of ``chunk_size`` bytes (a slow body); ``close_after=N`` sends the full
  ``Content-Length`` header but only N body bytes, then drops the connection; ``chunked`` sends
  the body with chunked transfer encoding (no length known up front).
* ``redirect(location, status=302)`` — a Reply with a ``Location`` header.
* ``LoopbackServer(latency=0.0)`` — context manager; ``latency`` is added to every reply.
  ``.route(path, *replies, etag=None, last_modified=None)`` scripts a path: replies are used in
  order and the last one repeats; a callable reply receives the ``Request`` and returns a Reply.
  With ``etag`` / ``last_modified`` the server answers 304 to a matching ``If-None-Match`` /
  ``If-Modified-Since`` and adds the validator header to full answers.
  ``.url(path)``, ``.base_url``, ``.port``, ``.requests`` (log of ``Request``), ``.hits(path)``,
  ``.max_in_flight`` (most requests being answered at the same moment), ``.bytes_sent(path)``
  (body bytes written before the client hung up), ``.reset()``.
  Unrouted paths answer 404. Routes match the path without the query string.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

__all__ = ["LoopbackServer", "Reply", "Request", "redirect"]


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str = b""
    delay: float = 0.0  # seconds before the status line is sent
    drip: float = 0.0  # seconds between body chunks
    chunk_size: int = 16384
    close_after: int | None = None  # drop the connection after this many body bytes
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def redirect(location: str, status: int = 302) -> Reply:
    """A redirect answer to ``location`` (absolute or relative)."""
    return Reply(status=status, headers={"Location": location})


@dataclass(frozen=True)
class Request:
    """One request as the server saw it. Header names are lower-case."""

    method: str
    path: str  # with the query string
    headers: Mapping[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def route(self) -> str:
        return urlsplit(self.path).path


ReplySpec = Reply | Callable[[Request], Reply]


@dataclass
class _Route:
    replies: list[ReplySpec]
    etag: str | None = None
    last_modified: str | None = None
    served: int = 0

    def next_reply(self, request: Request) -> Reply:
        spec = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return spec(request) if callable(spec) else spec


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LoopbackServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real site
    timeout = 10  # idle keep-alive connections end instead of lingering
    disable_nagle_algorithm = True  # else a small last body segment waits ~40 ms for a delayed ACK
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request stderr log; the owner keeps its own log."""

    def _handle(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            at=time.monotonic(),
        )
        with owner._lock:
            owner.requests.append(request)
            owner._in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner._in_flight)
            route = owner._routes.get(request.route)
            reply = route.next_reply(request) if route else Reply(status=404, body=b"not found")
        try:
            self._send(owner, route, request, reply)
        except (ConnectionError, OSError):
            pass  # the client went away (timeout test, size cap); nothing to report
        finally:
            with owner._lock:
                owner._in_flight -= 1

    def _send(  # noqa: C901 - one branch per scripted server behaviour
        self, owner: LoopbackServer, route: _Route | None, request: Request, reply: Reply
    ) -> None:
        wait = reply.delay + owner.latency
        if wait and owner._stopping.wait(wait):
            return
        headers = dict(reply.headers)
        status = reply.status
        payload = reply.body_bytes
        if route is not None and 200 <= status < 300:
            if route.etag is not None:
                headers.setdefault("ETag", route.etag)
            if route.last_modified is not None:
                headers.setdefault("Last-Modified", route.last_modified)
            if _not_modified(route, request):
                status, payload = 304, b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        chunked = reply.chunked and status != 304
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif status != 304 and "content-length" not in {k.lower() for k in headers}:
            self.send_header("Content-Length", str(len(payload)))
        if reply.close_after is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD" or status == 304:
            return
        if reply.close_after is not None:
            payload = payload[: reply.close_after]
        for start in range(0, len(payload), reply.chunk_size):
            piece = payload[start : start + reply.chunk_size]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            self.wfile.flush()
            with owner._lock:
                owner._sent[request.route] = owner._sent.get(request.route, 0) + len(piece)
            if (
                reply.drip
                and start + reply.chunk_size < len(payload)
                and owner._stopping.wait(reply.drip)
            ):
                return
        if chunked and reply.close_after is None:
            self.wfile.write(b"0\r\n\r\n")
        if reply.close_after is not None:
            self.connection.close()

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle


def _not_modified(route: _Route, request: Request) -> bool:
    inm = request.headers.get("if-none-match")
    if route.etag is not None and inm is not None:
        return route.etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = request.headers.get("if-modified-since")
    if route.last_modified is not None and ims is not None:
        try:
            return parsedate_to_datetime(ims) >= parsedate_to_datetime(route.last_modified)
        except (TypeError, ValueError):
            return False
    return False


class LoopbackServer:
    """A scripted HTTP server on 127.0.0.1 (an OS-chosen port), running in a background thread."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.requests: list[Request] = []
        self.max_in_flight = 0
        self._sent: dict[str, int] = {}
        self._in_flight = 0
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> LoopbackServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- scripting
    def route(
        self,
        path: str,
        *replies: ReplySpec,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Script ``path``: ``replies`` answer successive requests, the last one repeats."""
        with self._lock:
            self._routes[path] = _Route(
                list(replies) or [Reply()], etag=etag, last_modified=last_modified
            )

    def reset(self) -> None:
        """Forget the request log and the in-flight maximum (routes stay)."""
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    # -- addresses and assertions
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LoopbackServer is not running; use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def bytes_sent(self, path: str) -> int:
        """Body bytes the server managed to write for ``path`` (the client may have hung up)."""
        with self._lock:
            return self._sent.get(path, 0)

    def hits(self, path: str) -> int:
        """How many requests reached ``path`` (query string ignored)."""
        with self._lock:
            return sum(1 for r in self.requests if r.route == path)
