"""Periods in the configured time zone: the ISO week a moment falls in, a week's bounds as the
store's UTC strings, and week names typed by users (``2026-W47``, or any date in that week).

Directions, digests and the web page all name a week the same way, always in the configured
zone (Asia/Shanghai by default), never in UTC: Monday 06:00 in Chongqing is still Sunday in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from watcher.errors import WatcherError

__all__ = [
    "DEFAULT_TZ",
    "WEEKDAY_KEYS",
    "current_week",
    "iso_week",
    "local_time",
    "normalize_week",
    "parse_week",
    "week_bounds",
    "week_day",
]

DEFAULT_TZ = "Asia/Shanghai"
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.I)
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def iso_week(moment: datetime, tz: str = DEFAULT_TZ) -> str:
    """``2026-W47``: the ISO week ``moment`` falls in, in ``tz`` (naive moments are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    year, week, _ = moment.astimezone(ZoneInfo(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def current_week(tz: str = DEFAULT_TZ, now: datetime | None = None) -> str:
    """The ISO week of ``now`` (default: the current time) in ``tz``."""
    return iso_week(now or datetime.now(UTC), tz)


def parse_week(week: str) -> tuple[int, int]:
    """(year, week number) of ``2026-W47`` (or ``2026W47``), or of the week holding a date such
    as ``2025-12-01``; a clear error for anything else."""
    text = week.strip()
    m = _WEEK.fullmatch(text)
    if m:
        year, number = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise WatcherError(f"{year} 年没有第 {number} 周。") from None
        return year, number
    d = _DATE.fullmatch(text)
    if d:
        try:
            day = date(int(d.group(1)), int(d.group(2)), int(d.group(3)))
        except ValueError:
            raise WatcherError(f"日期不存在: {week!r}。") from None
        year, number, _ = day.isocalendar()
        return year, number
    raise WatcherError(
        f"周次格式不对: {week!r}。请写成 2026-W47 这样的 ISO 周，或这一周里的某一天，如 2026-11-20。"
    )


def normalize_week(week: str) -> str:
    """The canonical name (``2026-W47``) of whatever ``parse_week`` accepts."""
    year, number = parse_week(week)
    return f"{year}-W{number:02d}"


def week_bounds(week: str, tz: str = DEFAULT_TZ) -> tuple[str, str]:
    """[Monday 00:00, next Monday 00:00) of ``week`` in ``tz``, as the store's UTC ISO strings."""
    year, number = parse_week(week)
    monday = datetime.combine(date.fromisocalendar(year, number, 1), time(0), tzinfo=ZoneInfo(tz))
    start, end = (
        (monday + timedelta(days=d)).astimezone(UTC).isoformat(timespec="seconds") for d in (0, 7)
    )
    return start, end


def week_day(week: str, weekday: str) -> date:
    """The date of ``weekday`` (``fri``, ``friday``; Friday when unknown) in ``week``."""
    year, number = parse_week(week)
    key = weekday[:3].lower()
    return date.fromisocalendar(
        year, number, WEEKDAY_KEYS.index(key) + 1 if key in WEEKDAY_KEYS else 5
    )


def local_time(value: str | None, tz: str = DEFAULT_TZ) -> str:
    """A stored UTC ISO time as ``YYYY-MM-DD HH:MM`` in ``tz`` (``—`` when there is none)."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value[:16]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
