"""Document metadata and title from a government detail page.

Input: a parsed page (and the regions a template says hold metadata); output: a dict keyed by
``models.META_KEYS`` (索引号 → index_no, 发文字号 → doc_number, …; dates ISO) and the title.
Labels are matched after removing ASCII spaces, U+3000 and brackets, so 「索 引 号：」,
「标　　题」, 「[ 成文日期 ] 2025-02-28」 and ``<p><strong>索引号</strong>：…`` all work. A label
alone on its line (a ``td.t1`` cell) takes the next line (``td.t2``) as its value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from watcher.ingest.extract._dom import (
    EMPTY_CELL,
    HtmlElement,
    raw_text,
    select_first,
    styled_lines,
)
from watcher.ingest.extract.rules import (
    DATE_CLASS,
    DATE_CLASS_MAX_CHARS,
    DATE_KEYS,
    EMPTY_VALUES,
    INLINE_LABEL,
    LABELS,
    META_LINE_MAX,
    META_TAG_DATES,
    META_TAG_TITLES,
    NOT_PUBLICATION,
    TITLE_INFO,
    TITLE_LABELS,
    TITLE_SEPARATORS,
    TITLE_STUBS,
)
from watcher.text.dates import parse_date

__all__ = [
    "date_from_classes",
    "drop_meta_lines",
    "head_metas",
    "is_meta_line",
    "join_title",
    "meta_blocks",
    "normalise_label",
    "scan_meta",
    "strip_site_suffix",
    "title_from",
]

_LABEL_JUNK = re.compile(r"[\s\u3000\xa0:：\[\]【】［］]")
_SPACES = re.compile(r"[\s\u3000\xa0]+")
_MAX_LINE = 300
_TITLE_KEY = "title"


def normalise_label(text: str) -> str:
    """「索 引 号：」 → 「索引号」, 「[ 成文日期 ]」 → 「成文日期」, 「标　　题」 → 「标题」."""
    return _LABEL_JUNK.sub("", text)


def _key_of(label: str) -> str | None:
    norm = normalise_label(label)
    if norm in TITLE_LABELS:
        return _TITLE_KEY
    return LABELS.get(norm)


def _clean_value(key: str, value: str) -> str | None:
    value = _SPACES.sub(" ", value).strip(" \t:：;；,，|｜")
    if value in EMPTY_VALUES:
        return None
    if key in DATE_KEYS:
        return parse_date(value)
    return value


def _lines(region: HtmlElement) -> list[str]:
    """Short text lines of a region; an empty table cell is kept as an empty line."""
    out: list[str] = []
    for raw in raw_text(region, cells=True).split("\n"):
        if raw == EMPTY_CELL:
            out.append("")
            continue
        line = _SPACES.sub(" ", raw).strip()
        if line and len(line) <= _MAX_LINE:
            out.append(line)
    return out


def _pairs(lines: list[str]) -> Iterable[tuple[str, str]]:
    """(key, raw value) pairs found in consecutive lines of a metadata region."""
    i = 0
    while i < len(lines):
        line = lines[i]
        whole = _key_of(line)
        if whole is not None and len(normalise_label(line)) <= 8:
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if nxt is not None and not _opens_with_label(nxt):
                if nxt:
                    yield whole, nxt
                i += 2
                continue
            i += 1
            continue
        matches = list(INLINE_LABEL.finditer(line))
        for n, m in enumerate(matches):
            key = _key_of(m.group(1) or m.group(2) or "")
            if key is None:
                continue
            end = matches[n + 1].start() if n + 1 < len(matches) else len(line)
            value = line[m.end() : end]
            if value.strip():
                yield key, value
            elif (
                n + 1 == len(matches) and i + 1 < len(lines) and not _opens_with_label(lines[i + 1])
            ):
                # 「索引号：」 at the end of a cell, value (possibly empty) in the next cell
                if lines[i + 1]:
                    yield key, lines[i + 1]
                i += 1
        i += 1


def _label_only(line: str) -> str | None:
    """The key when the whole line is a known label (with optional colon/brackets)."""
    norm = normalise_label(line)
    if len(norm) > 8:
        return None
    return _key_of(norm)


def _opens_with_label(line: str) -> bool:
    """Whether a line starts with a known label: it is the next field, never a value, however
    long (「发布机构: 省教育厅」 after an empty 文件编号 cell)."""
    if _label_only(line) is not None:
        return True
    m = INLINE_LABEL.match(line)
    return m is not None and _key_of(m.group(1) or m.group(2) or "") is not None


def is_meta_line(line: str) -> bool:
    """A line that starts with a known label and is short: header residue, not text."""
    return len(line) <= META_LINE_MAX and _opens_with_label(line)


def drop_meta_lines(text: str) -> str:
    """Remove 「索引号：…」-style header lines that a body container sometimes includes."""
    return "\n".join(line for line in text.split("\n") if not is_meta_line(line))


def scan_meta(regions: Iterable[HtmlElement]) -> tuple[dict[str, str], str | None]:
    """Metadata and the 标题/名称 row's value from label/value text in ``regions``.

    The first value found for a key wins, so pass the most specific regions first.
    """
    meta: dict[str, str] = {}
    title: str | None = None
    for region in regions:
        for key, raw in _pairs(_lines(region)):
            value = _clean_value(key, raw)
            if value is None:
                continue
            if key == _TITLE_KEY:
                title = title or value
            elif key not in meta:
                meta[key] = value
    return meta, title


#: Elements that may be a metadata block inside a body (a 信息公开 table, a dl or li list).
_BLOCK_TAGS = frozenset({"table", "tbody", "dl", "ul", "ol", "div", "section", "form"})
#: A metadata block gives at least this many fields with values …
_BLOCK_MIN_FIELDS = 3
#: … and at least this share of its lines are labels or their values (prose is not).
_BLOCK_MIN_SHARE = 0.6
#: … and holds at most this many characters (larger elements are only searched inside).
_BLOCK_MAX_CHARS = 4000
_ANY_LABEL = re.compile("|".join(sorted(LABELS, key=len, reverse=True)))


def _meta_share(lines: list[str]) -> float:
    """Share of non-empty lines that are a label (with its value) or a label's value."""
    counted = total = 0
    pending = False
    for line in lines:
        if not line:
            pending = False
            continue
        total += 1
        if _opens_with_label(line):
            counted += 1
            pending = _label_only(line) is not None or line.rstrip().endswith((":", "："))
        elif pending:
            counted += 1
            pending = False
    return counted / total if total else 0.0


