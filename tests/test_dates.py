"""parse_date: every date form Chinese government pages use → ISO, impossible dates rejected."""

from __future__ import annotations

import pytest

from watcher.text.dates import parse_date, parse_list_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-21", "2024-05-21"),
        ("2024/5/21", "2024-05-21"),
        ("2024.05.21", "2024-05-21"),
        ("2024年5月21日", "2024-05-21"),
        ("2019年01月24日", "2019-01-24"),
        ("[ 成文日期 ] 2025-02-28", "2025-02-28"),
        ("2025-01-19-10:30:00", "2025-01-19"),  # gov.cn firstpublishedtime
        ("2020-09-11 08:38", "2020-09-11"),  # PubDate
        ("发布时间：2024 年 7 月 1 日", "2024-07-01"),
        ("２０２４年５月２１日", "2024-05-21"),  # full-width digits
        ("二〇二四年五月二十一日", "2024-05-21"),
        ("二○○七年八月七日", "2007-08-07"),  # ○ U+25CB as zero
        ("二零一九年十二月三十一日", "2019-12-31"),
        ("二OO八年十月一日", "2008-10-01"),
        ("二ＯＯ八年十月十日", "2008-10-10"),
        ("一九八一年五月二十三日", "1981-05-23"),
        ("11500000009275780L/2025-00024", None),  # an index number is not a date
        ("2024-02-30", None),
        ("2023-02-29", None),
        ("2024-13-01", None),
        ("二〇二四年二月三十日", None),
        ("", None),
        ("浏览次数：1024", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


def test_first_valid_date_wins_after_an_impossible_one() -> None:
    assert parse_date("2024-02-30 更正为 2024-03-01") == "2024-03-01"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-02-28", "2025-02-28"),
        ("2025.2.8", "2025-02-08"),
        ("2025年2月8日", "2025-02-08"),
        ("[2025-02-28]", "2025-02-28"),
        ("2025/02/28 10:00:00", "2025-02-28"),
        ("发布日期：2025年02月28日", "2025-02-28"),
        ("2025 年 3 月 1 日", "2025-03-01"),
        ("20250228", "2025-02-28"),
        (1749181130585, "2025-06-06"),
        ("1749181130", "2025-06-06"),
        ("02-28", None),
        ("2025-13-01", None),
        ("2025-02-30", None),
        ("", None),
        (None, None),
        ("000014348/2020-35428", None),
    ],
)
def test_list_dates_from_html_json_and_epochs(value: object, expected: str | None) -> None:
    assert parse_list_date(value) == expected
