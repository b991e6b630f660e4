"""Discover: a list page (HTML, JSON, JSONP, inline JS array, MOE was5 fragment) in, article links out.

Pure functions, no network. ``list_page_urls`` expands a ``ListSpec`` into the URLs of its pages
(TRS ``index.html``, ``index_1.html``, …; ``page=``/``p=`` style query parameters), ``find_links``
turns one fetched page into ``Link`` values (absolute URL, title, ISO date when the list shows one,
short scalar fields of JSON items as ``meta``), filtered by the spec's ``link_pattern`` and
deduplicated in list order, and ``take_new`` keeps the links not seen before, stopping where the
already-known part of the list begins. Lists are parsed leniently: government endpoints return
single-quoted pseudo-JSON, JSON inside JSON strings and arrays embedded in scripts.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from watcher.config import ListSpec
from watcher.errors import ExtractError
from watcher.models import Link
from watcher.text.dates import parse_list_date

__all__ = ["find_links", "list_page_urls", "parse_lenient_json", "take_new"]

# --------------------------------------------------------------------------- heuristics as data

#: TRS static lists: index.html, index_1.html, … (MEE and others use .shtml / .htm).
_TRS_INDEX = re.compile(r"^(?P<dir>.*/)index(?:_\d+)?\.(?P<ext>s?html?)$")
#: Query parameters that number list pages (MOE was5 page=, gov.cn p=, Hanweb pageNum=).
PAGE_PARAMS = ("page", "p", "pageNum", "pageNo", "pageIndex", "pageindex", "curPage")
#: Link schemes and shapes that are never articles.
SKIP_HREF = re.compile(r"^\s*(?:javascript:|mailto:|tel:|#|$)", re.I)
#: Dates as list pages print them: 2025-02-28, 2025.02.28, 2025/2/28, 2025年2月28日, [2025-02-28].
#: How far up from an <a> to look for its date when no row selector is given.
DATE_SEARCH_LEVELS = 3
#: JSON item fields kept in Link.meta are scalars no longer than this.
META_MAX_CHARS = 200
#: Keys tried, in order, when a URL field holds an object such as {"pc": "/…", "mobile": "/…"}.
URL_OBJECT_KEYS = ("pc", "url", "href", "link", "web")
_TAGS = re.compile(r"<[^>]+>")
_WS = re.compile(r"\s+")
_BASE_HREF = re.compile(r"<base\s[^>]*href\s*=\s*[\"']([^\"']+)", re.I)
_JSONP = re.compile(r"^\s*(?:/\*.*?\*/\s*)?[\w$.]+\s*\(\s*(?P<body>.*)\)\s*;?\s*$", re.S)


# --------------------------------------------------------------------------- pages


def list_page_urls(spec: ListSpec) -> list[str]:
    """The URLs of the first ``spec.pages`` pages of a list, first page first.

    ``…/index.html`` or a directory URL gives ``index.html`` (the URL as configured),
    ``index_1.html``, ``index_2.html``…; a URL with a numeric page parameter (``page=1``,
    ``p=1``, ``pageNum=1``) counts that parameter up. Any other URL has one page.
    """
    url = spec.url
    if spec.pages == 1:
        return [url]
    parts = urlsplit(url)
    trs = _TRS_INDEX.match(parts.path)
    if trs or parts.path.endswith("/") or not parts.path:
        folder = trs.group("dir") if trs else (parts.path or "/")
        ext = trs.group("ext") if trs else "html"
        pages = [url]
        for n in range(1, spec.pages):
            pages.append(urlunsplit(parts._replace(path=f"{folder}index_{n}.{ext}")))
        return pages
    query = parse_qsl(parts.query, keep_blank_values=True)
    for i, (key, value) in enumerate(query):
        if key in PAGE_PARAMS and value.isdigit():
            first = int(value)
            out = []
            for n in range(first, first + spec.pages):
                q = [*query[:i], (key, str(n)), *query[i + 1 :]]
                out.append(urlunsplit(parts._replace(query=urlencode(q, safe=":/,|"))))
            return out
    return [url]


# --------------------------------------------------------------------------- links


def find_links(spec: ListSpec, body: str, page_url: str) -> list[Link]:
    """Article links on one list page, in list order, absolute, filtered and deduplicated.

    Raises ExtractError when a json/jsonp endpoint answers with something that is not JSON;
    an HTML or inline list that is simply missing gives no links.
    """
    if spec.type in ("html", "was5"):
        raw = _html_links(spec, body, page_url)
    else:
        raw = _json_links(spec, body, page_url)
    pattern = re.compile(spec.link_pattern) if spec.link_pattern else None
    seen: set[str] = set()
    out: list[Link] = []
    for link in raw:
        if pattern is not None and not pattern.search(link.url):
            continue
        if link.url in seen:
            continue
        seen.add(link.url)
        out.append(link)
    return out


def take_new(
    links: Sequence[Link],
    is_known: Callable[[str], bool],
    *,
    stop_after_known: int = 1,
    limit: int | None = None,
) -> list[Link]:
    """New links in list order, stopping after ``stop_after_known`` consecutive known links.

    Lists are newest first, so the first known link marks where the last run stopped; a count
    above 1 tolerates an old item pinned (置顶) above new ones. ``limit`` caps the result.
    """
    new: list[Link] = []
    run = 0
    for link in links:
        if limit is not None and len(new) >= limit:
            break
        if is_known(link.url):
            run += 1
            if run >= stop_after_known:
                break
            continue
        run = 0
        new.append(link)
    return new


# --------------------------------------------------------------------------- HTML and was5


def _html_links(spec: ListSpec, body: str, page_url: str) -> list[Link]:
    soup = BeautifulSoup(body, "lxml")
    base = page_url
    base_tag = soup.find("base", href=True)
    if isinstance(base_tag, Tag):
        base = urljoin(page_url, str(base_tag["href"]))
    item = spec.item or "a"
    out: list[Link] = []
    if spec.row:
        for row in soup.select(spec.row):
            anchor = _anchor(row.select_one(item))
            if anchor is not None:
                link = _html_link(anchor, row, spec, base)
                if link is not None:
                    out.append(link)
        return out
    for found in soup.select(item):
        anchor = _anchor(found)
        if anchor is not None:
            link = _html_link(anchor, _row_of(anchor), spec, base)
            if link is not None:
                out.append(link)
    return out


def _anchor(el: Tag | None) -> Tag | None:
    """The <a href> an item selector points at (the element itself or its first link)."""
    if el is None:
        return None
    if el.name == "a" and el.has_attr("href"):
        return el
    inner = el.find("a", href=True)
    return inner if isinstance(inner, Tag) else None


def _row_of(anchor: Tag) -> Tag:
    """The nearest ancestor that still holds only this link: the item's row for date lookup."""
    row = anchor
    for _ in range(DATE_SEARCH_LEVELS):
        parent = row.parent
        if not isinstance(parent, Tag) or parent.name in ("body", "html", "[document]"):
            break
        if len(parent.find_all("a", href=True)) > 1:
            break
        row = parent
    return row


