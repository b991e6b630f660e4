"""Extraction stage: one fetched detail page (HTML str or raw bytes) → ``models.Article``.

The body is looked for in order: the source's own ``DetailRules`` selectors, the known
government CMS templates (``extract_rules.TEMPLATES``: Chongqing TRS, gov.cn old/new, MOE,
Hanweb), common body containers, and finally a generic fallback (a text-density scorer checked
against trafilatura). Metadata (索引号, 发文字号, 发布机构, 成文日期, 发布日期, 主题分类, 有效性)
comes from the template's metadata regions, then label/value text anywhere outside the body,
then ``<meta>`` tags. ``Article.method`` says which rule found the body; a page without a body
yields an Article with empty text and ``method`` starting with ``empty``, never an exception.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import lxml.html
from lxml import etree

from watcher.config import DetailRules
from watcher.errors import ExtractError
from watcher.ingest.decode import decode_html
from watcher.ingest.extract._attachments import article_region, page_attachments
from watcher.ingest.extract._dom import (
    HtmlElement,
    attachments_in,
    drop_furniture,
    parse_html,
    select,
    select_first,
    styled_lines,
)
from watcher.ingest.extract._fallback import fallback_text
from watcher.ingest.extract._lead import read_lead
from watcher.ingest.extract._meta import (
    date_from_classes,
    drop_meta_lines,
    head_metas,
    is_meta_line,
    meta_blocks,
    meta_from_tags,
    scan_meta,
    title_from,
)
from watcher.ingest.extract.rules import (
    ATTACHMENT_AREAS,
    COMMON_BODY,
    COMMON_BODY_MIN_CHARS,
    TEMPLATES,
    Template,
)
from watcher.models import META_KEYS, Article, Attachment

__all__ = ["extract"]

_MIN_BODY_CHARS = 20


# --------------------------------------------------------------------------- decoding


def _decode(content: bytes) -> str:
    """Bytes of a page with no HTTP header: the fetcher's rules (meta charset, then detection)."""
    text, _codec = decode_html(content, None)
    return text


# --------------------------------------------------------------------------- body finding


def _detects(root: HtmlElement, template: Template, html: str) -> bool:
    if template.comment_body and template.comment_body[0] in html:
        return True
    return any(select(root, sel) for sel in template.detect)


def _comment_body(html: str, markers: tuple[str, str]) -> HtmlElement | None:
    start = html.find(markers[0])
    end = html.find(markers[1], start + 1)
    if start < 0 or end < 0:
        return None
    # Skip to the end of the opening comment; stop at the start of the closing one.
    start = html.find("-->", start)
    end = html.rfind("<!--", 0, end)
    if start < 0 or end <= start:
        return None
    fragment = html[start + 3 : end]
    if not fragment.strip():
        return None
    try:
        return cast(HtmlElement, lxml.html.fragment_fromstring(fragment, create_parent="div"))
    except Exception:  # lxml raises ParserError or ValueError on fragments it cannot build
        return None


def _template_body(root: HtmlElement, template: Template, html: str) -> HtmlElement | None:
    if template.comment_body:
        body = _comment_body(html, template.comment_body)
        if body is not None:
            return body
    for sel in template.body:
        for outer in select(root, sel):
            inner = select_first(outer, template.inner) if template.inner else None
            return inner if inner is not None and _chars(inner) else outer
    return None


def _chars(el: HtmlElement) -> int:
    return len(re.sub(r"\s+", "", el.text_content()))


def _common_body(root: HtmlElement) -> HtmlElement | None:
    best: HtmlElement | None = None
    best_len = COMMON_BODY_MIN_CHARS - 1
    for sel in COMMON_BODY:
        for el in select(root, sel):
            n = _chars(el)
            if n > best_len:
                best, best_len = el, n
    return best


def _without(root: HtmlElement, body: HtmlElement | None) -> HtmlElement:
    """A copy of the page with the body cut out (metadata is searched outside the body)."""
    if body is None or body.getroottree().getroot() is not root:
        return root
    path = root.getroottree().getpath(body)
    clone = copy.deepcopy(root)
    found = clone.xpath(path)
    if found and found[0].getparent() is not None:
        found[0].drop_tree()
    return cast(HtmlElement, clone)


def _body_lines(body: HtmlElement, plan: _Plan) -> list[tuple[str, bool]]:
    """The body's lines (with whether each is centred) once metadata blocks, furniture and
    metadata lines are cut."""
    for block in plan.meta_blocks:
        if block.getparent() is not None:
            block.drop_tree()
    drop_furniture(body, plan.removals)
    return [(line, centred) for line, centred in styled_lines(body) if not is_meta_line(line)]


# --------------------------------------------------------------------------- public API


def extract(
    html: str | bytes, url: str | None = None, *, rules: DetailRules | None = None
) -> Article:
    """Title, metadata, paragraph text and attachment links of one detail page.

    Raises ``ExtractError`` only when the input is empty or not parseable as HTML at all.
    """
    if isinstance(html, bytes):
        if not html.strip():
            raise ExtractError(
                "页面内容为空，无法提取正文：请检查抓取结果（可能被拦截或返回了空响应）"
            )
        html = _decode(html)
    root = parse_html(html)
    if root is None:
        raise ExtractError("页面内容为空或不是 HTML，无法提取正文：请检查抓取结果或该来源的网址")
    plan = _plan(root, html, rules)
    meta, title = _metadata(root, plan)
    lines, attachments, method = _body(root, html, plan, url)
    lead = read_lead(lines, title)
    if lead.title:
        title = lead.title
    if lead.doc_number:
        meta.setdefault("doc_number", lead.doc_number)
    text = "\n".join(line for line, _centred in lines[lead.skip :])
    ordered = {k: meta[k] for k in META_KEYS if meta.get(k)}
    return Article(
        url=url, title=title, meta=ordered, text=text, attachments=attachments, method=method
    )


