"""Generic main-text extraction for pages no template knows.

Input: a parsed page (furniture already removed) and its HTML; output: the main text, one
paragraph per line, and the name of the method that produced it. Two candidates are built: a
text-density scorer over block elements (Chinese punctuation and non-link characters push a
block up, link-heavy blocks down, like Readability but tuned for ``<br>``-separated Chinese
pages), and trafilatura. They are compared by shared 4-character shingles: when one candidate
is essentially contained in the other and covers most of it, the tighter one wins; when the
scorer found only a fragment of what trafilatura found, trafilatura wins.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

from watcher.ingest.extract._dom import HtmlElement, element_text, tidy_lines
from watcher.ingest.extract.rules import BLOCK_TAGS

__all__ = ["density_text", "fallback_text"]

# Blocks that may be chosen as the main-text container.
_CANDIDATE_TAGS = frozenset(
    {
        "div",
        "td",
        "article",
        "section",
        "main",
        "body",
        "table",
        "tr",
        "p",
        "blockquote",
        "pre",
        "center",
        "dd",
        "li",
        "tbody",
    }
)
_STRUCTURE_TAGS = BLOCK_TAGS - {"br", "hr"}
_PUNCT = re.compile(r"[，。！？；、,.!?;：:“”]")
_SPACE = re.compile(r"\s+")
_NAV_TAGS = ("nav", "aside", "footer")
_MIN_PARAGRAPH = 10  # characters of non-link text that make a block a paragraph
_SIBLING_RATIO = 0.2  # a sibling joins the top block above this share of its score
# Below this share of the page's non-link text the scorer may have picked a fragment; measured
# on extract-dev, every page where it did lay below 0.5 and every good pick above 0.6.
_CONFIDENT_SHARE = 0.6


@dataclass
class _Stats:
    own: int = 0  # non-link characters whose nearest block is this element
    own_link: int = 0
    punct: int = 0
    total: int = 0  # whole subtree
    link: int = 0
    score: float = 0.0
    parent: HtmlElement | None = None
    children: list[HtmlElement] = field(default_factory=list)


def _measure(root: HtmlElement) -> dict[HtmlElement, _Stats]:  # noqa: C901 - one iterative DOM pass gathering every statistic
    """Per-block character, link and punctuation counts (own and subtree), without recursion."""
    stats: dict[HtmlElement, _Stats] = {}
    blocks: list[HtmlElement] = []
    link_depth = 0

    def add(block: HtmlElement, text: str | None, in_link: bool) -> None:
        if not text:
            return
        n = len(_SPACE.sub("", text))
        if not n:
            return
        st = stats[block]
        if in_link:
            st.own_link += n
        else:
            st.own += n
            st.punct += len(_PUNCT.findall(text))

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _STRUCTURE_TAGS or el is root:
                st = _Stats(parent=blocks[-1] if blocks else None)
                stats[el] = st
                if blocks:
                    stats[blocks[-1]].children.append(el)
                blocks.append(el)
            if tag == "a":
                link_depth += 1
            add(blocks[-1], el.text, link_depth > 0)
        else:
            if tag == "a":
                link_depth -= 1
            if blocks and blocks[-1] is el:
                blocks.pop()
            if blocks:
                add(blocks[-1], el.tail, link_depth > 0)
    for el in reversed(list(stats)):
        st = stats[el]
        st.total += st.own + st.own_link
        st.link += st.own_link
        if st.parent is not None:
            stats[st.parent].total += st.total
            stats[st.parent].link += st.link
    return stats


def _score(stats: dict[HtmlElement, _Stats]) -> None:
    for st in stats.values():
        if st.own < _MIN_PARAGRAPH:
            continue
        value = 1.0 + st.punct + min(st.own / 100.0, 3.0)
        st.score += value
        parent = st.parent
        if parent is not None:
            stats[parent].score += value
            grand = stats[parent].parent
            if grand is not None:
                stats[grand].score += value / 2


def _link_density(st: _Stats) -> float:
    return st.link / st.total if st.total else 1.0


def _best(stats: dict[HtmlElement, _Stats]) -> HtmlElement | None:
    best: HtmlElement | None = None
    best_score = 0.0
    for el, st in stats.items():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag not in _CANDIDATE_TAGS:
            continue
        value = st.score * (1.0 - _link_density(st))
        # ">=": on a tie the deeper block (visited later) wins, which is the tighter container.
        if value > 0 and value >= best_score:
            best, best_score = el, value
    return best


def _with_siblings(top: HtmlElement, stats: dict[HtmlElement, _Stats]) -> list[HtmlElement]:
    st = stats[top]
    parent = st.parent
    if parent is None:
        return [top]
    top_value = st.score * (1.0 - _link_density(st))
    threshold = max(10.0, top_value * _SIBLING_RATIO)
    chosen: list[HtmlElement] = []
    for sib in stats[parent].children:
        if sib is top:
            chosen.append(sib)
            continue
        s = stats[sib]
        density = _link_density(s)
        value = s.score * (1.0 - density)
        if (
            value >= threshold
            or (s.own > 80 and density < 0.25)
            or (0 < s.own <= 80 and density == 0 and s.punct and _ends_sentence(sib))
        ):
            chosen.append(sib)
    return chosen


def _ends_sentence(el: HtmlElement) -> bool:
    text: str = el.text_content().strip()
    return text.endswith(("。", "！", "？", ".", "”"))


def _prune(container: HtmlElement, stats: dict[HtmlElement, _Stats]) -> None:
    """Drop link lists inside the chosen container (related articles, tag clouds, pagers)."""
    for el in list(container.iter()):
        st = stats.get(el)
        if st is None or el is container or el.getparent() is None:
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        if (
            tag in ("ul", "ol", "div", "table", "dl", "td", "tr", "p", "li", "span", "font")
            and st.total
            and _link_density(st) > 0.5
            and st.total - st.link < 200
        ):
            el.drop_tree()


def density_text(root: HtmlElement) -> str:
    """Main text chosen by the density scorer; "" when no block looks like prose."""
    return _density(root)[0]


def _density(root: HtmlElement) -> tuple[str, float]:
    """(text, share of the page's non-link characters that the text holds)."""
    for el in list(root.iter(*_NAV_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    stats = _measure(root)
    _score(stats)
    top = _best(stats)
    if top is None:
        return "", 0.0
    page_chars = max(stats[root].total - stats[root].link, 1)
    parts = _with_siblings(top, stats)
    texts: list[str] = []
    for el in parts:
        _prune(el, stats)
        text = element_text(el)
        if text:
            texts.append(text)
    joined = "\n".join(texts)
    return joined, len(_SPACE.sub("", joined)) / page_chars


def _shingles(text: str, n: int = 4) -> Counter[str]:
    s = _SPACE.sub("", text)
    return Counter(s[i : i + n] for i in range(max(len(s) - n + 1, 0)))


def _trafilatura_text(html: str) -> str:
    import trafilatura  # imported lazily: it is slow to import and only the fallback needs it

    try:
        text = trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            favor_precision=False,
            deduplicate=False,
        )
    except Exception:  # trafilatura raises assorted errors on broken markup; it is one candidate
        return ""
    return "\n".join(tidy_lines(text or ""))


def fallback_text(root: HtmlElement, html: str) -> tuple[str, str]:
    """(text, method) for a page no template knows."""
    dense, share = _density(root)
    if dense and share >= _CONFIDENT_SHARE:
        # The chosen blocks hold most of the page's prose: nothing big was left out, so the
        # slower second opinion is not needed (and on such pages it mostly adds boilerplate).
        return dense, "fallback:density"
    traf = _trafilatura_text(html)
    if not dense:
        return traf, "fallback:trafilatura"
    if not traf:
        return dense, "fallback:density"
    a, b = _shingles(dense), _shingles(traf)
    common = sum((a & b).values())
    a_in_b = common / max(sum(a.values()), 1)  # how much of dense trafilatura also has
    b_in_a = common / max(sum(b.values()), 1)  # how much of trafilatura dense also has
    if b_in_a < 0.6 and a_in_b > 0.8:
        # The scorer found only a fragment of trafilatura's text: it picked too small a block.
        return traf, "fallback:trafilatura"
    return dense, "fallback:density"
