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
            try:
                user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", ""
            if secrets.compare_digest(user, self.user) and secrets.compare_digest(
                password, self.password
            ):
                return await call_next(request)
        return PlainTextResponse(
            "需要登录",
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="policy-watcher"'},
        )


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
            with Store.open(store_path) as store:
                return handler(request, store)

        return endpoint

    def healthz(request: Request) -> Response:
        try:
            with Store.open(store_path) as store:
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
    middleware = [Middleware(_BasicAuth, user=auth[0], password=auth[1])] if auth else []
    return Starlette(routes=routes, middleware=middleware)


def auth_from_env() -> tuple[str, str] | None:
    user, password = os.environ.get("WATCHER_WEB_USER"), os.environ.get("WATCHER_WEB_PASSWORD")
    return (user, password) if user and password else None