@dataclass
class _Plan:
    """Where a page keeps its parts: the source's rules first, then a known template, then
    the common containers."""

    body: HtmlElement | None = None
    method: str = ""
    removals: list[str] = field(default_factory=lambda: ["canvas", "a[href='#']"])
    title_selectors: list[str] = field(default_factory=list)
    meta_selectors: list[str] = field(default_factory=list)
    #: Where the body sits in the page (the body itself, or the element holding the HTML
    #: comments a Hanweb body is cut from) and the article region around it and its title.
    anchor: HtmlElement | None = None
    region: HtmlElement | None = None
    #: Metadata tables and lists inside the body: read as metadata, cut from the text.
    meta_blocks: list[HtmlElement] = field(default_factory=list)


def _plan(root: HtmlElement, html: str, rules: DetailRules | None) -> _Plan:
    plan = _Plan()
    if rules is not None:
        plan.title_selectors.extend([rules.title] if rules.title else [])
        plan.meta_selectors.extend([rules.meta_table] if rules.meta_table else [])
        plan.removals.extend(rules.remove)
        if rules.body:
            plan.body = select_first(root, [rules.body])
            plan.method = "source" if plan.body is not None else ""
    template = next((t for t in TEMPLATES if _detects(root, t, html)), None)
    if template is not None:
        plan.title_selectors.extend(template.title)
        plan.meta_selectors.extend(template.meta)
        plan.removals.extend(template.remove)
        if plan.body is None:
            plan.body = _template_body(root, template, html)
            plan.method = f"template:{template.name}" if plan.body is not None else ""
    if plan.body is None:
        plan.body = _common_body(root)
        plan.method = "container" if plan.body is not None else ""
    if plan.body is not None:
        plan.anchor = _anchor(root, plan.body, template)
        plan.region = article_region(select_first(root, plan.title_selectors), plan.anchor)
        plan.meta_blocks = meta_blocks(plan.body)
    return plan


def _anchor(root: HtmlElement, body: HtmlElement, template: Template | None) -> HtmlElement | None:
    """The body's place in the page: itself, or for a body cut from between two comments the
    element holding the opening comment."""
    if body.getroottree().getroot() is root:
        return body
    if template is None or template.comment_body is None:
        return None
    marker = template.comment_body[0]
    for comment in root.iter(etree.Comment):
        if marker in (comment.text or ""):
            return comment.getparent()
    return None


def _metadata(root: HtmlElement, plan: _Plan) -> tuple[dict[str, str], str]:
    """Metadata (template regions first, then label text anywhere outside the body, then
    ``<meta>`` tags and dated elements) and the title."""
    metas = head_metas(root)
    regions = [el for sel in plan.meta_selectors for el in select(root, sel)]
    outside = _without(root, plan.body)
    meta, label_title = scan_meta([*regions, *plan.meta_blocks, outside])
    for key, value in meta_from_tags(metas).items():
        meta.setdefault(key, value)
    if "published_date" not in meta:
        found = date_from_classes(outside)
        if found:
            meta["published_date"] = found
    return meta, title_from(root, plan.title_selectors, metas, label_title)


def _body(
    root: HtmlElement, html: str, plan: _Plan, url: str | None
) -> tuple[list[tuple[str, bool]], tuple[Attachment, ...], str]:
    """(lines with whether each is centred, attachments, method): the planned body, else the
    density fallback."""
    attachments: tuple[Attachment, ...] = ()
    lines: list[tuple[str, bool]] = []
    method = plan.method
    if plan.body is not None:
        attachments = page_attachments(root, plan.body, plan.region, url)
        lines = _body_lines(plan.body, plan)
        if not _has_chars((line for line, _c in lines), _MIN_BODY_CHARS) and not attachments:
            lines = []
    if not lines and not attachments:
        page = copy.deepcopy(root)
        drop_furniture(page, plan.removals)
        text, fb_method = fallback_text(page, html)
        lines = [(line, False) for line in drop_meta_lines(text).split("\n") if line]
        areas = [el for sel in ATTACHMENT_AREAS for el in select(root, sel)]
        attachments = attachments_in(areas, url) or _fallback_attachments(root, text, url)
        method = fb_method if lines else "empty: 未找到正文"
    elif not lines:
        method = f"{method}:attachments-only"
    return lines, attachments, method


def _has_chars(lines: Iterable[str], wanted: int) -> bool:
    """Whether ``lines`` hold at least ``wanted`` non-space characters (stops once they do)."""
    seen = 0
    for line in lines:
        seen += len(line) - line.count(" ")
        if seen >= wanted:
            return True
    return False


def _fallback_attachments(root: HtmlElement, text: str, url: str | None) -> tuple[Attachment, ...]:
    """Attachment links whose text appears in the extracted body or starts with 附件."""
    found = attachments_in([root], url)
    return tuple(a for a in found if a.name.startswith("附件") or (a.name and a.name in text))
