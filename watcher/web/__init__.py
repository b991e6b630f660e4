"""Read-only web UI over the store: documents, versions, side-by-side diffs, policy comparisons,
digests, the Atom feed of alerts and ``/healthz``.

A Starlette app; the pages live in ``pages``. It never writes: only GET/HEAD routes exist. Each
request opens the store for itself, so the app can be served by any ASGI server with threads.
Works without JavaScript.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from watcher.errors import WatcherError
from watcher.periods import DEFAULT_TZ
from watcher.store import Store
from watcher.web.pages import Pages, WebStore

__all__ = ["auth_from_env", "create_app"]

Handler = Callable[[Request, WebStore], Response]


class _BasicAuth(BaseHTTPMiddleware):
    def __init__(self, app: Any, user: str, password: str) -> None:
        super().__init__(app)
        self.user, self.password = user, password

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path == "/healthz":
            return await call_next(request)
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            # Bytes, not str: compare_digest refuses non-ASCII str (a 教研所2026 password).
            try:
                user, _, password = base64.b64decode(header[6:], validate=True).partition(b":")
            except (binascii.Error, ValueError):
                user, password = b"", b""
            ok_user = secrets.compare_digest(user, self.user.encode("utf-8"))
            if secrets.compare_digest(password, self.password.encode("utf-8")) and ok_user:
                return await call_next(request)
        return PlainTextResponse(
            "需要登录",
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="policy-watcher"'},
        )


#: sent with every response: no scripts at all (the UI has none), styles only inline from us,
#: never framed, no MIME sniffing, no Referer carrying document URLs to other sites
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

#: SQLite's INTEGER is 64-bit signed: a larger id in a path names nothing
_MAX_ID = 2**63 - 1


class _SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def create_app(
    store_path: Path,
    *,
    auth: tuple[str, str] | None = None,
    timezone: str = DEFAULT_TZ,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The ASGI app over the store at ``store_path``; ``auth`` = (user, password) enables Basic
    auth; times are shown in ``timezone``; ``clock`` (tests) says what "this week" is."""
    pages = Pages(timezone, clock)

    def with_store(handler: Handler) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            ids = [v for v in request.path_params.values() if isinstance(v, int)]
            if any(v > _MAX_ID for v in ids):
                return PlainTextResponse("没有这个页面。", status_code=404)
            try:
                with Store.open_readonly(store_path) as store:
                    return handler(request, store)
            except WatcherError as exc:
                return PlainTextResponse(f"暂时无法读取数据库: {exc}", status_code=503)

        return endpoint

    def healthz(request: Request) -> Response:
        try:
            with Store.open_readonly(store_path) as store:
                beat = store.last_heartbeat()
                ok = store.integrity_ok()
        except WatcherError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=503)
        return JSONResponse(
            {"ok": ok, "heartbeat": beat.isoformat() if beat else None},
            status_code=200 if ok else 503,
        )

    routes = [
        Route("/", with_store(pages.index)),
        Route("/documents", with_store(pages.documents)),
        Route("/documents/{doc_id:int}", with_store(pages.document)),
        Route("/documents/{doc_id:int}/compare", with_store(pages.compare)),
        Route("/diff/{old_id:int}/{new_id:int}", with_store(pages.diff)),
        Route("/digests", with_store(pages.digests)),
        Route("/digests/{name}", with_store(pages.digest)),
        Route("/feed.atom", with_store(pages.feed)),
        Route("/healthz", healthz),
    ]
    middleware = [Middleware(_SecurityHeaders)]
    if auth:
        middleware.append(Middleware(_BasicAuth, user=auth[0], password=auth[1]))
    return Starlette(routes=routes, middleware=middleware)


def auth_from_env() -> tuple[str, str] | None:
    user, password = os.environ.get("WATCHER_WEB_USER"), os.environ.get("WATCHER_WEB_PASSWORD")
    return (user, password) if user and password else None
