"""Canonical text of a document (the ``normalize`` stage).

Takes the text that extraction produced (web page text, or PDF/DOCX attachment text) and returns
the text we store and parse: mojibake repaired where the bytes are recoverable, Word bookmark
debris and pinyin annotations removed, Traditional script converted to Simplified, running
headers, footers and page numbers dropped, PDF hard wraps joined, whitespace unified, one
paragraph per line. (Folded forms for matching live in ``keys``.) Never NFKC:
it would turn ① into 1 and （1） into (1) and break the section parser. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from watcher.text.script import to_simplified

__all__ = ["NormalizeResult", "mojibake_score", "normalize", "normalize_report"]

# --------------------------------------------------------------------------- heuristics as data

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
#: Pinyin in parentheses straight after a CJK character: 「設(shè)」. Lower-case only and at least
#: one tone mark (or ü), so 「(AI)」「(kg)」「(2024—2035年)」 survive.
_PINYIN = re.compile(rf"(?<=[{_CJK}])[(（](?=[a-z]{{0,6}}[{_TONED}])[a-z{_TONED}]{{1,7}}[)）]")
#: Word export debris: 「[bookmark: OLE_LINK2]」, 「[bookmark: _Toc123]」.
_BOOKMARK = re.compile(r"\[bookmark:[^\]\n]{0,200}\]")
_ENTITIES = {"&nbsp;": " ", "&#160;": " ", "&ensp;": " ", "&emsp;": " ", "&#12288;": " "}
_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_MULTI_SPACE = re.compile(" {2,}")
#: PDF extraction puts spaces around Arabic numbers inside Chinese: 「到 2027 年」「达到 94%，」.
#: Only a number with Chinese on both sides (or starting the line) loses them, so table rows
#: like 「主要指标 2023年 2027年」「毛入园率（%） 93.06 94」 keep their cell gaps.
_CJK_LEFT = rf"{_CJK}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20—"
_NUMBER = r"\d[\d.]{0,12}(?:[—~～-]\d[\d.]{0,12})?%?"
_DIGIT_SPACE = (
    re.compile(rf"(?:(?<=[{_CJK_LEFT}])|^) ?({_NUMBER}) (?=[{_CJK}])"),
    re.compile(rf"(?<=[{_CJK}]) ({_NUMBER}%)(?=[{_CJK_LEFT}]|$)"),
)
#: Page-number lines: 「第 2 页 共 175 页」「— 3 —」「- 3 -」「3 / 175」「Page 3 of 9」.
_PAGE_NUMBER = (
    re.compile(r"^第\s?\d{1,4}\s?页\s?[，,/]?\s?(?:共\s?\d{1,4}\s?页)?$"),
    re.compile(r"^共\s?\d{1,4}\s?页\s?[，,]?\s?第\s?\d{1,4}\s?页$"),
    re.compile(r"^[—－–\-‒―]{1,2}\s?\d{1,4}\s?[—－–\-‒―]{1,2}$"),
    re.compile(r"^\d{1,4}\s?/\s?\d{1,4}$"),
    re.compile(r"^(?i:page)\s?\d{1,4}(?:\s?(?i:of)\s?\d{1,4})?$"),
)
#: A running header/footer repeats at least this often, is this long, and sits next to a page
#: boundary (page number, form feed or an unusually long blank gap) most of the time.
_FURNITURE_MIN_COUNT = 3
_FURNITURE_MIN_LEN = 4
_FURNITURE_MAX_LEN = 80
_FURNITURE_SHARE = 0.5
#: Lines ending in these end a paragraph; a full-width line ending otherwise is a hard wrap.
_PARA_END = "。！？!?"
#: Hard-wrap detection: enough lines of about the same visual width.
_WRAP_MIN_WIDTH = 12
_WRAP_MIN_LINES = 5
_WRAP_MIN_SHARE = 0.25
_NARROW = re.compile("[\u0000-\u02ff\uff61-\uffdc]")
_WRAP_TOLERANCE = 3  # a wrapped line may be this much narrower than the page
#: A short line with none of these is a table cell (kept on its own line).
_CELL_MAX = 15
_PROSE_PUNCT = re.compile(r"[。；，：！？,;]")
#: Heading markers (same family as watcher.structure) that must start a new line.
_HEADING_START = re.compile(
    r"^(?:[一二三四五六七八九十百]{1,4}、|[（(][一二三四五六七八九十百]{1,4}[）)]|\d{1,3}(?:[.．](?!\d)|、)"
    r"|[（(]\d{1,3}[）)]|[①-⑳⑴-⒇]|第[一二三四五六七八九十百零〇\d]{1,5}[编章节条]|附件)"
)
_L1_START = re.compile(r"^[一二三四五六七八九十百]{1,4}、")
#: Traditional→Simplified conversion runs only when this share of CJK characters changes, so a
#: Simplified text is never touched (t2s maps some Simplified characters too, e.g. 覆→复).
_TRAD_MIN_SHARE = 0.02
_TRAD_MIN_CHARS = 2

# Mojibake: characters that UTF-8 or GBK bytes become when decoded as latin-1 or cp1252.
_CP1252_EXTRA = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_CP1252_BYTE = {
    ch: bytes([b])
    for b in range(0x80, 0xA0)
    for ch in [bytes([b]).decode("cp1252", errors="ignore")]
    if ch
}
_LATIN_RUN = re.compile(rf"[\u0080-\u00ff{_CP1252_EXTRA}]{{2,}}")
_SUSPECT = re.compile(r"[\u0080-\u009f\u00c0-\u00ff\ufffd]|锟斤拷|烫烫烫|屯屯屯")
_MOJIBAKE_FLAG_SCORE = 0.01
_MOJIBAKE_FLAG_MIN = 3


@dataclass(frozen=True)
class NormalizeResult:
    """Normalised text and what was done to get it (flags for the CLI and the store)."""

    text: str
    flags: tuple[str, ...] = ()  # traditional, pinyin, mojibake_repaired, mojibake_unrepaired,
    # pdf_dewrapped, page_furniture, bookmarks
    dropped_lines: tuple[str, ...] = ()  # running headers/footers and page numbers removed
    mojibake: float = 0.0  # mojibake_score of the result


def _to_simplified(text: str, force: bool = False) -> tuple[str, bool]:
    """t2s when enough of ``text`` is Traditional (or ``force``: pinyin-annotated copies are)."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
    if not cjk:
        return text, False
    converted = to_simplified(text)
    if len(converted) == len(text):
        changed = sum(1 for a, b in zip(text, converted, strict=True) if a != b)
    else:
        changed = cjk
    if changed and (force or (changed >= _TRAD_MIN_CHARS and changed >= _TRAD_MIN_SHARE * cjk)):
        return converted, True
    return text, False


