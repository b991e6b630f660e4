"""A real loopback webhook receiver (ThreadingHTTPServer on 127.0.0.1, port 0) for notify tests.

It records every POST and answers from a script, so tests exercise real sockets, real HTTP and
real JSON. Usage::

    with Receiver() as rx:
        rx.fail_first(2)                    # two HTTP 500s, then success
        rx.errcode_first(1)                 # one HTTP 200 {"errcode": 40001}, then success
        rx.down()                           # every request gets HTTP 503 until rx.up()
        url = rx.url("/hook")
        ...
        rx.requests                         # list of Received (path, query, headers, body, json)
        rx.accepted                         # only the requests answered with success

Success answers ``{"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"}`` (good for
WeCom, DingTalk and Feishu alike).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Received", "Receiver", "SmtpSink"]

OK_BODY = {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success"}


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # HTTP status the receiver answered
    ok: bool  # answered with success (not a scripted failure)
    at: float = 0.0  # time.monotonic() when it arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class Receiver:
    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[Received] = []
        self._script: deque[tuple[int, dict[str, Any]]] = deque()
        self._down = False
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    if receiver._down:
                        status, payload = 503, {"error": "down"}
                    elif receiver._script:
                        status, payload = receiver._script.popleft()
                    else:
                        status, payload = 200, OK_BODY
                    parts = urlsplit(self.path)
                    receiver.requests.append(
                        Received(
                            path=parts.path,
                            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                            status=status,
                            ok=payload is OK_BODY,
                            at=arrived,
                        )
                    )
                if receiver.delay:
                    time.sleep(receiver.delay)
                data = json.dumps(payload).encode()
                with contextlib.suppress(OSError):  # the client gave up (timeout)
                    self._answer(status, data)

            def _answer(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    # ------------------------------------------------------------------ script

    def fail_first(self, n: int, status: int = 500) -> None:
        with self._lock:
            self._script.extend((status, {"error": "scripted failure"}) for _ in range(n))

    def errcode_first(self, n: int, errcode: int = 40001) -> None:
        with self._lock:
            self._script.extend(
                (
                    200,
                    {
                        "errcode": errcode,
                        "errmsg": "invalid key",
                        "code": errcode,
                        "msg": "invalid",
                    },
                )
                for _ in range(n)
            )

    def ok_then_errcode(self, oks: int, errcode: int = 45009) -> None:
        """``oks`` successes, then one HTTP 200 with ``errcode`` (WeCom's 45009: rate limit)."""
        with self._lock:
            self._script.extend((200, OK_BODY) for _ in range(oks))
            self._script.append((200, {"errcode": errcode, "errmsg": "api freq out of limit"}))

    def down(self) -> None:
        self._down = True

    def up(self) -> None:
        self._down = False

    # ------------------------------------------------------------------ views

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if r.ok]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 collecting ``email.message.Message`` objects.

    ``fail_next(n)`` answers the next ``n`` DATA commands with ``451`` (a transient failure);
    ``refuse(address)`` answers ``RCPT TO`` for that address with ``550`` until ``accept``.
    ``envelopes`` lists the recipients of every message accepted.
    """

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self.envelopes: list[tuple[str, ...]] = []
        self.refused: set[str] = set()
        self._fail = 0
        sink = self

        class Handler:
            async def handle_RCPT(
                self, server: Any, session: Any, envelope: Any, address: str, options: Any
            ) -> str:
                if address in sink.refused:
                    return "550 5.1.1 mailbox unavailable"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                if sink._fail > 0:
                    sink._fail -= 1
                    return "451 scripted temporary failure"
                import email
                from email import policy

                sink.messages.append(
                    email.message_from_bytes(envelope.content, policy=policy.default)
                )
                sink.envelopes.append(tuple(envelope.rcpt_tos))
                return "250 OK"

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def fail_next(self, n: int) -> None:
        self._fail = n

    def refuse(self, address: str) -> None:
        self.refused.add(address)

    def accept(self, address: str) -> None:
        self.refused.discard(address)

    def url(self, to: str = "editor@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?to={to}&from=watcher@example.org"

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()
