"""HTML plumbing for extraction: parse, cut furniture, render an element as paragraph text.

Takes ``str`` HTML (or lxml elements) and gives back lxml trees, plain text with one paragraph
per line, and attachment links. Rendering puts a line break between block elements and at
``<br>``, drops script/style/QR blocks, removes U+3000/&nbsp; indentation and collapses runs of
spaces, but never applies NFKC or touches punctuation. Furniture (打印, 分享到, 【字体：大 中 小】,
counters, 责任编辑, 页面生成时间) is removed both as elements and as whole lines.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import cast
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from watcher.ingest.extract.rules import (
    ATTACHMENT_EXTS,
    BLOCK_TAGS,
    COMMENT_CLASS,
    DROP_TAGS,
    FURNITURE_CLASS,
    FURNITURE_LINE,
    FURNITURE_LINE_MAX,
    FURNITURE_MAX_CHARS,
    FURNITURE_TOKENS,
    POPUP_LINE,
)
from watcher.models import Attachment

__all__ = [
    "EMPTY_CELL",
    "HtmlElement",
    "attachments_in",
    "drop_furniture",
    "element_text",
    "is_furniture_line",
    "parse_html",
    "raw_text",
    "select",
    "select_first",
    "styled_lines",
    "tidy_lines",
]

_SPACES = re.compile(r"[\s\u3000\xa0\u2002\u2003\u2009\u200a]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
#: Characters lxml's tree refuses (C0 controls other than tab/newline/CR, lone surrogates,
#: U+FFFE/U+FFFF). A binary body served as text/html carries them; parsing would succeed but
#: editing the tree later raises ValueError, so they are dropped up front.
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TOKENS_RE = re.compile(
    "|".join(re.escape(t) for t in sorted(FURNITURE_TOKENS, key=len, reverse=True)) + r"|\s+"
)


def parse_html(html: str) -> HtmlElement | None:
    """Parse a page leniently; ``None`` when there is nothing an HTML parser can build a tree of."""
    # lxml refuses str input that carries an encoding declaration.
    html = _XML_INCOMPATIBLE.sub("", _XML_DECL.sub("", html)).replace("\x0c", " ")
    if not html.strip():
        return None
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    return root


@functools.lru_cache(maxsize=512)
def _compiled(selector: str) -> etree.XPath | None:
    # Translating CSS to XPath costs more than running it; templates reuse a few dozen selectors.
    try:
        return CSSSelector(selector, translator="html")
    except Exception:  # cssselect raises several unrelated types for bad input
        return None


def select(root: HtmlElement, selector: str) -> list[HtmlElement]:
    """CSS selection that treats an invalid selector as matching nothing."""
    compiled = _compiled(selector)
    if compiled is None:
        return []
    return cast(list[HtmlElement], compiled(root))


def select_first(root: HtmlElement, selectors: Iterable[str]) -> HtmlElement | None:
    for sel in selectors:
        found = select(root, sel)
        if found:
            return found[0]
    return None


def _remove(el: HtmlElement) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    el.drop_tree()


def drop_furniture(root: HtmlElement, extra: Iterable[str] = ()) -> None:
    """Remove scripts, styles, comments, share/print/QR blocks and ``extra`` selectors in place."""
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _remove(el)
    for el in list(root.iter(*DROP_TAGS)):
        _remove(el)
    for sel in extra:
        for el in select(root, sel):
            _remove(el)
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.tag in ("html", "body") or el.getparent() is None:
            continue
        marker = f"{el.get('class', '')} {el.get('id', '')}".strip()
        hidden = _HIDDEN.search(el.get("style") or "")
        furniture = bool(marker) and (
            COMMENT_CLASS.search(marker) is not None
            or (FURNITURE_CLASS.search(marker) is not None and _chars(el) <= FURNITURE_MAX_CHARS)
        )
        if hidden or furniture:
            _remove(el)


def _chars(el: HtmlElement) -> int:
    return len(_SPACES.sub("", el.text_content()))


#: Stands for an empty table cell in ``raw_text(..., cells=True)``, so a label cell followed by an
#: empty value cell does not swallow the next row's text.
EMPTY_CELL = "\x00"


_CENTRED_STYLE = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)


def _centred(el: HtmlElement, tag: str, inherited: bool) -> bool:
    """Whether an element's own text is centred on screen.

    A table's ``align`` places the table, not its text, and a cell starts afresh: a page laid
    out in a centred table does not make every line centred.
    """
    if tag == "table":
        return False
    attrib = el.attrib
    if attrib:
        if tag == "center" or attrib.get("align", "").strip().lower() == "center":
            return True
        style = attrib.get("style")
        if style and _CENTRED_STYLE.search(style):
            return True
    elif tag == "center":
        return True
    return inherited and tag not in ("td", "th")


#: Appended to a piece of text that is not centred (styled rendering only): a line holding one
#: is not centred. It is one of the invisible characters removed before a line is kept.
_UNCENTRED = "\x02"


class _Sink:
    """Text pieces in document order; with ``styled`` every visible piece that is not centred
    carries ``_UNCENTRED``."""

    def __init__(self, styled: bool = False) -> None:
        self.pieces: list[str] = []
        self.styled = styled

    def put(self, text: str, centred: bool) -> None:
        if self.styled and not centred and not text.isspace():
            text += _UNCENTRED
        self.pieces.append(text)


def _walk(el: HtmlElement, sink: _Sink, cells: bool = False, centred: bool = False) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in DROP_TAGS or not tag:
        return
    if cells and tag in ("td", "th") and not el.text_content().strip():
        sink.put(f"\n{EMPTY_CELL}\n", True)
        return
    centred = _centred(el, tag, centred)
    block = tag in BLOCK_TAGS
    if block:
        sink.pieces.append("\n")
    if el.text:
        sink.put(el.text, centred)
    for child in el:
        _walk(child, sink, cells, centred)
        if child.tail:
            sink.put(child.tail, centred)
    if block:
        sink.pieces.append("\n")


def raw_text(el: HtmlElement, *, cells: bool = False) -> str:
    """Text with a "\\n" at every block boundary and <br>; whitespace not yet tidied.

    With ``cells=True`` an empty table cell becomes a line holding only ``EMPTY_CELL``.
    """
    sink = _Sink()
    _walk(el, sink, cells)
    return "".join(sink.pieces)


def is_furniture_line(line: str) -> bool:
    if len(line) <= FURNITURE_LINE_MAX and FURNITURE_LINE.match(line):
        return True
    if ("右上角" in line or "浏览器" in line) and POPUP_LINE.fullmatch(line):
        return True
    return len(line) <= 80 and not _TOKENS_RE.sub("", line)


def _tidy(line: str) -> str:
    """One line (invisible characters already removed) with whitespace unified; "" when it is
    empty or furniture."""
    if not line or line.isspace():
        return ""
    line = _SPACES.sub(" ", line).strip()
    return "" if not line or is_furniture_line(line) else line


def tidy_lines(text: str) -> Iterator[str]:
    """Non-empty, whitespace-unified, furniture-free lines of ``text``."""
    for line in _INVISIBLE.sub("", text).split("\n"):
        line = _tidy(line)
        if line:
            yield line


def styled_lines(el: HtmlElement) -> list[tuple[str, bool]]:
    """Tidied, furniture-free lines of an element, each with whether it is centred on screen
    (every piece of text on it sits in a centred block: ``align=center``, ``text-align:
    center`` or ``<center>``)."""
    sink = _Sink(styled=True)
    _walk(el, sink)
    lines: list[tuple[str, bool]] = []
    for raw in _INVISIBLE.sub("", "".join(sink.pieces)).split("\n"):
        centred = _UNCENTRED not in raw
        line = _tidy(raw if centred else raw.replace(_UNCENTRED, ""))
        if line:
            lines.append((line, centred))
    return lines


def element_text(el: HtmlElement) -> str:
    """Paragraph text of an element: one paragraph per line, furniture removed."""
    return "\n".join(line for line, _centred in styled_lines(el))


# --------------------------------------------------------------------------- attachments

_EXT_IN_NAME = re.compile(r"\.([A-Za-z0-9]{1,5})\s*$")


def _ext_of(name: str) -> str | None:
    m = _EXT_IN_NAME.search(name.strip())
    if m and m.group(1).lower() in ATTACHMENT_EXTS:
        return m.group(1).lower()
    return None


def attachment_ext(href: str, text: str = "") -> str | None:
    """Extension of an attachment link from its path, its query (``filename=``) or its text."""
    parts = urlsplit(href)
    ext = _ext_of(unquote(parts.path))
    if ext:
        return ext
    for _key, value in parse_qsl(parts.query):
        ext = _ext_of(value)
        if ext:
            return ext
    return _ext_of(text)


def attachments_in(elements: Iterable[HtmlElement], base_url: str | None) -> tuple[Attachment, ...]:
    """Attachment links (pdf, doc(x), wps, ofd, xls(x), et, zip, rar, …) inside ``elements``."""
    found: dict[str, Attachment] = {}
    for container in elements:
        for a in container.iter("a"):
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "#", "mailto:")):
                continue
            text = _SPACES.sub(" ", a.text_content()).strip()
            title = (a.get("title") or "").strip()
            ext = attachment_ext(href, text) or _ext_of(title)
            if not ext:
                continue
            url = urljoin(base_url, href) if base_url else href
            if url in found:
                continue
            name = text or title or unquote(urlsplit(href).path.rsplit("/", 1)[-1])
            found[url] = Attachment(url=url, name=name, ext=ext)
    return tuple(found.values())
