"""Version diff: what changed between two versions of the same document.

In: the section trees of version n-1 and version n (``structure.parse`` output). Out: a
``VersionDiff`` listing added, removed and changed sections, each changed one with character-level
``InlineOp``s. Sections are aligned first (same id and heading, then same heading under a new
number, then content similarity for renumbered or reworded ones) and diff-match-patch runs only on
aligned pairs, never on whole documents. Cosmetic differences (whitespace, full/half width,
dash variants, visit counters, page-generation stamps, page furniture) never count as changes.
The module also gives the store its version fingerprint and the flip-flop test (A→B→A alerts once).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from watcher.models import InlineOp, Section, SectionChange, VersionDiff
from watcher.text.keys import match_key, word_key
from watcher.text.similarity import (
    best_pairs,
    char_diff,
    has_edits,
    similarity_matrix,
    tfidf_vectors,
)

__all__ = [
    "COSMETIC_LINE_PATTERNS",
    "diff_versions",
    "is_flip_flop",
    "substantive_text",
    "text_fingerprint",
]

# --------------------------------------------------------------------------- constants (data)

#: Page furniture and counters that change between fetches without the document changing.
#: Each pattern is removed wherever it occurs (inline or as a whole line).
COSMETIC_LINE_PATTERNS: tuple[str, ...] = (
    r"(?:访问|浏览|点击|阅读)(?:次数|量|数)\s*[:：]?\s*\d+\s*次?",
    r"页面生成时间\s*[:：][^\n]*",
    r"(?:发布|更新|生成|刷新)时间\s*[:：][^\n]*",
    r"第\s*\d+\s*页\s*共\s*\d+\s*页",
    r"【\s*字体\s*[:：]?[^】]*】",
    r"(?:字号|字体)\s*[:：]\s*(?:大\s*中\s*小|[大中小])",
)
#: Lines that are page furniture when they stand alone.
COSMETIC_WHOLE_LINES: tuple[str, ...] = (
    r"打印(?:本页|此页)?",
    r"关闭(?:窗口|本页)?",
    r"分享到\s*[:：]?",
    r"纠错",
    r"收藏",
    r"扫一扫在手机(?:上)?打开当前页",
    r"返回顶部",
    r"【?打印】?\s*【?关闭】?",
)
_COSMETIC_INLINE = re.compile("|".join(f"(?:{p})" for p in COSMETIC_LINE_PATTERNS))
_COSMETIC_LINE = re.compile(
    r"^\s*(?:"
    + "|".join(COSMETIC_WHOLE_LINES)
    + r")(?:\s+(?:"
    + "|".join(COSMETIC_WHOLE_LINES)
    + r"))*\s*$"
)

#: Content similarity above which a section under a new number and heading is the same section.
MOVED_MIN_SIMILARITY = 0.5
#: Lower bar for a pair that also keeps its id (reworded heading and body in place).
SAME_ID_MIN_SIMILARITY = 0.25


# --------------------------------------------------------------------------- cosmetic filter


def substantive_text(text: str) -> str:
    """``text`` without page furniture lines and counters (still the original characters)."""
    lines = []
    for line in text.split("\n"):
        if _COSMETIC_LINE.match(line):
            continue
        cleaned = _COSMETIC_INLINE.sub("", line)
        if cleaned.strip() or not line.strip():
            lines.append(cleaned)
    return "\n".join(lines)


def _key(text: str) -> str:
    return "".join(match_key(substantive_text(text)).split())


def text_fingerprint(text: str) -> str:
    """Hash of the match key of the substantive text: two versions differing only cosmetically
    (whitespace, width, counters, page furniture) get the same fingerprint."""
    return hashlib.sha256(_key(text).encode("utf-8")).hexdigest()


def is_flip_flop(new_fp: str, earlier_fps: Iterable[str]) -> bool:
    """True when a new version's fingerprint equals any earlier version's (A→B→A): the page went
    back to text already seen and reported, so it must not raise a second alert."""
    return any(new_fp == fp for fp in earlier_fps)


# --------------------------------------------------------------------------- alignment


@dataclass(frozen=True)
class _Node:
    id: str
    heading: str
    text: str  # heading + own body, furniture removed (children are separate nodes)
    key: str  # match key of text, whitespace removed


def _nodes(root: Section) -> list[_Node]:
    out = []
    for s in root.walk():
        own = "\n".join(p for p in ((s.heading if s.level else ""), s.body) if p)
        text = substantive_text(own)
        out.append(_Node(s.id, s.heading if s.level else "", text, _key(text)))
    return out


def _heading_key(node: _Node) -> str:
    return word_key(node.heading)


def _align(old: list[_Node], new: list[_Node]) -> list[tuple[int, int]]:  # noqa: C901 - three pairing passes (id, heading, similarity) read in order
    pairs: list[tuple[int, int]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()

    def pair(i: int, j: int) -> None:
        pairs.append((i, j))
        used_old.add(i)
        used_new.add(j)

    # 1. Same id and same heading (the normal case).
    by_id = {n.id: i for i, n in enumerate(old)}
    for j, n in enumerate(new):
        i = by_id.get(n.id)
        if i is not None and _heading_key(old[i]) == _heading_key(n):
            pair(i, j)
    # 2. Same (non-empty, unique) heading under another number: renumbered or moved.
    old_heads: dict[str, list[int]] = {}
    for i, n in enumerate(old):
        if i not in used_old and _heading_key(n):
            old_heads.setdefault(_heading_key(n), []).append(i)
    for j, n in enumerate(new):
        if j in used_new:
            continue
        cands = old_heads.get(_heading_key(n), [])
        free = [i for i in cands if i not in used_old]
        if len(free) == 1:
            pair(free[0], j)
    # 3. Content similarity among what is left.
    rest_old = [i for i in range(len(old)) if i not in used_old]
    rest_new = [j for j in range(len(new)) if j not in used_new]
    if rest_old and rest_new:
        vecs = tfidf_vectors([new[j].text for j in rest_new] + [old[i].text for i in rest_old])
        matrix = similarity_matrix(vecs[: len(rest_new)], vecs[len(rest_new) :])
        for a, b, _ in best_pairs(matrix, MOVED_MIN_SIMILARITY):
            pair(rest_old[b], rest_new[a])
        for a, j in enumerate(rest_new):
            if j in used_new:
                continue
            for b, i in enumerate(rest_old):
                if (
                    i not in used_old
                    and old[i].id == new[j].id
                    and matrix[a][b] >= SAME_ID_MIN_SIMILARITY
                ):
                    pair(i, j)
                    break
    return sorted(pairs, key=lambda p: p[1])


# --------------------------------------------------------------------------- diff


def diff_versions(old: Section, new: Section) -> VersionDiff:
    """Added, removed and changed sections between two versions of one document, in the new
    document's order (removed sections follow, in the old order)."""
    old_nodes, new_nodes = _nodes(old), _nodes(new)
    pairs = _align(old_nodes, new_nodes)
    paired_old = {i for i, _ in pairs}
    paired_new = {j: i for i, j in pairs}
    changes: list[SectionChange] = []
    for j, n in enumerate(new_nodes):
        i = paired_new.get(j)
        if i is None:
            if n.key:
                changes.append(
                    SectionChange("added", None, n.id, n.heading, (InlineOp("insert", n.text),))
                )
            continue
        o = old_nodes[i]
        if o.key == n.key:
            continue
        ops = char_diff(o.text, n.text)
        if has_edits(ops):
            changes.append(SectionChange("changed", o.id, n.id, n.heading or o.heading, ops))
    for i, o in enumerate(old_nodes):
        if i not in paired_old and o.key:
            changes.append(
                SectionChange("removed", o.id, None, o.heading, (InlineOp("delete", o.text),))
            )
    return VersionDiff(tuple(changes))