def _html_link(anchor: Tag, row: Tag, spec: ListSpec, base: str) -> Link | None:
    href = str(anchor.get("href") or "")
    if SKIP_HREF.match(href):
        return None
    url = _absolute(base, href)
    if url is None:
        return None
    title = _clean(str(anchor.get("title") or "")) or _clean(anchor.get_text(" "))
    date: str | None = None
    if spec.date:
        cell = row.select_one(spec.date)
        date = parse_list_date(cell.get_text(" ")) if cell is not None else None
    elif row is not anchor:
        rest = _clean(row.get_text(" ")).replace(_clean(anchor.get_text(" ")), " ")
        date = parse_list_date(rest)
    return Link(url=url, title=title, date=date)


# --------------------------------------------------------------------------- JSON, JSONP, inline JSON


def _json_links(spec: ListSpec, body: str, page_url: str) -> list[Link]:  # noqa: C901 - one branch per JSON list shape
    if spec.type == "inline_json":
        data: Any = _inline_value(body, spec.inline_key or "")
        base = _BASE_HREF.search(body)
        if base:  # the list is rendered into this page, so its links resolve like the page's own
            page_url = urljoin(page_url, html.unescape(base.group(1)))
    else:
        text = body.strip().lstrip("\ufeff")
        if spec.type == "jsonp":
            m = _JSONP.match(text)
            text = m.group("body") if m else text
        try:
            data = parse_lenient_json(text)
        except ValueError as exc:
            raise ExtractError(
                f"列表接口 {page_url} 返回的不是 JSON（{exc}）；网站可能改版或返回了错误页，"
                f"请检查 sources.yaml 中该列表的 type 和 url"
            ) from exc
    items = _at_path(data, spec.json_path) if spec.json_path else data
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list):
        return []
    out: list[Link] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        href = _url_value(_at_path(item, spec.url_field))
        if href is None or SKIP_HREF.match(href):
            continue
        url = _absolute(page_url, href)
        if url is None:
            continue
        title = _clean(_strip_tags(str(_at_path(item, spec.title_field) or "")))
        date = parse_list_date(_at_path(item, spec.date_field)) if spec.date_field else None
        used = {f.split(".")[0] for f in (spec.url_field, spec.title_field, spec.date_field) if f}
        out.append(Link(url=url, title=title, date=date, meta=_meta(item, used)))
    return out


