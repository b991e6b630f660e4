"""Titles and summaries shortened between words, brackets closed: never 「《…规划（2》」."""

from __future__ import annotations

import re

import pytest

from watcher.text.clip import shorten

CASES = [
    # (text, limit, expected)
    (
        "市委 市政府印发《重庆加快建设教育强市推进教育现代化规划（2024—2035年）》",
        30,
        "市委 市政府印发《重庆加快建设教育强市推进教育现代化规划…》",
    ),
    (
        "中共中央 国务院印发《教育强国建设规划纲要（2024—2035年）》",
        30,
        "中共中央 国务院印发《教育强国建设规划纲要…》",
    ),
    ("教师队伍强基培优行动方案（2025—2027年）", 30, "教师队伍强基培优行动方案（2025—2027年）"),
    ("教师队伍强基培优行动方案（2025—2027年）", 20, "教师队伍强基培优行动方案…"),
    (
        "关注主题「双高计划、职业本科、教师队伍、就业与技能人才、数字化」",
        30,
        "关注主题「双高计划、职业本科、教师队伍、就业与技能人才…」",
    ),
    (
        "重庆市渝中区人民政府办公室关于印发渝中区全国学校家庭社会协同育人实验区建设方案的通知",
        30,
        "重庆市渝中区人民政府办公室关于印发渝中区全国…",
    ),
    ("关于印发《职业教育提质领跑行动方案》的通知", 12, "关于印发《职业教育…》"),
    ("短标题", 10, "短标题"),
    ("  空白   被合并  ", 10, "空白 被合并"),
]


@pytest.mark.parametrize(("text", "limit", "expected"), CASES)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


PAIRS = {"《": "》", "（": "）", "「": "」", "“": "”", "(": ")"}


@pytest.mark.parametrize("limit", range(8, 40, 3))
def test_never_leaves_a_bracket_open_or_runs_long(limit: int) -> None:
    title = "市委 市政府印发《重庆加快建设教育强市推进教育现代化规划（2024—2035年）》的通知（征求意见稿）"
    out = shorten(title, limit)
    assert len(out) <= limit
    for opener, closer in PAIRS.items():
        assert out.count(opener) == out.count(closer), out
    assert not re.search(r"（\d*》", out)
