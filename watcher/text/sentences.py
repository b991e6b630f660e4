"""Sentences of Chinese official text: the one splitter every stage uses.

A sentence ends after a run of terminators (。！？； and their ASCII forms by default; the
terminators stay with the sentence) and, depending on the text, at a line break (web text keeps
one paragraph per line), only at a blank line (text whose lines are wrapped), or never.
Callers choose the terminators and the breaks for their text and may drop pieces that are
not prose (fewer than ``min_han`` CJK characters, or no word character at all).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

__all__ = ["SENTENCE_ENDS", "STRONG_ENDS", "split_sentences"]

#: Terminators of a sentence or a clause-level item in official text.
SENTENCE_ENDS = "。！？；!?;"
#: Terminators of a full sentence only (a 「；」 separates items inside one sentence).
STRONG_ENDS = "。！？!?"

Breaks = Literal["line", "paragraph", "none"]

_BREAKS = {"line": r"\n+", "paragraph": r"\n\s*\n", "none": ""}
_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[0-9A-Za-z%\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=16)
def _boundary(ends: str, breaks: Breaks) -> re.Pattern[str]:
    cls = "[" + re.escape(ends) + "]"
    parts = [rf"(?<={cls})(?!{cls})"]
    if _BREAKS[breaks]:
        parts.append(_BREAKS[breaks])
    return re.compile("|".join(parts))


def split_sentences(
    text: str,
    *,
    ends: str = SENTENCE_ENDS,
    breaks: Breaks = "line",
    min_han: int = 0,
    need_word: bool = True,
) -> list[str]:
    """The sentences of ``text``, stripped, in order.

    ``ends``: terminator characters; ``breaks``: whether a line break (``"line"``) or only a
    blank line (``"paragraph"``) also ends a sentence; pieces with fewer than ``min_han`` CJK
    characters, or (``need_word``) without any letter, digit or CJK character, are dropped.
    """
    out: list[str] = []
    for piece in _boundary(ends, breaks).split(text):
        piece = piece.strip()
        if not piece or (need_word and not _WORD.search(piece)):
            continue
        if min_han and len(_HAN.findall(piece)) < min_han:
            continue
        out.append(piece)
    return out
