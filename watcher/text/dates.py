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
from zoneinfo import ZoneInfo

from watcher.text.keys import ascii_digits
from watcher.text.numerals import NUMERAL_CHARS, parse_cn_numeral

__all__ = ["parse_date", "parse_list_date"]

_CN_DIGIT_CLASS = re.escape(NUMERAL_CHARS.replace("十百千万亿", ""))

# Arabic year-month-day with one of the separators pages use; the year must not be glued to
# more digits (an index number such as 11500000009275780L/2025-00024 is not a date).
_ARABIC = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.．]|年)\s*(\d{1,2})\s*(?:[-/.．]|月)\s*(\d{1,2})(?!\d)"
)
_CN = re.compile(
    rf"([{_CN_DIGIT_CLASS}]{{4}})\s*年\s*([{_CN_DIGIT_CLASS}十]{{1,3}})\s*月\s*([{_CN_DIGIT_CLASS}十]{{1,4}})\s*[日号]"
)
_MIN_YEAR, _MAX_YEAR = 1900, 2100
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
#: Epoch timestamps in list JSON are instants; the list's date is the day in China.
LIST_TZ = ZoneInfo("Asia/Shanghai")


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
    s = ascii_digits(text)
    for m in _ARABIC.finditer(s):
        iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            return iso
    for m in _CN.finditer(text):
        year = parse_cn_numeral(m.group(1))
        month = parse_cn_numeral(m.group(2))
        day = parse_cn_numeral(m.group(3))
        if year is not None and month is not None and day is not None:
            iso = _iso(year, month, day)
            if iso:
                return iso
    return None


def parse_list_date(value: object) -> str | None:
    """A list entry's date as ``YYYY-MM-DD``: any text ``parse_date`` reads, a compact
    ``20250228``, or an epoch in seconds or milliseconds (as JSON list endpoints give it)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(int(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return _dt.datetime.fromtimestamp(seconds, LIST_TZ).date().isoformat()
    m = _COMPACT.match(text)
    if m is not None:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return parse_date(text)
