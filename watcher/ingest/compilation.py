"""Compiled bulletins: split one long text holding many documents into the documents.

Takes the text of a compilation (a PDF-extracted 「职教动态与参考」-style bulletin: national and
local documents, interpretations and news pieces, each closing with 「（来源：…）」) and returns one
``CompiledDocument`` per piece with its title, source, kind and first line. Running headers and
page numbers are found by pattern and by frequency next to page boundaries, never by fixed
strings. Titles are the heading line(s) opening a piece and may be wrapped over two or three
lines. A piece that opens with a numbered list of plans whose titles then recur as headings (「八项
行动方案」) is split into those plans. Bodies are passed through ``watcher.text.normalize.normalize``
when that stage is installed, otherwise they keep the raw lines minus page furniture.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from watcher.text.identity import doc_kind, year_range
from watcher.text.keys import squeeze
from watcher.text.normalize import normalize

__all__ = ["CompiledDocument", "DocumentKind", "split_compilation"]

DocumentKind = Literal["document", "interpretation", "news"]

# --------------------------------------------------------------------------- patterns (data)

#: A line that is only a source note: 「（来源：重庆市人民政府官网）」, 「【来源：新华社】」.
_SOURCE_LINE_RE = re.compile(
    r"^\s*[（(【\[〔]\s*(?:来\s*源|稿件来源|信息来源|文章来源|转\s*自|摘\s*自|选\s*自)\s*[：:]\s*"
    r"(?P<src>[^（）()【】\[\]]{1,60}?)\s*[）)】\]〕]\s*$"
)
#: A source note closing the last paragraph: 「…强大合力。（来源：新华社）」.
_SOURCE_TAIL_RE = re.compile(
    r"^(?P<body>.*[。！？”.])\s*[（(【]\s*(?:来源|稿件来源|转自|摘自|选自)\s*[：:]\s*"
    r"(?P<src>[^（）()【】]{1,60}?)\s*[）)】]\s*$"
)
#: Page furniture recognisable on its own.
_PAGE_NUMBER_RES = (
    re.compile(r"^\s*第\s*\d+\s*页\s*[，,/]?\s*(?:共\s*\d+\s*页)?\s*$"),
    re.compile(r"^\s*[—－–\-]{1,2}\s*\d{1,4}\s*[—－–\-]{1,2}\s*$"),
    re.compile(r"^\s*\d{1,4}\s*/\s*\d{1,4}\s*$"),
    re.compile(r"^\s*(?:Page|page|PAGE)\s*\d+(?:\s*(?:of|/)\s*\d+)?\s*$"),
)
#: Table-of-contents furniture: the 「目录」 heading and entries with dot leaders and a page number.
_TOC_RES = (
    re.compile(r"^\s*目\s*录\s*$"),
    re.compile(r"^\s*\S.{0,80}?[\.…·．\s]{4,}\s*\d{1,4}\s*$"),
)
#: Category banners between pieces (「【政策文件】」, 「★ 政策解读」); never part of a title.
_BANNER_RE = re.compile(r"^\s*(?:[【\[][^【】\[\]]{1,12}[】\]]|[★☆■□◆◇●▲]\s*\S{1,12})\s*$")
#: A repeated line this close (in non-blank lines) to a page boundary is a running header/footer.
_FURNITURE_WINDOW = 2
#: ... and it must sit there in at least this share of its occurrences.
_FURNITURE_NEAR_SHARE = 0.8
_FURNITURE_MIN_REPEATS = 3
_FURNITURE_MAX_CHARS = 60
#: Lines opening a body paragraph or an outline item; they never continue a title.
_BODY_START_RE = re.compile(
    r"^\s*(?:\d+[\.．、]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|第[一二三四五六七八九十百\d]+[章节条]|"
    r"[①-⑳]|附\s*件|问\s*[：:]|答\s*[：:]|——)"
)
_SENTENCE_PUNCT_RE = re.compile(r"[，。；：！？,;!?]")
#: A bracketed note that continues a title: 「（2025—2027 年）」, 「（教育部简报〔2024〕第 61期）」.
_TITLE_NOTE_RE = re.compile(r"^\s*[（(][^（）()]{1,40}[）)]\s*$")
#: Numbered items of a contents list opening a collection: 「1. 立德树人固本铸魂行动方案（…）」.
_LIST_ITEM_RE = re.compile(r"^\s*\d{1,2}\s*[\.．、]\s*(?P<title>\S.{1,60}?)\s*$")
_QUESTION_RE = re.compile(r"^\s*(?:\d{1,2}\s*[\.．、]\s*)?问\s*[：:]")
_INTERPRETATION_TITLE_RE = re.compile(r"答记者问|解读|问答|答问|政策吹风|有关情况")
_YEAR_NOTE_RE = re.compile(r"[（(]\s*(?:19|20)\d{2}[^（）()]*[）)]\s*$")
_MAX_TITLE_LINES = 3
#: A line at least this share of the typical line length is a wrapped body line, not a heading.
_FULL_LINE_SHARE = 0.85
#: A tail after the last source note becomes a document only with this much text.
_MIN_TAIL_CHARS = 80

_OPENERS = {"《": "》", "（": "）", "(": ")", "“": "”", "〔": "〕", "【": "】"}
_CJK = "\u3400-\u9fff"


@dataclass(frozen=True)
class CompiledDocument:
    """One piece of a compilation.

    ``start_line`` is the 1-based line of the input where the title starts; ``source`` is the
    text of its 「（来源：…）」 note (None when the piece has none); ``collection`` is the title of
    the collection a plan was split out of (None otherwise).
    """

    title: str
    source: str | None
    text: str
    kind: DocumentKind
    start_line: int
    collection: str | None = None


@dataclass(frozen=True)
class _Line:
    no: int  # 1-based line number in the input
    text: str


# --------------------------------------------------------------------------- entry point


def split_compilation(
    text: str, *, clean: Callable[[str], str] | None = None
) -> list[CompiledDocument]:
    """Split a compiled bulletin into its documents, in order.

    ``clean`` post-processes each body (default: ``normalize``, the canonical stored text).
    """
    cleaner = clean if clean is not None else normalize
    raw = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = _content_lines(raw)
    width = _typical_width(lines)
    docs: list[CompiledDocument] = []
    for segment, source in _segments(lines):
        for title_lines, body, collection in _split_collection(segment, width):
            title = _join_title([ln.text for ln in title_lines])
            if not title and not body:
                continue
            body_text = "\n".join(ln.text.strip() for ln in body)
            if not title:
                title = _fallback_title(body_text)
            docs.append(
                CompiledDocument(
                    title=title,
                    source=source,
                    text=cleaner(body_text) if body_text else "",
                    kind=_classify(title, body),
                    start_line=(title_lines or body)[0].no,
                    collection=collection,
                )
            )
    return docs


# --------------------------------------------------------------------------- furniture


def _content_lines(raw: str) -> list[_Line]:  # noqa: C901 - one rule per kind of page furniture
    """Non-blank lines minus page numbers and running headers/footers, with their line numbers."""
    physical = raw.split("\n")
    # A form feed is a page boundary (attachments.py emits them); it also ends a line.
    items: list[tuple[int, str, bool]] = []  # (line no, text, is_page_boundary_marker)
    for no, line in enumerate(physical, start=1):
        pieces = line.split("\f")
        for i, piece in enumerate(pieces):
            if i > 0:
                items.append((no, "", True))
            items.append((no, piece, False))
    nonblank = [(no, t) for no, t, marker in items if not marker and t.strip()]
    # Page boundaries: explicit form feeds and page-number lines, as positions in `nonblank`.
    boundary_pos: list[int] = []
    pos = 0
    is_page_number: list[bool] = []
    for _no, t, marker in items:
        if marker:
            boundary_pos.append(pos)
            continue
        if not t.strip():
            continue
        pn = any(r.match(t) for r in _PAGE_NUMBER_RES)
        is_page_number.append(pn)
        if pn:
            boundary_pos.append(pos)
        pos += 1
    counts = Counter(squeeze(t) for _, t in nonblank)
    repeated = {
        k
        for k, c in counts.items()
        if c >= _FURNITURE_MIN_REPEATS and 0 < len(k) <= _FURNITURE_MAX_CHARS
    }
    near: Counter[str] = Counter()
    if boundary_pos:
        # The first and last lines of the text are page edges too.
        boundary_pos += [0, len(nonblank) - 1]
        for i, (_, t) in enumerate(nonblank):
            k = squeeze(t)
            if k in repeated and any(abs(i - b) <= _FURNITURE_WINDOW for b in boundary_pos):
                near[k] += 1
    furniture = {k for k in repeated if near[k] >= max(2, _FURNITURE_NEAR_SHARE * counts[k])}
    if not boundary_pos:
        # No page markers at all: only repeated lines that look like issue headers (digits, no
        # sentence or label punctuation) count, so repeated 「牵头部门：市教委」 lines survive.
        furniture = {
            k
            for k in repeated
            if counts[k] >= 4 and re.search(r"\d", k) and not _SENTENCE_PUNCT_RE.search(k)
        }
    return [
        _Line(no, t)
        for (no, t), pn in zip(nonblank, is_page_number, strict=True)
        if not pn and squeeze(t) not in furniture and not any(r.match(t) for r in _TOC_RES)
    ]


def _typical_width(lines: Sequence[_Line]) -> int:
    lengths = [len(squeeze(ln.text)) for ln in lines if len(squeeze(ln.text)) >= 10]
    if len(lengths) < 5:
        return 10_000  # no wrapped text: never call a line "full width"
    lengths.sort()
    return int(lengths[int(len(lengths) * 0.75)])


# --------------------------------------------------------------------------- segments


def _segments(lines: list[_Line]) -> list[tuple[list[_Line], str | None]]:
    """Runs of lines each closed by a source note (the last run may have none)."""
    out: list[tuple[list[_Line], str | None]] = []
    current: list[_Line] = []
    for ln in lines:
        m = _SOURCE_LINE_RE.match(ln.text)
        if m:
            out.append((current, m.group("src").strip()))
            current = []
            continue
        t = _SOURCE_TAIL_RE.match(ln.text)
        if t:
            current.append(_Line(ln.no, t.group("body")))
            out.append((current, t.group("src").strip()))
            current = []
            continue
        current.append(ln)
    tail_chars = len(squeeze("".join(ln.text for ln in current)))
    if current and (not out or tail_chars >= _MIN_TAIL_CHARS):
        out.append((current, None))
    cleaned: list[tuple[list[_Line], str | None]] = []
    for seg, src in out:
        while seg and _BANNER_RE.match(seg[0].text):
            seg = seg[1:]
        if seg:
            cleaned.append((seg, src))
    return cleaned


# --------------------------------------------------------------------------- titles


def _unbalanced(s: str) -> bool:
    return any(s.count(o) > s.count(c) for o, c in _OPENERS.items())


def _title_end(lines: Sequence[_Line], start: int, width: int) -> int:
    """Index after the last title line of a heading starting at ``lines[start]``."""
    first = lines[start].text.strip()
    if _BODY_START_RE.match(first) or len(squeeze(first)) > 80:
        return start
    if squeeze(first).endswith(("。", "；")):
        return start
    end = start + 1
    cur = first
    while end < len(lines) and end - start < _MAX_TITLE_LINES:
        nxt = lines[end].text.strip()
        if _unbalanced(cur) or _TITLE_NOTE_RE.match(nxt):
            pass
        elif (
            _BODY_START_RE.match(nxt)
            or _SENTENCE_PUNCT_RE.search(nxt)
            or len(squeeze(nxt)) >= _FULL_LINE_SHARE * width
            or _SOURCE_LINE_RE.match(nxt)
        ):
            break
        cur += nxt
        end += 1
    return end


def _join_title(parts: Sequence[str]) -> str:
    # Wrapped lines join without a space (Chinese has none at a line break).
    title = "".join(part.strip() for part in parts)
    title = re.sub(r"[ \t\u3000]+", " ", title)
    # PDF extraction puts spaces around digits: 「2035 年」, 「第 61期」, 「（2025 —2030 年）」.
    title = re.sub(rf"(?<=\d) (?=[{_CJK}）)—\-～])|(?<=[{_CJK}（(—\-～]) (?=\d)", "", title)
    return title.strip()


def _fallback_title(body: str) -> str:
    first = body.strip().split("\n", 1)[0]
    head = re.split(r"[，。；！？]", first, maxsplit=1)[0]
    return head[:40]


# --------------------------------------------------------------------------- collections


def _split_collection(
    segment: list[_Line], width: int
) -> list[tuple[list[_Line], list[_Line], str | None]]:
    """(title lines, body lines, collection title) for a segment, split if it is a collection."""
    t_end = _title_end(segment, 0, width)
    title_lines, rest = segment[:t_end], segment[t_end:]
    items: list[str] = []
    for ln in rest:
        m = _LIST_ITEM_RE.match(ln.text)
        if not m or _SENTENCE_PUNCT_RE.search(m.group("title")):
            break
        if doc_kind(m.group("title")) is None and year_range(m.group("title")) is None:
            break
        items.append(m.group("title"))
    if len(items) >= 2:
        starts = _find_headings(rest, len(items), items, width)
        if starts is not None:
            collection = _join_title([ln.text for ln in title_lines])
            parts: list[tuple[list[_Line], list[_Line], str | None]] = []
            preamble = rest[len(items) : starts[0]]
            if len(squeeze("".join(ln.text for ln in preamble))) >= 100:
                parts.append((title_lines, preamble, None))
            for i, s in enumerate(starts):
                stop = starts[i + 1] if i + 1 < len(starts) else len(rest)
                h_end = _title_end(rest, s, width)
                parts.append((rest[s:h_end], rest[h_end:stop], collection))
            return parts
    return [(title_lines, rest, None)]


def _find_headings(rest: list[_Line], skip: int, items: list[str], width: int) -> list[int] | None:
    """Positions of each listed title as a heading later on, in order, or None if any is missing."""
    starts: list[int] = []
    pos = skip
    for item in items:
        wanted = {squeeze(item), squeeze(_YEAR_NOTE_RE.sub("", item))}
        found = None
        for i in range(pos, len(rest)):
            end = _title_end(rest, i, width)
            heading = squeeze("".join(ln.text for ln in rest[i : max(end, i + 1)]))
            if squeeze(rest[i].text) in wanted or heading in wanted:
                found = i
                break
        if found is None:
            return None
        starts.append(found)
        pos = found + 1
    return starts


# --------------------------------------------------------------------------- kinds


def _classify(title: str, body: Sequence[_Line]) -> DocumentKind:
    questions = sum(1 for ln in body if _QUESTION_RE.match(ln.text))
    if questions >= 2 or (_INTERPRETATION_TITLE_RE.search(title) and questions >= 1):
        return "interpretation"
    if _INTERPRETATION_TITLE_RE.search(title) and "答记者问" in title:
        return "interpretation"
    if doc_kind(title) is not None:
        return "document"
    return "news"
