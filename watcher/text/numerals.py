"""Chinese numerals both ways: ``cn_numeral(128)`` → 「一百二十八」 for ordinals in the digest,
``parse_cn_numeral("一百二十八")`` → 128 for headings, article numbers and dates.

Counting form as used in official documents: 十 not 一十 at the start (十二、), 零 for a gap
(一百零五), 两 read as 2, 〇 as 0. Good up to 万亿; nothing in a bulletin comes near.
"""

from __future__ import annotations

__all__ = ["NUMERAL_CHARS", "ZERO_CHARS", "cn_numeral", "parse_cn_numeral"]

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ((1000, "千"), (100, "百"), (10, "十"))
_BIG_UNITS = ((10**8, "亿"), (10**4, "万"))
#: Every character a page writes a digit with: 〇/○ (U+25CB)/O as zero in years, 两, and the
#: financial forms 壹贰叁 of signed documents.
ZERO_CHARS = "〇○零OoＯｏ0０"
_VALUES = {
    **dict.fromkeys(ZERO_CHARS, 0),
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "壹": 1,
    "贰": 2,
    "叁": 3,
    "肆": 4,
    "伍": 5,
    "陆": 6,
    "柒": 7,
    "捌": 8,
    "玖": 9,
}
#: Characters a Chinese numeral may contain (for building patterns).
NUMERAL_CHARS = "".join(_VALUES) + "十百千万亿"
_UNIT_VALUES = {"十": 10, "百": 100, "千": 1000}
_BIG_VALUES = {"万": 10**4, "亿": 10**8}


def _below_10000(n: int, leading: bool) -> str:
    out: list[str] = []
    gap = False
    for value, unit in _SMALL_UNITS:
        digit, n = divmod(n, value)
        if digit:
            if gap and out:
                out.append("零")
            if not (leading and not out and value == 10 and digit == 1):
                out.append(_DIGITS[digit])
            out.append(unit)
            gap = False
        elif out:
            gap = True
    if n:
        if gap and out:
            out.append("零")
        out.append(_DIGITS[n])
    return "".join(out)


def cn_numeral(n: int) -> str:
    """The Chinese counting numeral of a non-negative integer (0 → 零, 10 → 十, 105 → 一百零五)."""
    if n < 0:
        return "负" + cn_numeral(-n)
    if n == 0:
        return "零"
    out: list[str] = []
    pending_zero = False
    for value, unit in (*_BIG_UNITS, (1, "")):
        part, n = divmod(n, value)
        if part:
            if pending_zero or (out and part < 1000):
                out.append("零")
            out.append((cn_numeral(part) if part >= 10**4 else _below_10000(part, not out)) + unit)
            pending_zero = False
        elif out:
            pending_zero = True
    return "".join(out)


def parse_cn_numeral(text: str) -> int | None:
    """The value of a Chinese numeral (十二, 一百零五, 二〇二五 read digit by digit) or of an
    Arabic one (12, １２), or None when ``text`` is not a numeral."""
    if not text:
        return None
    if text.isdecimal():
        return int(text)
    if all(ch in _VALUES for ch in text):
        if len(text) == 1:
            return _VALUES[text]
        return int("".join(str(_VALUES[ch]) for ch in text))  # 二〇二五, as in years
    total = section = digit = 0
    seen = False
    for ch in text:
        if ch in _VALUES:
            digit = _VALUES[ch]
            seen = True
        elif ch in _UNIT_VALUES:
            section += (digit or 1) * _UNIT_VALUES[ch]
            digit = 0
            seen = True
        elif ch in _BIG_VALUES:
            total += (section + digit) * _BIG_VALUES[ch]
            section = digit = 0
            seen = True
        else:
            return None
    return total + section + digit if seen else None
