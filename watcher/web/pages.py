"""The pages of the web UI: each takes a request and a store (through ``WebStore``, the narrow
view of the store the pages need) and returns a response rendered from ``templates/``.

Jinja2 autoescaping is on: everything that came from a fetched page is shown as text, and links
to fetched URLs are only emitted for http(s) schemes. Times are shown in the configured zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from watcher.analysis.revision import revision_table
from watcher.analysis.revision_report import (
    SUBSTANTIVE_KINDS,
    revision_docx,
    revision_table_html,
)
from watcher.deliver.feed import alerts_atom
from watcher.errors import WatcherError
from watcher.labels import (
    CHANGE_KIND_LABEL,
    COMPARE_STATUS_LABEL,
    LEVEL_LABEL,
    RELATION_LABEL,
    SEVERITY_LABEL,
)
from watcher.models import LEVELS, Direction, Section
from watcher.periods import DEFAULT_TZ, iso_week, local_time, normalize_week
from watcher.records import ComparisonRow, DocumentRow, LinkRow, SourceRow, VersionRow
from watcher.text import identity, structure

__all__ = ["Pages", "WebStore", "safe_url"]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class WebStore(Protocol):
    """What the pages read from the store (they never write)."""

    def alerts(
        self, *, status: str | None = None, since: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]: ...
    def documents(
        self,
        *,
        source_id: str | None = None,
        level: str | None = None,
        kind: str | None = None,
        since: str | None = None,
        limit: int = ...,
        top_level: bool = ...,
    ) -> list[DocumentRow]: ...
    def document(self, document_id: int) -> DocumentRow | None: ...
    def children(self, document_id: int) -> list[DocumentRow]: ...
    def document_kinds(self) -> list[str]: ...
    def search(self, q: str, limit: int = 50) -> list[DocumentRow]: ...
    def sources(self) -> list[SourceRow]: ...
    def source_row(self, source_id: str) -> SourceRow | None: ...
    def version(self, version_id: int) -> VersionRow | None: ...
    def versions(self, document_id: int) -> list[VersionRow]: ...
    def section_tree(self, version_id: int) -> Section: ...
    def links(
        self, *, child_id: int | None = None, parent_id: int | None = None
    ) -> list[LinkRow]: ...
    def comparisons(
        self, *, new_document_id: int | None = None, since: str | None = None
    ) -> list[ComparisonRow]: ...
    def directions(self, period: str) -> list[Direction]: ...
    def latest_directions_period(self) -> str | None: ...
    def list_digests(self, limit: int = 100) -> list[dict[str, Any]]: ...
    def get_digest(self, week: str) -> dict[str, Any] | None: ...


def safe_url(url: str) -> str | None:
    """Only http(s) links are emitted; ``javascript:`` and friends stay plain text."""
    return url if urlsplit(url).scheme in ("http", "https") else None


class Pages:
    """The page handlers, bound to a template environment and the configured time zone."""

    def __init__(
        self,
        timezone: str = DEFAULT_TZ,
        clock: Callable[[], datetime] | None = None,
        context: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        """``context`` adds what every page needs per request (who is logged in)."""
        self.context = context
        self.timezone = timezone
        self.clock = clock or (lambda: datetime.now(ZoneInfo(timezone)))
        self.env = Environment(
            loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
            autoescape=select_autoescape(["html"]),
        )
        self.env.filters["local"] = lambda value: local_time(value, self.timezone)
        self.common = {
            "level_label": LEVEL_LABEL,
            "severity": SEVERITY_LABEL,
            "status_label": COMPARE_STATUS_LABEL,
            "kind_label": CHANGE_KIND_LABEL,
            "relation_label": RELATION_LABEL,
        }

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(**self.common, **self.context(), **context)
        return HTMLResponse(html, status_code=status_code)

    def not_found(self, message: str) -> HTMLResponse:
        return self.render("message.html", 404, title="未找到", message=message)

    # ------------------------------------------------------------------ pages

    def index(self, request: Request, store: WebStore) -> Response:
        docs = store.documents(limit=300, top_level=True)
        by_level = [
            (lv, items) for lv in LEVELS if (items := [d for d in docs if d.level == lv][:8])
        ]
        return self.render(
            "index.html",
            title="首页",
            alerts=store.alerts(limit=10),
            by_level=by_level,
            sources=store.sources(),
            directions=self._week_directions(store),
        )

    def documents(self, request: Request, store: WebStore) -> Response:
        p = request.query_params
        q, source, level, kind, since = (
            p.get(k) or None for k in ("q", "source", "level", "kind", "since")
        )
        if q:
            docs = [
                d
                for d in store.search(q, limit=200)
                if (not source or d.source_id == source)
                and (not level or d.level == level)
                and (not kind or d.kind == kind)
                and (not since or (d.date or "") >= since)
            ]
        else:
            docs = store.documents(
                source_id=source, level=level, kind=kind, since=since, limit=500, top_level=True
            )
        return self.render(
            "documents.html",
            title="文档",
            docs=docs,
            attached={d.id: store.children(d.id) for d in docs},
            q=q,
            source=source,
            level=level,
            kind=kind,
            since=since,
            sources=store.sources(),
            kinds=store.document_kinds(),
        )

    def document(self, request: Request, store: WebStore) -> Response:
        doc_id = int(request.path_params["doc_id"])
        doc = store.document(doc_id)
        if doc is None:
            return self.not_found(f"没有编号为 {doc_id} 的文档。")
        versions = store.versions(doc_id)
        current = versions[-1] if versions else None
        children = [
            {
                "child_id": row.child_id,
                "relation": row.relation,
                "child_title": d.title if (d := store.document(row.child_id)) else "",
            }
            for row in store.links(parent_id=doc_id)
        ]
        source = store.source_row(doc.source_id) if doc.source_id else None
        tree = store.section_tree(current.id) if current else None
        stored = store.children(doc_id)
        stored_urls = {c.url for c in stored}
        return self.render(
            "document.html",
            title=doc.title,
            doc=doc,
            versions=versions,
            parents=store.links(child_id=doc_id),
            children=children,
            safe_url=safe_url(doc.url),
            source_name=source.name if source else None,
            outline=structure.render_outline(tree) if tree else "",
            text=current.text if current else "",
            attachments=[
                a
                for a in (current.attachments if current else [])
                if identity.canonical_url(str(a.get("url", ""))) not in stored_urls
            ],
            stored_attachments=stored,
            parent=store.document(doc.attachment_of) if doc.attachment_of else None,
        )

    def compare(self, request: Request, store: WebStore) -> Response:
        doc_id = int(request.path_params["doc_id"])
        new_doc = store.document(doc_id)
        if new_doc is None:
            return self.not_found(f"没有编号为 {doc_id} 的文档。")
        rows = store.comparisons(new_document_id=doc_id)
        if not rows:
            return self.not_found("这个文档还没有找到上位文件或前一版本，因此没有政策对照。")
        row = rows[0]
        old_doc = store.document(row.old_document_id)
        new_v, old_v = store.version(row.new_version_id), store.version(row.old_version_id)
        if old_doc is None or new_v is None or old_v is None:
            return self.not_found("对照所引用的文档已不存在。")
        new_text = _section_texts(store.section_tree(new_v.id))
        old_text = _section_texts(store.section_tree(old_v.id))
        sections = [
            {
                "new_id": m.new_id,
                "new_heading": m.new_heading,
                "old_ids": m.old_ids,
                "old_headings": m.old_headings,
                "status": m.status,
                "similarity": m.similarity,
                "diff": m.diff,
                "new_text": new_text.get(m.new_id, ""),
                "old_text": "\n\n".join(old_text.get(o, "") for o in m.old_ids),
            }
            for m in row.comparison.sections
        ]
        return self.render(
            "compare.html",
            title="政策对照",
            new_doc=new_doc,
            old_doc=old_doc,
            result=row.comparison,
            sections=sections,
        )

    def diff(self, request: Request, store: WebStore) -> Response:
        old_id, new_id = int(request.path_params["old_id"]), int(request.path_params["new_id"])
        old, new = store.version(old_id), store.version(new_id)
        doc = store.document(new.document_id) if new else None
        if old is None or new is None or doc is None or old.document_id != new.document_id:
            return self.not_found("这两个版本不存在，或不属于同一个文档。")
        table = revision_table(
            store.section_tree(old.id),
            store.section_tree(new.id),
            old_title=old.title,
            new_title=new.title,
        )
        if request.query_params.get("format") == "docx":
            return Response(
                revision_docx(table),
                media_type=DOCX_MIME,
                headers={
                    "Content-Disposition": f'attachment; filename="diff-{old.id}-{new.id}.docx"'
                },
            )
        return self.render(
            "diff.html",
            title="版本对比",
            doc=doc,
            old=old,
            new=new,
            table=table,
            changed=any(r.kind in SUBSTANTIVE_KINDS for r in table.rows),
            # built by revision_report, which escapes every string that came from a document
            table_html=Markup(
                revision_table_html(table, unchanged=request.query_params.get("all") == "1")
            ),
            show_all=request.query_params.get("all") == "1",
        )

    def digests(self, request: Request, store: WebStore) -> Response:
        return self.render("digests.html", title="周报", digests=store.list_digests())

    def digest(self, request: Request, store: WebStore) -> Response:
        week, _, fmt = str(request.path_params["name"]).partition(".")
        try:  # /digests/2025-12-01 is the digest of that date's week
            week = normalize_week(week)
        except WatcherError:
            return self.not_found(f"没有 {week} 的周报。")
        row = store.get_digest(week)
        if row is None:
            return self.not_found(f"没有 {week} 的周报。")
        if fmt == "docx" and row.get("docx"):
            return Response(
                bytes(row["docx"]),
                media_type=DOCX_MIME,
                headers={"Content-Disposition": f'attachment; filename="{week}.docx"'},
            )
        if fmt == "md":
            return PlainTextResponse(
                str(row["markdown"]), media_type="text/markdown; charset=utf-8"
            )
        return HTMLResponse(str(row["html"]))

    def feed(self, request: Request, store: WebStore) -> Response:
        xml = alerts_atom(store, base_url=str(request.base_url).rstrip("/"))
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    def _week_directions(self, store: WebStore) -> Sequence[Direction]:
        """This week's stored ranking (in the configured zone), else the latest stored one."""
        found = store.directions(iso_week(self.clock(), self.timezone))
        if not found and (latest := store.latest_directions_period()):
            found = store.directions(latest)
        return found[:5]


def _section_texts(root: Section) -> dict[str, str]:
    return {sec.id: sec.full_text for sec in structure.iter_sections(root)}