# --------------------------------------------------------------------------- mojibake


def mojibake_score(text: str) -> float:
    """Share of non-space characters that look like mojibake (0.0 clean … 1.0 all garbage)."""
    visible = len(text) - text.count(" ") - text.count("\n")
    if visible <= 0:
        return 0.0
    hits = sum(len(m.group()) for m in _SUSPECT.finditer(text))
    return min(1.0, hits / visible)


def _cjk_share(text: str) -> float:
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 0.0
    return sum(1 for ch in visible if ch >= "\u3000") / len(visible)


def _latin_bytes(text: str) -> bytes | None:
    out = bytearray()
    for ch in text:
        o = ord(ch)
        if o < 0x100:
            out.append(o)
        elif ch in _CP1252_BYTE:
            out += _CP1252_BYTE[ch]
        else:
            return None
    return bytes(out)


def _redecode(text: str, codecs: tuple[str, ...] = ("utf-8", "gb18030")) -> str | None:
    """``text`` re-decoded from the bytes it was wrongly decoded from, if that is clearly better."""
    raw = _latin_bytes(text)
    if raw is None:
        return None
    for codec in codecs:
        try:
            fixed = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\ufffd" in fixed or any("\u0080" <= ch <= "\u009f" for ch in fixed):
            continue
        if _cjk_share(fixed) >= 0.5 and mojibake_score(fixed) < mojibake_score(text):
            return fixed
    return None


#: A line re-decoded as a whole must give at least this many CJK characters: two latin-1
#: letters (「ès」) are as likely French as one garbled GBK character.
MIN_MOJIBAKE_CJK = 2


