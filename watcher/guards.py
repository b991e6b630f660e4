"""Pages that answer 200 but carry no document: soft-404s, maintenance pages, login walls.

A government site under maintenance often serves 「网站维护中」 or 「页面不存在」 with HTTP 200.
Stored as a version, such a page would overwrite the real document and, on the next cycle,
make it look changed twice. ``error_page_reason`` recognises them so the pipeline records a
failed fetch instead. Pure: text in, reason (Chinese) or None out.
"""

from __future__ import annotations

import re

__all__ = ["error_page_reason"]

#: Phrases that, on a short page, mean "there is no document here". Data, not code.
ERROR_PAGE_PHRASES: tuple[tuple[str, str], ...] = (
    ("网站维护中", "网站维护页面"),
    ("系统维护中", "网站维护页面"),
    ("系统升级中", "网站维护页面"),
    ("正在维护", "网站维护页面"),
    ("暂停访问", "网站维护页面"),
    ("页面不存在", "页面不存在（软 404）"),
    ("您访问的页面不存在", "页面不存在（软 404）"),
    ("找不到该页面", "页面不存在（软 404）"),
    ("页面已删除", "页面不存在（软 404）"),
    ("文章不存在", "页面不存在（软 404）"),
    ("信息不存在", "页面不存在（软 404）"),
    ("404 Not Found", "页面不存在（软 404）"),
    ("访问的页面找不到", "页面不存在（软 404）"),
    ("请先登录", "需要登录的页面"),
    ("访问受限", "访问受限页面"),
)
#: A real document has more text than this; error pages are short.
MAX_ERROR_PAGE_CHARS = 400
_SPACE = re.compile(r"\s+")


def error_page_reason(title: str, text: str) -> str | None:
    """Why this extracted page is not a document, or None when it looks like one."""
    body = _SPACE.sub("", text)
    if len(body) > MAX_ERROR_PAGE_CHARS:
        return None
    haystack = _SPACE.sub("", title) + body
    for phrase, reason in ERROR_PAGE_PHRASES:
        if _SPACE.sub("", phrase) in haystack:
            return reason
    return None
