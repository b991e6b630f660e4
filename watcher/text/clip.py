"""Shortening a title or summary to fit a table cell, a chat line or an alert title.

Cutting at a fixed character count breaks Chinese text in the middle of a word and leaves
brackets open: 「《…规划（2》」. ``shorten`` cuts only between words (jieba's segmentation, the
one the term finder uses), never inside a parenthesis such as 「（2024—2035年）」 (it is kept
whole or dropped whole), and closes every 《「“ it leaves open after the ellipsis, so the
reader still sees where the book title ends. Pure: strings in, a string out.
"""

from __future__ import annotations

from collections.abc import Iterator

from watcher.text.terms import tokenize

__all__ = ["shorten"]

#: Brackets whose content may be shortened; the cut closes them again.
OPEN_CLOSE_SHORTENABLE = {"《": "》", "「": "」", "『": "』", "“": "”"}
#: Brackets whose content is one unit (years, numbers, notes): kept whole or dropped whole.
OPEN_CLOSE_ATOMIC = {"（": "）", "(": ")", "〔": "〕", "【": "】", "[": "]", "﹝": "﹞"}
#: Punctuation a shortened text should not end on before its ellipsis.
TRAILING = "，、；：,;: 　—-"


def _tokens(text: str) -> Iterator[str]:
    """Words, single shortenable brackets and whole atomic bracket groups, in order."""
    plain: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        end = _atomic_end(text, i) if ch in OPEN_CLOSE_ATOMIC else -1
        if end < 0 and ch not in OPEN_CLOSE_SHORTENABLE and ch not in _CLOSERS:
            plain.append(ch)
            i += 1
            continue
        if plain:
            yield from tokenize("".join(plain))
            plain = []
        stop = end + 1 if end >= 0 else i + 1
        yield text[i:stop]
        i = stop
    if plain:
        yield from tokenize("".join(plain))


_CLOSERS = frozenset(OPEN_CLOSE_SHORTENABLE.values())


def _atomic_end(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start`` (nesting counted), or -1."""
    opener, closer = text[start], OPEN_CLOSE_ATOMIC[text[start]]
    depth = 0
    for j in range(start, len(text)):
        if text[j] == opener:
            depth += 1
        elif text[j] == closer:
            depth -= 1
            if depth == 0:
                return j
    return -1


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` (whitespace runs collapsed) in at most ``limit`` characters, cut between words
    with ``ellipsis`` and the open 《「“ closed; unchanged when it already fits."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept: list[str] = []
    open_stack: list[str] = []
    used = 0
    for token in _tokens(text):
        closers = len(open_stack) + (1 if token in OPEN_CLOSE_SHORTENABLE else 0)
        if token in _CLOSERS and open_stack:
            closers -= 1
        if used + len(token) + len(ellipsis) + closers > limit:
            break
        kept.append(token)
        used += len(token)
        if token in OPEN_CLOSE_SHORTENABLE:
            open_stack.append(OPEN_CLOSE_SHORTENABLE[token])
        elif token in _CLOSERS and open_stack:
            open_stack.pop()
    head = "".join(kept).rstrip(TRAILING)
    while head and head[-1] in OPEN_CLOSE_SHORTENABLE:  # 「…《」 with nothing inside: drop it
        head = head[:-1].rstrip(TRAILING)
        open_stack.pop()
    return head + ellipsis + "".join(reversed(open_stack))