def _repair_mojibake(text: str) -> tuple[str, bool]:
    if not _SUSPECT.search(text):
        return text, False
    repaired = False
    out: list[str] = []
    for line in text.split("\n"):
        # GBK needs the ASCII bytes too, so try the line, judged as the later steps will leave
        # it (spaces folded, ends stripped), so that normalising twice changes nothing
        core = _SPACES.sub(" ", line).strip()
        if mojibake_score(core) > 0.2:
            whole = _redecode(core)
            if whole is not None and sum(ch >= "\u3000" for ch in whole) >= MIN_MOJIBAKE_CJK:
                out.append(whole)
                repaired = True
                continue

        def fix_run(m: re.Match[str]) -> str:
            nonlocal repaired
            fixed = _redecode(m.group(), ("utf-8",))
            if fixed is None:
                return m.group()
            repaired = True
            return fixed

        out.append(_LATIN_RUN.sub(fix_run, line))  # UTF-8 only: GBK runs need ASCII bytes
    return "\n".join(out), repaired


# --------------------------------------------------------------------------- page furniture


def _is_page_number(line: str) -> bool:
    return len(line) <= 30 and any(p.match(line) for p in _PAGE_NUMBER)


def _find_furniture(lines: list[str]) -> set[str]:
    """Lines that repeat as running headers/footers (by frequency next to page boundaries)."""
    counts = Counter(ln for ln in lines if _FURNITURE_MIN_LEN <= len(ln) <= _FURNITURE_MAX_LEN)
    candidates = {ln for ln, n in counts.items() if n >= _FURNITURE_MIN_COUNT}
    if not candidates:
        return set()
    # page boundaries: page numbers, form feeds, and blank gaps longer than the usual one
    gaps: Counter[int] = Counter()
    run = 0
    for ln in lines:
        if ln:
            gaps[run] += 1
            run = 0
        else:
            run += 1
    usual_gap = gaps.most_common(1)[0][0] if gaps else 0
    # content lines with "a page boundary directly before it"; page numbers are boundaries too
    content: list[tuple[str, bool]] = []
    run = 0
    boundary = True
    for ln in lines:
        if not ln:
            run += 1
            continue
        if ln == "\f" or _is_page_number(ln):
            boundary = True
            run = 0
            continue
        content.append((ln, boundary or run > usual_gap + 1))
        boundary = False
        run = 0
    content.append(("", True))  # the end of the text is a boundary as well
    # running furniture sits at the edge of a page: right after or right before a boundary
    at_edge: Counter[str] = Counter(
        ln
        for i, (ln, before) in enumerate(content[:-1])
        if ln in candidates and (before or content[i + 1][1])
    )
    return {ln for ln in candidates if at_edge[ln] >= _FURNITURE_SHARE * counts[ln]}


# --------------------------------------------------------------------------- de-wrapping


def _width(line: str) -> float:
    """Visual width in full-width cells: ASCII/Latin and half-width forms count half."""
    return len(line) - 0.5 * len(_NARROW.findall(line))


def _is_cell(line: str) -> bool:
    return len(line) <= _CELL_MAX and not _PROSE_PUNCT.search(line)


def _page_width(lines: list[str]) -> float | None:
    """The wrap width when the text is hard-wrapped (PDF), else None."""
    widths = [_width(ln) for ln in lines]
    hist = Counter(round(w) for w in widths if w >= _WRAP_MIN_WIDTH)
    if not hist:
        return None
    mode = max(hist, key=lambda w: (sum(hist[w + d] for d in range(-2, 2)), w))
    near = sum(1 for w in widths if mode - _WRAP_TOLERANCE <= w <= mode + 1.5)
    if near >= _WRAP_MIN_LINES and near >= _WRAP_MIN_SHARE * len(lines):
        return float(mode)
    return None


def _join(a: str, b: str) -> str:
    if a[-1:].isascii() and a[-1:].isalnum() and b[:1].isascii() and b[:1].isalnum():
        return f"{a} {b}"
    return a + b


