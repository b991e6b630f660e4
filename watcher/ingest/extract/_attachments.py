"""Attachment links of a detail page, wherever the page keeps them.

Sites put a document's files in the body (「附件：<a>…</a>」), in a list under it
(``.main-fujian``), in a 「文件下载」 column beside it, or behind ``downfile.jsp?filename=…``.
Links are gathered from the body, from the article's own region (the smallest element holding
both the title and the body, when that is not the whole page), from the attachment areas the
rules name, and from any small container headed 附件/附件下载/文件下载; they come back once each,
in page order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import cast
from urllib.parse import urljoin

from lxml import etree

from watcher.ingest.extract._dom import HtmlElement, attachments_in, select
from watcher.ingest.extract.rules import (
    ATTACHMENT_AREAS,
    ATTACHMENT_HEADED_MAX_LINKS,
    ATTACHMENT_HEADINGS,
)
from watcher.models import Attachment

__all__ = ["article_region", "page_attachments"]

_HEADING_JUNK = re.compile(r"[\s\u3000\xa0:：]")
#: The article region may hold this much text beyond twice the body's (a side column, a
#: metadata table, a share bar); more means it is a page wrapper with menus and footers.
_REGION_SLACK_CHARS = 1000
#: An attachment heading with its spaces and colon is at most this long.
_HEADING_MAX = 20
_HEADING_CANDIDATES = etree.XPath(
    "//*[not(self::a)][contains(text(), '附件') or contains(text(), '下载')]"
)


def _chars(el: HtmlElement) -> int:
    return len(el.text_content())


def article_region(title: HtmlElement | None, body: HtmlElement | None) -> HtmlElement | None:
    """The smallest element holding both the title element and the body, or None when that is
    the whole page (or they are not in one tree)."""
    if title is None or body is None:
        return None
    ancestors = {id(el) for el in title.iterancestors()} | {id(title)}
    region: HtmlElement | None = body
    while region is not None and id(region) not in ancestors:
        region = region.getparent()
    if region is None or region.tag in ("html", "body"):
        return None
    if _chars(region) > 2 * _chars(body) + _REGION_SLACK_CHARS:
        return None
    return region


def _headed(root: HtmlElement) -> Iterator[HtmlElement]:
    """Containers introduced by an attachment heading (「文件下载」, 「附件下载：」)."""
    for el in cast(list[HtmlElement], _HEADING_CANDIDATES(root)):
        text = el.text
        if not text or len(text) > _HEADING_MAX:
            continue
        if _HEADING_JUNK.sub("", text) not in ATTACHMENT_HEADINGS:
            continue
        own = _HEADING_JUNK.sub("", el.text_content())
        container = el if own != _HEADING_JUNK.sub("", text) else el.getparent()
        if container is not None and len(container.findall(".//a")) <= ATTACHMENT_HEADED_MAX_LINKS:
            yield container


def _in_page_order(
    root: HtmlElement, found: tuple[Attachment, ...], url: str | None
) -> tuple[Attachment, ...]:
    if len(found) < 2:
        return found
    position: dict[str, int] = {}
    for n, a in enumerate(root.iter("a")):
        href = (a.get("href") or "").strip()
        position.setdefault(urljoin(url, href) if url else href, n)
    last = len(position)
    return tuple(sorted(found, key=lambda att: position.get(att.url, last)))


def page_attachments(
    root: HtmlElement,
    body: HtmlElement | None,
    region: HtmlElement | None,
    url: str | None,
    extra: Iterable[HtmlElement] = (),
) -> tuple[Attachment, ...]:
    """Attachment links of the body, the article region, the attachment areas and headed lists."""
    containers = [el for el in (body, region) if el is not None]
    containers.extend(extra)
    containers.extend(el for sel in ATTACHMENT_AREAS for el in select(root, sel))
    containers.extend(_headed(root))
    return _in_page_order(root, attachments_in(containers, url), url)
