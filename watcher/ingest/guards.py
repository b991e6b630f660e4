"""Pages that answer 200 but carry no document: soft-404s, maintenance pages, login walls, and
binary or undecodable bodies served as HTML.

A government site under maintenance often serves 「网站维护中」 or 「页面不存在」 with HTTP 200.
Stored as a version, such a page would overwrite the real document and, on the next cycle,
make it look changed twice. The same holds for a misconfigured server that sends a file, or
garbage, labelled ``text/html``: decoded, it is a page of replacement characters. Pure:
``error_page_reason(title, text)`` takes the extracted title and text and returns a reason
(Chinese) or None, so the pipeline records a failed fetch instead of a version.

A site redesign does the same quietly: the configured selectors stop matching, and the page
yields no text or a fraction of what it used to. ``shrunken_text_reason`` compares the
extracted length with the document's stored version and the source's usual length.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Sequence

__all__ = ["error_page_reason", "shrunken_text_reason"]

# --------------------------------------------------------------------------- heuristics as data

#: Phrases that, on a short page, mean "there is no document here".
ERROR_PAGE_PHRASES: tuple[tuple[str, str], ...] = (
    ("网站维护中", "网站维护页面"),
    ("系统维护中", "网站维护页面"),
    ("系统升级中", "网站维护页面"),
    ("网站升级中", "网站维护页面"),
    ("正在维护", "网站维护页面"),
    ("暂停访问", "网站维护页面"),
    ("页面不存在", "页面不存在（软 404）"),
    ("您访问的页面不存在", "页面不存在（软 404）"),
    ("找不到该页面", "页面不存在（软 404）"),
    ("页面已删除", "页面不存在（软 404）"),
    ("文章不存在", "页面不存在（软 404）"),
    ("信息不存在", "页面不存在（软 404）"),
    ("内容不存在", "页面不存在（软 404）"),
    ("404 Not Found", "页面不存在（软 404）"),
    ("访问的页面找不到", "页面不存在（软 404）"),
    ("请先登录", "需要登录的页面"),
    ("访问受限", "访问受限页面"),
)
#: A real document has more text than this; error pages are short.
MAX_ERROR_PAGE_CHARS = 400
#: Binary bytes decoded as text leave U+FFFD, C0 controls and unassigned/private code points.
#: Real pages decoded with the right codec have next to none; allow a few for a stray bad byte.
MAX_GARBAGE_SHARE = 0.02
MIN_GARBAGE_CHARS = 8
#: Decoded with a GB codec, random bytes become rare characters: real Chinese text (Simplified
#: or Traditional) is almost entirely inside GB2312 or Big5.
MIN_CJK_FOR_RARITY = 200
MIN_COMMON_CJK_SHARE = 0.85
_SPACE = re.compile(r"\s+")
_GARBAGE_CATEGORIES = frozenset({"Cc", "Co", "Cs", "Cn"})
_REASON_BINARY = "无法解码的二进制内容或乱码"
#: Less text than this is no body at all (a redesign left only the page furniture).
MIN_BODY_CHARS = 20
#: A known document whose page now yields less than this share of its stored text.
MIN_SHARE_OF_PREVIOUS = 0.3
PREVIOUS_MIN_CHARS = 200
#: A new document yielding less than this share of the source's median length, once the
#: source has ``USUAL_MIN_DOCUMENTS`` documents of at least ``USUAL_MIN_CHARS`` median.
MIN_SHARE_OF_USUAL = 0.05
USUAL_MIN_DOCUMENTS = 5
USUAL_MIN_CHARS = 1000


def _is_garbage(ch: str) -> bool:
    return ch == "\ufffd" or unicodedata.category(ch) in _GARBAGE_CATEGORIES


def _common_cjk(ch: str) -> bool:
    for codec in ("gb2312", "big5"):
        try:
            ch.encode(codec)
        except UnicodeEncodeError:
            continue
        return True
    return False


def _looks_binary(body: str) -> bool:
    """Whether ``body`` (whitespace removed) is decoded binary rather than text."""
    if not body:
        return False
    garbage = sum(1 for ch in body if _is_garbage(ch))
    if garbage >= MIN_GARBAGE_CHARS and garbage > MAX_GARBAGE_SHARE * len(body):
        return True
    cjk = [ch for ch in body if "\u3400" <= ch <= "\u9fff"]
    if len(cjk) < MIN_CJK_FOR_RARITY:
        return False
    # Sample: a long document need not be checked character by character.
    sample = cjk[:: max(1, len(cjk) // 2000)]
    return sum(1 for ch in sample if _common_cjk(ch)) < MIN_COMMON_CJK_SHARE * len(sample)


def error_page_reason(title: str, text: str) -> str | None:
    """Why this extracted page is not a document, or None when it looks like one."""
    body = _SPACE.sub("", text)
    if _looks_binary(body):
        return _REASON_BINARY
    if len(body) > MAX_ERROR_PAGE_CHARS:
        return None
    haystack = _SPACE.sub("", title) + body
    for phrase, reason in ERROR_PAGE_PHRASES:
        if _SPACE.sub("", phrase) in haystack:
            return reason
    return None


def shrunken_text_reason(
    text: str,
    *,
    previous: int | None,
    history: Sequence[int] = (),
    has_attachments: bool = False,
) -> str | None:
    """Why ``text`` looks like a page whose structure changed, or None.

    ``previous`` is the length of the document's stored text (None for a new document);
    ``history`` the lengths of the source's recent documents, whose median is its usual
    length. A page whose content is an attachment may have a short body: it is judged on
    ``previous`` only."""
    chars = len(_SPACE.sub("", text))
    usual = int(statistics.median(history)) if len(history) >= USUAL_MIN_DOCUMENTS else 0
    if chars < MIN_BODY_CHARS and not has_attachments:
        return "正文提取为空"
    if previous is not None and previous >= PREVIOUS_MIN_CHARS:
        if chars < MIN_SHARE_OF_PREVIOUS * previous:
            return f"正文只有 {chars} 字，上次保存的版本有 {previous} 字"
        return None
    usual_known = usual >= USUAL_MIN_CHARS and not has_attachments
    if usual_known and chars < MIN_SHARE_OF_USUAL * usual:
        return f"正文只有 {chars} 字，该来源的文件通常有 {usual} 字"
    return None
