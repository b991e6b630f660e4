"""Folded forms of text for matching: never stored as text, never shown to a reader.

Every stage that asks "is this the same text?" uses one of these, so they all agree:

- ``squeeze``: whitespace removed (PDF wraps, 「AI 模型」); what term matching sees.
- ``match_key``: also width, dash, quote and bracket variants folded to one form each; what
  version diffs and similarity compare. ``fold_char`` is the same folding for one character
  (the diff keeps positions in the original text).
- ``word_key``: only the word characters of ``match_key`` (CJK, Latin, digits, %), runs joined by
  a separator that n-grams never cross.
- ``title_key_text``: script-insensitive too (Traditional → Simplified, pinyin notes dropped),
  punctuation in the full-width forms of official titles, quotes and book-title marks dropped,
  lower case: the text of identity keys, which are stored, so this folding must not drift.
"""

from __future__ import annotations

import re

from watcher.text.script import to_simplified

__all__ = [
    "ascii_digits",
    "fold_char",
    "halfwidth",
    "match_key",
    "squeeze",
    "title_key_text",
    "word_key",
]

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Every dash a title or a year range is written with.
DASHES = "—–\\-～~至到－―−‐‒﹣"

_WHITESPACE = re.compile(r"\s+")
#: Full-width ASCII (！ … ～) to ASCII, in one table.
_HALFWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
#: Cosmetic variants folded to one form when deciding whether two texts differ.
_FOLD: dict[int, str] = {
    **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
    **{ord(ch): "-" for ch in "—–―‐‑─"},
    **{ord(ch): '"' for ch in "“”"},
    **{ord(ch): "'" for ch in "‘’"},
    **{ord(ch): "." for ch in "·・•"},
    **{ord(ch): "[" for ch in "〔【﹝"},
    **{ord(ch): "]" for ch in "〕】﹞"},
}
_WORD_CHARS = re.compile(rf"[0-9A-Za-z%{CJK}]+")

# title_key_text
_PINYIN_NOTE = re.compile(rf"(?<=[{CJK}])\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{{1,7}})\)")
_KEY_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_DIGIT_DASH = re.compile(rf"(?<=\d)\s*年?\s*[{DASHES}]+\s*(?=\d)")
#: ASCII punctuation → the full-width form used in official titles; quotes and book-title
#: marks dropped (「《规划》」 and 「规划」 are the same title).
_KEY_PUNCT = str.maketrans(
    {
        "(": "（",
        ")": "）",
        ",": "，",
        ":": "：",
        ";": "；",
        "?": "？",
        "!": "！",
        "[": "〔",
        "]": "〕",
        "【": "〔",
        "】": "〕",
        "﹝": "〔",
        "﹞": "〕",
        "［": "〔",
        "］": "〕",
        "“": None,
        "”": None,
        "‘": None,
        "’": None,
        '"': None,
        "'": None,
        "「": None,
        "」": None,
        "『": None,
        "』": None,
        "《": None,
        "》": None,
        "〈": None,
        "〉": None,
        "<": None,
        ">": None,
        "·": "・",
        "•": "・",
        "。": None,
    }
)


def squeeze(text: str) -> str:
    """``text`` without any whitespace."""
    return _WHITESPACE.sub("", text)


def ascii_digits(text: str) -> str:
    """Full-width digits (０-９) as ASCII digits; nothing else changes."""
    return text.translate(_ASCII_DIGITS)


def halfwidth(text: str) -> str:
    """Full-width ASCII letters, digits and punctuation as ASCII (ＡＢ１２（ → AB12()."""
    return text.translate(_HALFWIDTH)


def fold_char(ch: str) -> str:
    """One character as ``match_key`` folds it ("" for whitespace)."""
    return "" if ch.isspace() else ch.translate(_FOLD)


def match_key(text: str) -> str:
    """Width-, dash-, quote- and whitespace-insensitive form of ``text``."""
    return squeeze(text.translate(_FOLD))


def word_key(text: str) -> str:
    """The word characters of ``match_key(text)``, runs joined by ``|``."""
    return "|".join(_WORD_CHARS.findall(match_key(text)))


def title_key_text(text: str) -> str:
    """Width-, script- and spacing-insensitive form of a title or number, for identity keys."""
    s = to_simplified(_PINYIN_NOTE.sub("", text))
    s = _KEY_SPACE.sub("", halfwidth(s))
    s = _DIGIT_DASH.sub("-", s)
    return s.translate(_KEY_PUNCT).lower()
