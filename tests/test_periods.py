"""Weeks in the configured time zone, and weeks typed by users (ISO week names or any date)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.errors import WatcherError
from watcher.periods import (
    current_week,
    iso_week,
    normalize_week,
    parse_week,
    week_bounds,
    week_day,
)


def test_monday_morning_in_chongqing_is_already_the_new_week() -> None:
    sunday_utc = datetime(2026, 11, 22, 18, 30, tzinfo=UTC)  # Monday 02:30 in Chongqing
    assert iso_week(sunday_utc, "UTC") == "2026-W47"
    assert iso_week(sunday_utc, "Asia/Shanghai") == "2026-W48"
    assert current_week("Asia/Shanghai", now=sunday_utc) == "2026-W48"


@pytest.mark.parametrize(
    ("typed", "week"),
    [
        ("2026-W47", "2026-W47"),
        ("2026W47", "2026-W47"),
        ("2025-12-01", "2025-W49"),
        ("2026-01-01", "2026-W01"),
        ("2027-01-01", "2026-W53"),
    ],
)
def test_weeks_and_dates_are_both_accepted(typed: str, week: str) -> None:
    assert normalize_week(typed) == week


@pytest.mark.parametrize("bad", ["2026-47", "2025-W53", "2026-02-30", "下周"])
def test_a_bad_week_says_how_to_write_one(bad: str) -> None:
    with pytest.raises(WatcherError) as err:
        parse_week(bad)
    assert "周" in str(err.value) or "日期" in str(err.value)


def test_week_bounds_are_local_midnights_in_utc() -> None:
    assert week_bounds("2026-W47") == ("2026-11-15T16:00:00+00:00", "2026-11-22T16:00:00+00:00")
    assert week_bounds("2026-W47", "UTC") == (
        "2026-11-16T00:00:00+00:00",
        "2026-11-23T00:00:00+00:00",
    )


def test_week_day() -> None:
    assert week_day("2026-W47", "friday").isoformat() == "2026-11-20"
    assert week_day("2026-W47", "mon").isoformat() == "2026-11-16"
