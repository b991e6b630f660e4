"""Lineage: which stored document a document implements or replaces.

In: a document's text and title, and the (id, title) pairs of stored documents. Out:
``LineageLink``s. Three kinds of evidence: a citation in the opening (「根据《X》，制定本规划」,
「为贯彻落实《X》（文号）」, 「以下简称《…》」 aliases resolved) → "implements"; the same title
series with an earlier year range or edition (「…（2024—2027年）」 after 「…（2021—2023年）」,
「第二期」 after 「第一期」) → "supersedes"; and pairs configured by the operator → "configured".
Title matching uses ``identity`` keys (wrappers, width, dashes and spacing ignored).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from watcher.config import Pair
from watcher.models import LineageLink
from watcher.text.identity import doc_numbers, series_key, title_key, unwrap_title, year_range
from watcher.text.numerals import parse_cn_numeral
from watcher.text.sentences import split_sentences

__all__ = [
    "KEYER",
    "LineageLink",
    "cited_key",
    "configured_parent",
    "find_citations",
    "find_predecessor",
    "match_cited",
    "title_keys",
]

# --------------------------------------------------------------------------- constants (data)

#: Verbs that introduce a parent document in the opening of a plan or notice.
CITATION_VERBS: tuple[str, ...] = (
    "根据",
    "依据",
    "按照",
    "遵照",
    "贯彻落实",
    "贯彻",
    "落实",
    "对照",
    "参照",
    "执行",
)
#: How far into a document the opening (where parent citations live) may reach, in characters.
OPENING_CHARS = 1200
#: A first-level heading ends the opening.
_HEADING_RE = re.compile(r"\n\s*(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+[章条])")
#: A line at least this share of the longest line's length is a hard-wrapped line.
WRAP_SHARE = 0.75
SENTENCE_ENDS = ("。", "！", "？", "；", "：")
_TITLE_RE = re.compile(r"《([^《》]{2,120})》")
_ALIAS_RE = re.compile(
    r"《([^《》]{2,120})》[^《》]{0,40}?[（(]\s*以下简称\s*[“\"《]?([^”\"《》）)]{1,20})[”\"》]?\s*[）)]"
)
#: Edition words and their order (「第二期」 follows 「第一期」 or a title without an edition).
_EDITION_RE = re.compile(r"第([一二三四五六七八九十\d]+)(?:期|轮)|新一(?:轮|期)")


def _clean_title(title: str) -> str:
    # PDF wraps break titles mid-word; a cited title never contains real line breaks or spaces
    # between CJK characters.
    return re.sub(r"\s+", "", title)


def _opening(text: str) -> str:
    head = text[:OPENING_CHARS]
    m = _HEADING_RE.search(head)
    return head[: m.start()] if m else head


def _dewrap(text: str) -> str:
    """Join hard-wrapped lines (PDF text): a line as long as the longest lines that does not end
    a sentence continues on the next line. Web text keeps its one-paragraph-per-line breaks."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if not lines:
        return ""
    width = max(len(ln) for ln in lines)
    out: list[str] = []
    joining = False
    for ln in lines:
        if joining:
            out[-1] += ln
        else:
            out.append(ln)
        joining = len(ln) >= WRAP_SHARE * width and not ln.endswith(SENTENCE_ENDS)
    return "\n".join(out)


def find_citations(text: str) -> list[LineageLink]:
    """Parent documents cited in the opening of ``text`` (relation "implements"), in order,
    each once; evidence is the citing sentence, aliases (「以下简称《纲要》」) resolved."""
    opening = _opening(text)
    aliases = {
        _clean_title(m.group(2)): _clean_title(m.group(1))
        for m in _ALIAS_RE.finditer(text[: OPENING_CHARS * 4])
    }
    flat = _dewrap(opening)
    links: list[LineageLink] = []
    seen: set[str] = set()
    for sentence in split_sentences(flat, ends="。！？", need_word=False):
        titles = list(_TITLE_RE.finditer(sentence))
        if not titles:
            continue
        verbs = [sentence.find(v) for v in CITATION_VERBS if v in sentence]
        first_verb = min(verbs) if verbs else -1
        if first_verb < 0:
            continue
        for t in titles:
            if t.start() < first_verb:
                continue  # a title before the verb is the document itself (「《X》主要内容如下」)
            cited = _clean_title(t.group(1))
            cited = aliases.get(cited, cited)
            key = title_key(cited)
            if key in seen:
                continue
            seen.add(key)
            numbers = doc_numbers(sentence[t.end() : t.end() + 40])
            tail = sentence[t.end() : t.end() + 1]
            number = numbers[0] if numbers and tail in "（(" else None
            links.append(LineageLink("implements", cited, _clean_title(sentence), number))
    return links


