"""Version diff: what changed between two versions of the same document.

In: the section trees of version n-1 and version n (``structure.parse`` output). Out: a
``VersionDiff`` listing added, removed and changed units (articles, sections, chapters), each
changed one with character-level ``InlineOp``s. The units are aligned by content in
``revision`` (renumbering, moves, splits and merges allowed; numbers are only evidence) and
diff-match-patch runs only on aligned pairs, never on whole documents. Cosmetic differences
(whitespace, full/half width, dash variants, visit counters, page-generation stamps, page
furniture) never count as changes, and neither do pure renumbering and reformatting. The module
also gives the store its version fingerprint and the flip-flop test (A→B→A alerts once).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from watcher.models import Section, VersionDiff
from watcher.text.keys import match_key

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


# --------------------------------------------------------------------------- diff


def diff_versions(old: Section, new: Section) -> VersionDiff:
    """Added, removed and changed units between two versions of one document, in the new
    document's order (a removed unit follows its predecessor), from the content alignment of
    ``revision.revision_table``: renumbered and reformatted units are not changes."""
    from watcher.analysis.revision import revision_table, table_changes  # builds on this module

    return VersionDiff(table_changes(revision_table(old, new)))