def _is_meta_block(el: HtmlElement) -> bool:
    lines = _lines(el)
    fields = {k for k, raw in _pairs(lines) if k != _TITLE_KEY and _clean_value(k, raw)}
    return len(fields) >= _BLOCK_MIN_FIELDS and _meta_share(lines) >= _BLOCK_MIN_SHARE


def meta_blocks(body: HtmlElement) -> list[HtmlElement]:
    """Metadata tables and lists inside a body (outermost first, in page order): MOE's
    ``#moe-policy-table`` above the text, a 信息公开 table a body container wraps. Their values
    are metadata, never text, so the caller reads and then cuts them."""
    found: list[HtmlElement] = []
    stack = [body]
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        text = el.text_content()
        keys = {LABELS[label] for label in _ANY_LABEL.findall(_LABEL_JUNK.sub("", text))}
        if len(keys) < _BLOCK_MIN_FIELDS:
            continue  # nothing below it can be a block either
        small = len(text) <= _BLOCK_MAX_CHARS
        if small and el is not body and el.tag in _BLOCK_TAGS and _is_meta_block(el):
            found.append(el)
            continue
        stack.extend(reversed(el))
    return found


def head_metas(root: HtmlElement) -> dict[str, str]:
    """``<meta name=… content=…>`` values (first wins), keyed by name as written."""
    found: dict[str, str] = {}
    for el in root.iter("meta"):
        name = el.get("name") or el.get("property") or ""
        content = (el.get("content") or "").strip()
        if name and content and name not in found:
            found[name] = content
    return found


def meta_from_tags(metas: Mapping[str, str]) -> dict[str, str]:
    """Publication date from ``firstpublishedtime``/``PubDate`` (never ``Maketime``)."""
    meta: dict[str, str] = {}
    for name, key in META_TAG_DATES:
        if key not in meta and name in metas:
            iso = parse_date(metas[name])
            if iso:
                meta[key] = iso
    return meta


def date_from_classes(root: HtmlElement) -> str | None:
    """The first date in a small element whose class/id marks it as the date line."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "meta", "script", "style"):
            continue
        marker = f"{el.get('class', '')} {el.get('id', '')}".strip()
        if not marker or not DATE_CLASS.search(marker):
            continue
        text = _SPACES.sub(" ", el.text_content()).strip()
        if not text or len(text) > DATE_CLASS_MAX_CHARS or any(w in text for w in NOT_PUBLICATION):
            continue
        iso = parse_date(text)
        if iso:
            return iso
    return None


def strip_site_suffix(title: str) -> str:
    """「重庆市…规划_重庆市人民政府网」 → 「重庆市…规划」 (split at site-name separators)."""
    parts = [p.strip() for p in TITLE_SEPARATORS.split(title) if p.strip()]
    useful = [p for p in parts if p not in TITLE_STUBS]
    if not useful:
        return title.strip()
    return useful[0]


def _text_of(el: HtmlElement | None) -> str:
    """The title an element shows: its lines without script, furniture (大中小, 【打印】) or the
    page-info run that follows the title (日期：…, 来源：…, 浏览次数：), joined."""
    if el is None:
        return ""
    parts: list[str] = []
    for line, _centred in styled_lines(el):
        m = TITLE_INFO.search(line)
        line = (line[: m.start()] if m else line).strip()
        if line:
            parts.append(line)
    return join_title(parts)


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def join_title(parts: Iterable[str]) -> str:
    """Lines of one title joined: no space where either side is a CJK character (a title broken
    over lines, 「…调整2007」+「年末…」), one space between two Latin words."""
    out = ""
    for part in parts:
        if out and not (_wide(out[-1]) or _wide(part[0])):
            out += " "
        out += part
    return out


def title_from(
    root: HtmlElement,
    selectors: Iterable[str],
    metas: Mapping[str, str],
    label_title: str | None,
) -> str:
    """Template title, else meta ArticleTitle, else the 标题 row, else h1, else <title>."""
    title = _text_of(select_first(root, selectors))
    if title:
        return title
    for name in META_TAG_TITLES:
        if metas.get(name, "").strip():
            return _SPACES.sub(" ", metas[name]).strip()
    if label_title:
        return label_title
    for h1 in root.iter("h1"):
        text = _text_of(h1)
        if text:
            return text
    head_title = _text_of(select_first(root, ["title"]))
    return strip_site_suffix(head_title) if head_title else ""
