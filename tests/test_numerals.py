"""Chinese numerals both ways, for every count (a busy week has more than 99 documents)."""

from __future__ import annotations

import pytest

from watcher.text.numerals import cn_numeral, parse_cn_numeral


@pytest.mark.parametrize(
    ("n", "numeral"),
    [
        (1, "一"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (99, "九十九"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (999, "九百九十九"),
        (1000, "一千"),
        (1005, "一千零五"),
        (10000, "一万"),
        (10050, "一万零五十"),
        (120000, "十二万"),
    ],
)
def test_chinese_numerals_for_every_count(n: int, numeral: str) -> None:
    assert cn_numeral(n) == numeral
    assert parse_cn_numeral(numeral) == n


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("二〇二五", 2025),
        ("二○○七", 2007),
        ("三一", 31),
        ("十", 10),
        ("两", 2),
        ("12", 12),
        ("１２", 12),
        ("壹佰零伍", None),
        ("x", None),
        ("", None),
    ],
)
def test_parsing_reads_years_digit_by_digit_and_counts_by_unit(
    text: str, value: int | None
) -> None:
    assert parse_cn_numeral(text) == value