def _dewrap(paras: list[tuple[str, bool]]) -> tuple[list[str], bool]:
    """Join hard-wrapped lines. ``paras`` is (line, hard break before it)."""
    lines = [ln for ln, _ in paras]
    width = _page_width(lines)
    if width is None:
        return lines, False
    full = width - _WRAP_TOLERANCE
    out: list[str] = []
    joined = False
    cur = ""
    cur_last = ""  # last physical line of ``cur``
    for i, (ln, hard) in enumerate(paras):
        if cur and not hard and _wraps_into(cur_last, ln, full, paras, i):
            cur = _join(cur, ln)
            joined = True
        else:
            if cur:
                out.append(cur)
            cur = ln
        cur_last = ln
    if cur:
        out.append(cur)
    return out, joined


def _wraps_into(prev: str, nxt: str, full: float, paras: list[tuple[str, bool]], i: int) -> bool:
    if _width(prev) < full or prev[-1] in _PARA_END:
        return False
    if _HEADING_START.match(nxt) or _is_page_number(nxt):
        return False
    if _L1_START.match(prev) and _width(nxt) >= full:
        return False  # a full-width 一、 heading, then a body paragraph
    if _is_cell(nxt):
        after = paras[i + 1][0] if i + 1 < len(paras) else ""
        if after and _is_cell(after) and not _HEADING_START.match(after):
            return False  # the start of a table broken one cell per line
    return True


def _blank_doubled(lines: list[str]) -> bool:
    """True when (PDF) text has a blank line after almost every line, so blanks mean nothing."""
    nonblank = sum(1 for ln in lines if ln)
    single_gaps = sum(
        1 for a, b, c in zip(lines, lines[1:], lines[2:], strict=False) if a and not b and c
    )
    return nonblank > 3 and single_gaps >= 0.6 * nonblank


# --------------------------------------------------------------------------- public API


def _clean_line(line: str) -> str:
    line = _SPACES.sub(" ", line).strip()
    if " " not in line:
        return line
    line = _MULTI_SPACE.sub(" ", line)
    for pattern in _DIGIT_SPACE:
        line = pattern.sub(r"\1", line)
    return line


def normalize_report(text: str) -> NormalizeResult:  # noqa: C901 - the normalisation steps in order, each optional
    """Normalise ``text`` and say what was done (see :class:`NormalizeResult`)."""
    flags: list[str] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\f\n")
    text = _ZERO_WIDTH.sub("", text)
    for entity, repl in _ENTITIES.items():
        text = text.replace(entity, repl)
    text, fixed = _repair_mojibake(text)
    if fixed:
        flags.append("mojibake_repaired")
    text, n = _BOOKMARK.subn("", text)
    if n:
        flags.append("bookmarks")
    text, n = _PINYIN.subn("", text)
    if n:
        flags.append("pinyin")
    text, trad = _to_simplified(text, force="pinyin" in flags)
    if trad:
        flags.append("traditional")

    lines = [ln if ln == "\f" else _clean_line(ln) for ln in text.split("\n")]
    furniture = _find_furniture(lines)
    dropped: list[str] = []
    doubled = _blank_doubled(lines)
    paras: list[tuple[str, bool]] = []
    hard = False
    soft = False
    for ln in lines:
        if ln == "\f":
            soft = True
            continue
        if not ln:
            hard = hard or not doubled
            continue
        if ln in furniture or _is_page_number(ln):
            dropped.append(ln)
            soft = True
            continue
        paras.append((ln, hard and not soft))
        hard = soft = False
    if dropped:
        flags.append("page_furniture")
    out, dewrapped = _dewrap(paras)
    if dewrapped:
        flags.append("pdf_dewrapped")
    result = "\n".join(out)
    score = mojibake_score(result)
    suspects = sum(len(m.group()) for m in _SUSPECT.finditer(result))
    if "\ufffd" in result or (score >= _MOJIBAKE_FLAG_SCORE and suspects >= _MOJIBAKE_FLAG_MIN):
        flags.append("mojibake_unrepaired")
    return NormalizeResult(result, tuple(flags), tuple(dropped), score)


def normalize(text: str) -> str:
    """Canonical text for storing and parsing: one paragraph per line, no blank lines."""
    return normalize_report(text).text
