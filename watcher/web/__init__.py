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
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from watcher.errors import WatcherError
from watcher.periods import DEFAULT_TZ
from watcher.store import Store
from watcher.web.auth import Auth, AuthOptions, template_context
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
    return Starlette(routes=routes)