# --------------------------------------------------------------------------- title matching

#: Names the keying below; bump it when ``cited_key``/``title_keys`` change, so stored key
#: indexes are made again.
KEYER = "lineage-keys-1"
#: A cited title shorter than this (in key characters) must equal a title, not just occur in it.
MIN_CONTAINED = 6


def cited_key(title: str) -> str:
    """The key a cited (or stored) title is matched by."""
    return title_key(_clean_title(title))


def title_keys(title: str) -> tuple[str, str]:
    """(title key, series key) of a stored title: what an index of candidates is looked up by
    (``match_cited`` and ``configured_parent`` by the first, ``find_predecessor`` by the
    second)."""
    return cited_key(title), series_key(title)


def match_cited(cited_title: str, candidates: Sequence[tuple[int, str]]) -> int | None:
    """The id of the stored document a cited title names: equal title keys first (wrappers
    such as 「关于印发《X》的通知」, width, dashes and spacing ignored), else the single
    candidate whose key contains the cited one."""
    key = cited_key(cited_title)
    if not key:
        return None
    keys = [(doc_id, cited_key(t)) for doc_id, t in candidates]
    for doc_id, k in keys:
        if k == key:
            return doc_id
    containing = [doc_id for doc_id, k in keys if len(key) >= MIN_CONTAINED and key in k]
    return containing[0] if len(containing) == 1 else None


def _edition(title: str) -> int:
    m = _EDITION_RE.search(unwrap_title(title))
    if not m:
        return 1
    if m.group(1) is None:  # 新一轮 / 新一期: later than an edition without a number
        return 2
    return parse_cn_numeral(m.group(1)) or 1


def find_predecessor(
    title: str, candidates: Sequence[tuple[int, str]]
) -> tuple[int, LineageLink] | None:
    """The latest earlier edition of the same title series (relation "supersedes"): same
    ``series_key``, and an earlier year range or a lower edition number. None when the title has
    no period or edition to order by, or no earlier edition is stored."""
    skey = series_key(title)
    if not skey:
        return None
    years = year_range(title)
    edition = _edition(title)
    best: tuple[tuple[int, int], int, str] | None = None
    for doc_id, cand in candidates:
        if series_key(cand) != skey or title_key(cand) == title_key(title):
            continue
        cyears = year_range(cand)
        cedition = _edition(cand)
        earlier = False
        if years and cyears:
            earlier = cyears < years
        elif edition > cedition:
            earlier = True
        if not earlier:
            continue
        order = (cyears[0] if cyears else 0, cedition)
        if best is None or order > best[0]:
            best = (order, doc_id, cand)
    if best is None:
        return None
    _, doc_id, cand = best
    cited = unwrap_title(cand)
    return doc_id, LineageLink(
        "supersedes", cited, f"同一系列的前一期：《{cited}》→《{unwrap_title(title)}》"
    )


def configured_parent(
    title: str, pairs: Sequence[Pair], candidates: Sequence[tuple[int, str]]
) -> tuple[int, LineageLink] | None:
    """The parent named by an operator-configured pair whose ``child`` occurs in ``title``
    (relation "configured"); the parent is the stored document whose title contains
    ``pair.parent`` (keys compared, so width and dashes do not matter)."""
    tkey = title_key(title)
    for pair in pairs:
        if title_key(pair.child) not in tkey:
            continue
        pkey = title_key(pair.parent)
        for doc_id, cand in candidates:
            if pkey and pkey in title_key(cand) and title_key(cand) != tkey:
                cited = unwrap_title(cand)
                return doc_id, LineageLink(
                    "configured", cited, f"配置的上位文件：「{pair.child}」→「{pair.parent}」"
                )
    return None
