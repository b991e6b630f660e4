"""Quantitative targets: values, years and subjects, and their pairing across two plans."""

from __future__ import annotations

import pytest

from watcher.analysis.targets import extract_targets, pair_targets
from watcher.models import Section


def doc(body: str, heading: str = "主要目标") -> Section:
    return Section("", 0, "", "", "", (Section("一", 1, "一", heading, body),))


CASES = [
    ("到2027年，学前教育毛入园率达到92%以上。", 2027, "92%以上", "学前教育毛入园率"),
    ("到 2035 年，高等教育毛入学率达到 65 %。", 2035, "65%", "高等教育毛入学率"),
    ("保证国家财政性教育经费支出占国内生产总值比例高于4%。", None, "4%", "国内生产总值"),
    ("建设100所科学、人文等特色高中。", None, "100所", "建设科学"),
    ("新增高技能人才1万人。", None, "1万人", "新增高技能人才"),
    ("到2030年，职业教育“双师型”教师占比达到70%。", 2030, "70%", "职业教育双师型教师"),
    ("帮助学生掌握1—2项运动技能。", None, "1—2项", "帮助学生掌握"),
    ("到2035年，科研经费总量实现翻一番。", 2035, "翻一番", "科研经费总量实现"),
]


@pytest.mark.parametrize(("sentence", "year", "value", "subject"), CASES)
def test_extract_targets(sentence: str, year: int | None, value: str, subject: str) -> None:
    [t] = extract_targets(doc(sentence))
    assert (t.year, t.value) == (year, value)
    assert subject in t.subject
    assert t.section_id == "一" and t.side == "new"


def test_year_carries_forward_within_a_section_and_years_are_not_counts() -> None:
    body = "到2027年，教育强市建设取得重要阶段性成效。普惠性幼儿园覆盖率达到92%。到2035年，建成教育强市。"
    ts = extract_targets(doc(body), "old")
    assert [(t.year, t.value, t.side) for t in ts] == [(2027, "92%", "old")]


def test_pairing_by_subject_and_kind() -> None:
    old = extract_targets(doc("到2027年，普惠性幼儿园覆盖率达到90%。建设50所特色高中。"), "old")
    new = extract_targets(
        doc(
            "到2027年，普惠性幼儿园覆盖率达到95%。智慧教育平台应用覆盖率超过80%。建设100所特色高中。"
        ),
        "new",
    )
    pairs = pair_targets(old, new)
    shown = [(p.old.value if p.old else None, p.new.value if p.new else None) for p in pairs]
    assert shown == [("90%", "95%"), (None, "80%"), ("50所", "100所")]


def test_unpaired_old_targets_are_kept() -> None:
    old = extract_targets(doc("财政性教育经费支出占比高于4%。"), "old")
    pairs = pair_targets(old, [])
    assert len(pairs) == 1 and pairs[0].new is None and pairs[0].old is not None
