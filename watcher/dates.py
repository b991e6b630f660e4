"""Date normalisation: any date form a Chinese government page uses → ISO ``YYYY-MM-DD``.

Input is a short piece of page text (a metadata cell, a ``<meta>`` value, a signature line);
output is the first plausible calendar date in it as ``YYYY-MM-DD``, or ``None`` when there is
none or the only candidate is impossible (2024-02-30, month 13). Handles Arabic forms
(2024-05-21, 2024/5/21, 2024.05.21, 2024年5月21日, gov.cn's ``2025-01-19-10:30:00``, PubDate's
``2020-09-11 08:38``, bracketed labels such as ``[ 成文日期 ] 2025-02-28``) and Chinese numerals
(二〇二四年五月二十一日, 二○○七年八月七日 with ○/〇/零/O/Ｏ as zero).
"""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["parse_date"]

# Every character a page uses for "zero" in a Chinese-numeral year (○ is U+25CB, 〇 U+3007).
_ZERO = "〇○零OoＯｏ0０"
_CN_DIGITS = {
    **dict.fromkeys(_ZERO, 0),
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9, "两": 2,
}
_CN_DIGIT_CLASS = "".join(_CN_DIGITS)
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# Arabic year-month-day with one of the separators pages use; the year must not be glued to
# more digits (an index number such as 11500000009275780L/2025-00024 is not a date).
_ARABIC = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.．]|年)\s*(\d{1,2})\s*(?:[-/.．]|月)\s*(\d{1,2})(?!\d)"
)
_CN = re.compile(
    rf"([{_CN_DIGIT_CLASS}]{{4}})\s*年\s*([{_CN_DIGIT_CLASS}十]{{1,3}})\s*月\s*([{_CN_DIGIT_CLASS}十]{{1,4}})\s*[日号]"
)
_MIN_YEAR, _MAX_YEAR = 1900, 2100


def _cn_number(s: str) -> int | None:
    """Value of a Chinese numeral below 100 (五, 十, 十一, 二十, 二十一, 三一)."""
    if "十" in s:
        head, _, tail = s.partition("十")
        if "十" in tail:
            return None
        tens = _CN_DIGITS.get(head, -1) if head else 1
        ones = _CN_DIGITS.get(tail, -1) if tail else 0
        if tens < 0 or ones < 0:
            return None
        return tens * 10 + ones
    value = 0
    for ch in s:
        if ch not in _CN_DIGITS:
            return None
        value = value * 10 + _CN_DIGITS[ch]
    return value


def _iso(year: int, month: int, day: int) -> str | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """First valid date in ``text`` as ``YYYY-MM-DD``; ``None`` if none or only impossible ones."""
    if not text:
        return None
    s = text.translate(_FULLWIDTH_DIGITS)
    for m in _ARABIC.finditer(s):
        iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            return iso
    for m in _CN.finditer(text):
        year = _cn_number(m.group(1))
        month = _cn_number(m.group(2))
        day = _cn_number(m.group(3))
        if year is not None and month is not None and day is not None:
            iso = _iso(year, month, day)
            if iso:
                return iso
    return None
