"""The web UI over the store: documents, versions, side-by-side diffs, policy comparisons,
digests, the Atom feed of alerts and ``/healthz``; logins for editors and viewers, the editors'
audit log and (a placeholder for now) the 编辑台 at ``/desk``.

A Starlette app; the pages live in ``pages``, logins and sessions in ``auth``, accounts in
``accounts``. The read pages only read; the only writes are sessions and audit rows (login,
logout) and, later, the editors' forms, every one a POST with a CSRF token. Each request opens
the store for itself, so the app can be served by any ASGI server with threads. Works without
JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watcher.errors import WatcherError
from watcher.periods import DEFAULT_TZ
from watcher.store import Store
from watcher.web.auth import COOKIE, Auth, AuthOptions, template_context
from watcher.web.pages import Pages

__all__ = ["AuthOptions", "create_app"]


def create_app(
    store_path: Path,
    *,
    auth: AuthOptions | None = None,
    timezone: str = DEFAULT_TZ,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The ASGI app over the store at ``store_path``; ``auth`` says who must log in (by
    default only the editors' pages need a login); times are shown in ``timezone``; ``clock``
    (tests) says what "this week" is and drives sessions and the login throttle."""
    now = clock or (lambda: datetime.now(ZoneInfo(timezone)))
    pages = Pages(timezone, now, context=template_context)

    def open_store() -> Store:
        return Store.open(store_path, clock=lambda: now().astimezone(UTC))

    guard = Auth(open_store, pages, auth or AuthOptions(), now)
    with_store = guard.page

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
        Route("/login", guard.login_form, methods=["GET"]),
        Route("/login", guard.login, methods=["POST"]),
        Route("/logout", guard.action(guard.logout, need="viewer"), methods=["POST"]),
        Route("/audit", guard.page(guard.audit, need="editor")),
        Route("/desk", guard.page(guard.desk, need="editor")),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_Hardened)])


class _Hardened:
    """Headers every response gets: no framing by other sites (clickjacking of the editors'
    buttons), no MIME sniffing, no full URLs in Referer; and no caching of a page made for a
    logged-in person (it holds their CSRF token)."""

    _ALWAYS = (
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers") or ())
        personal = b"authorization" in raw or COOKIE.encode() in raw.get(b"cookie", b"")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {k.lower() for k, _ in headers}
                extra = [
                    *self._ALWAYS,
                    *([(b"cache-control", b"private, no-store")] if personal else []),
                ]
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