def _at_path(data: Any, path: str | None) -> Any:
    """Follow a dotted path; integer parts index lists, other parts map over lists, and strings
    holding JSON (``urls: "{\\"pc\\": …}"``) are parsed on the way."""
    if not path:
        return data
    cur = data
    for part in path.split("."):
        cur = _maybe_json(cur)
        if isinstance(cur, list):
            if part.lstrip("-").isdigit():
                idx = int(part)
                cur = cur[idx] if -len(cur) <= idx < len(cur) else None
            else:
                cur = _flatten(_at_path(x, part) for x in cur)
        elif isinstance(cur, Mapping):
            cur = cur.get(part)
        else:
            return None
    return _maybe_json(cur)


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(v)
        elif v is not None:
            out.append(v)
    return out


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "[") and value.rstrip()[-1:] in ("}", "]"):
        try:
            return parse_lenient_json(value)
        except ValueError:
            return value
    return value


def _url_value(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        for key in URL_OBJECT_KEYS:
            if isinstance(value.get(key), str) and value[key].strip():
                return str(value[key]).strip()
        return next((v.strip() for v in value.values() if isinstance(v, str) and v.strip()), None)
    if isinstance(value, list) and value:
        return _url_value(value[0])
    return None


def _meta(item: Mapping[str, Any], used: set[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for key, value in item.items():
        if key in used or isinstance(value, (dict, list, bool)) or value is None:
            continue
        text = _clean(_strip_tags(str(value)))
        if text and len(text) <= META_MAX_CHARS:
            meta[str(key)] = text
    return meta


def _inline_value(body: str, key: str) -> Any:
    """The first array or object literal assigned to ``key`` (``key: […]`` or ``key = […]``)."""
    pattern = re.compile(r"(?<![\w$])[\"']?" + re.escape(key) + r"[\"']?\s*[:=]\s*(?=[\[{])")
    for m in pattern.finditer(body):
        literal = _balanced(body, m.end())
        if literal is None:
            continue
        try:
            return parse_lenient_json(literal)
        except ValueError:
            continue
    return None


def _balanced(text: str, start: int) -> str | None:
    """The bracketed literal starting at ``text[start]``, respecting strings; None if unclosed."""
    depth = 0
    quote = ""
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
        i += 1
    return None


def parse_lenient_json(text: str) -> Any:
    """JSON, or a JavaScript literal close to it: single quotes, bare keys, trailing commas,
    comments, ``undefined``. Raises ValueError when it is neither."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    return json.loads(_js_to_json(text))


_BARE = re.compile(r"[A-Za-z_$][\w$]*")
_LITERALS = {"true": "true", "false": "false", "null": "null", "undefined": "null", "NaN": "null"}


def _js_to_json(src: str) -> str:  # noqa: C901 - a character-level tokenizer
    out: list[str] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch in "\"'":
            j = i + 1
            buf: list[str] = []
            while j < n and src[j] != ch:
                if src[j] == "\\" and j + 1 < n:
                    nxt = src[j + 1]
                    buf.append("'" if nxt == "'" else "\\" + nxt)
                    j += 2
                    continue
                buf.append('\\"' if src[j] == '"' else src[j])
                j += 1
            out.append('"' + "".join(buf) + '"')
            i = j + 1
        elif src.startswith("//", i):
            end = src.find("\n", i)
            i = n if end < 0 else end
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch in "]}":
            k = len(out) - 1
            while k >= 0 and out[k].isspace():
                k -= 1
            if k >= 0 and out[k] == ",":
                del out[k]  # trailing comma, allowed in JS
            out.append(ch)
            i += 1
        elif ch.isalpha() or ch in "_$":
            m = _BARE.match(src, i)
            word = m.group(0) if m else ch
            k = i + len(word)
            while k < n and src[k].isspace():
                k += 1
            if k < n and src[k] == ":":
                out.append(json.dumps(word))
            else:
                out.append(_LITERALS.get(word, word))
            i += len(word)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# --------------------------------------------------------------------------- small helpers


def _absolute(base: str, href: str) -> str | None:
    url, _frag = urldefrag(urljoin(base, html.unescape(href.strip())))
    return url if urlsplit(url).scheme in ("http", "https") else None


def _strip_tags(text: str) -> str:
    return html.unescape(_TAGS.sub("", text))


def _clean(text: str) -> str:
    return _WS.sub(" ", text).strip()
