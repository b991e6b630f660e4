"""Read-only web UI over the store: documents, versions, side-by-side diffs, policy comparisons,
digests, the Atom feed of alerts and ``/healthz``.

A Starlette app rendered with Jinja2 (autoescaping on: everything that came from a fetched page
is shown as text; links to fetched URLs are only emitted for http(s) schemes). It never writes:
only GET/HEAD routes exist. Each request opens the store for itself, so the app can be served
by any ASGI server with threads. Works without JavaScript.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from watcher import structure
from watcher.diff import diff_versions
from watcher.errors import WatcherError
from watcher.models import LEVEL_LABEL, LEVELS
from watcher.store import Store

__all__ = ["create_app"]

_TEMPLATES = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=select_autoescape(["html"]),
)
_COMMON = {
    "level_label": LEVEL_LABEL,
    "severity": {"info": "提示", "notice": "通知", "warning": "警告", "critical": "严重"},
    "status_label": {"same": "延续", "changed": "调整", "new": "新增"},
    "kind_label": {"added": "新增", "removed": "删除", "changed": "修改"},
    "relation_label": {"implements": "贯彻落实", "supersedes": "接续", "configured": "配置的上位文件"},
}


def _render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(name).render(**_COMMON, **context)
    return HTMLResponse(html, status_code=status_code)


def _not_found(message: str) -> HTMLResponse:
    return _render("message.html", 404, title="未找到", message=message)


def _safe_url(url: str) -> str | None:
    """Only http(s) links are emitted; ``javascript:`` and friends stay plain text."""
    return url if urlsplit(url).scheme in ("http", "https") else None


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
            if secrets.compare_digest(user, self.user) and secrets.compare_digest(password, self.password):
                return await call_next(request)
        return PlainTextResponse("需要登录", status_code=401,
                                 headers={"WWW-Authenticate": 'Basic realm="policy-watcher"'})


def create_app(store_path: Path, *, auth: tuple[str, str] | None = None) -> Starlette:
    """The ASGI app over the store at ``store_path``; ``auth`` = (user, password) enables Basic auth."""

    def open_store() -> Store:
        return Store.open(store_path)

    def index(request: Request) -> Response:
        with open_store() as store:
            alerts = store.alerts(limit=10)
            docs = store.documents(limit=300)
            sources = store.sources()
            directions = _week_directions(store)
        by_level = []
        for level in LEVELS:
            items = [d for d in docs if d.level == level][:8]
            if items:
                by_level.append((level, items))
        return _render("index.html", title="首页", alerts=alerts, by_level=by_level,
                       sources=sources, directions=directions)

    def documents(request: Request) -> Response:
        p = request.query_params
        q, source, level, kind, since = (p.get(k) or None for k in ("q", "source", "level", "kind", "since"))
        with open_store() as store:
            if q:
                docs = store.search(q, limit=200)
                docs = [d for d in docs if (not source or d.source_id == source)
                        and (not level or d.level == level) and (not kind or d.kind == kind)
                        and (not since or (d.date or "") >= since)]
            else:
                docs = store.documents(source_id=source, level=level, kind=kind, since=since, limit=500)
            sources = store.sources()
            kinds = sorted({d.kind for d in store.documents(limit=100000) if d.kind})
        return _render("documents.html", title="文档", docs=docs, q=q, source=source, level=level,
                       kind=kind, since=since, sources=sources, kinds=kinds)

    def document(request: Request) -> Response:
        doc_id = int(request.path_params["doc_id"])
        with open_store() as store:
            doc = store.document(doc_id)
            if doc is None:
                return _not_found(f"没有编号为 {doc_id} 的文档。")
            versions = store.versions(doc_id)
            current = versions[-1] if versions else None
            parents = store.links(child_id=doc_id)
            children = [{**row, "child_title": (d.title if (d := store.document(row["child_id"])) else "")}
                        for row in store.links(parent_id=doc_id)]
            source = store.source_row(doc.source_id) if doc.source_id else None
        tree = structure.parse(current.text, current.title) if current else None
        return _render(
            "document.html", title=doc.title, doc=doc, versions=versions, parents=parents,
            children=children, safe_url=_safe_url(doc.url), source_name=source.name if source else None,
            outline=structure.render_outline(tree) if tree else "", text=current.text if current else "",
            attachments=current.attachments if current else [],
        )

    def compare_page(request: Request) -> Response:
        doc_id = int(request.path_params["doc_id"])
        with open_store() as store:
            new_doc = store.document(doc_id)
            if new_doc is None:
                return _not_found(f"没有编号为 {doc_id} 的文档。")
            rows = store.comparisons(new_document_id=doc_id)
            if not rows:
                return _not_found("这个文档还没有找到上位文件或前一版本，因此没有政策对照。")
            row = rows[0]
            old_doc = store.document(row["old_document_id"])
            new_v, old_v = store.version(row["new_version_id"]), store.version(row["old_version_id"])
        if old_doc is None or new_v is None or old_v is None:
            return _not_found("对照所引用的文档已不存在。")
        result = json.loads(row["result_json"])
        new_text = _section_texts(structure.parse(new_v.text, new_v.title))
        old_text = _section_texts(structure.parse(old_v.text, old_v.title))
        sections = [
            {**sec, "new_text": new_text.get(sec["new_id"], ""),
             "old_text": "\n\n".join(old_text.get(o, "") for o in sec["old_ids"])}
            for sec in result["sections"]
        ]
        return _render("compare.html", title="政策对照", new_doc=new_doc, old_doc=old_doc,
                       result=result, sections=sections)

    def diff_page(request: Request) -> Response:
        old_id, new_id = int(request.path_params["old_id"]), int(request.path_params["new_id"])
        with open_store() as store:
            old, new = store.version(old_id), store.version(new_id)
            doc = store.document(new.document_id) if new else None
        if old is None or new is None or doc is None or old.document_id != new.document_id:
            return _not_found("这两个版本不存在，或不属于同一个文档。")
        vdiff = diff_versions(structure.parse(old.text, old.title), structure.parse(new.text, new.title))
        return _render("diff.html", title="版本对比", doc=doc, old=old, new=new, changes=vdiff.changes)

    def digests(request: Request) -> Response:
        with open_store() as store:
            rows = store.list_digests()
        return _render("digests.html", title="周报", digests=rows)

    def digest(request: Request) -> Response:
        name = str(request.path_params["name"])
        week, _, fmt = name.partition(".")
        with open_store() as store:
            row = store.get_digest(week)
        if row is None:
            return _not_found(f"没有 {week} 的周报。")
        if fmt == "docx" and row.get("docx"):
            return Response(bytes(row["docx"]), media_type=(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                headers={"Content-Disposition": f'attachment; filename="{week}.docx"'})
        if fmt == "md":
            return PlainTextResponse(str(row["markdown"]), media_type="text/markdown; charset=utf-8")
        return HTMLResponse(str(row["html"]))

    def feed(request: Request) -> Response:
        from watcher.feed import alerts_atom

        with open_store() as store:
            xml = alerts_atom(store, base_url=str(request.base_url).rstrip("/"))
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    def healthz(request: Request) -> Response:
        try:
            with open_store() as store:
                beat = store.last_heartbeat()
                ok = store.integrity_ok()
        except WatcherError as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=503)
        return JSONResponse({"ok": ok, "heartbeat": beat.isoformat() if beat else None},
                            status_code=200 if ok else 503)

    routes = [
        Route("/", index),
        Route("/documents", documents),
        Route("/documents/{doc_id:int}", document),
        Route("/documents/{doc_id:int}/compare", compare_page),
        Route("/diff/{old_id:int}/{new_id:int}", diff_page),
        Route("/digests", digests),
        Route("/digests/{name}", digest),
        Route("/feed.atom", feed),
        Route("/healthz", healthz),
    ]
    middleware = [Middleware(_BasicAuth, user=auth[0], password=auth[1])] if auth else []
    return Starlette(routes=routes, middleware=middleware)


def auth_from_env() -> tuple[str, str] | None:
    user, password = os.environ.get("WATCHER_WEB_USER"), os.environ.get("WATCHER_WEB_PASSWORD")
    return (user, password) if user and password else None


def _section_texts(root: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for sec in structure.flatten(root):
        out[sec.id] = sec.full_text
    return out


def _week_directions(store: Store) -> list[Any]:
    """This week's stored ranking (written by the digest job), else the latest stored one."""
    from datetime import UTC, datetime

    from watcher.scheduler import iso_week

    found = store.directions(iso_week(datetime.now(UTC)))
    if not found:
        latest = store.query("SELECT period FROM directions ORDER BY period DESC LIMIT 1")
        found = store.directions(latest[0]["period"]) if latest else []
    return found[:5]
