"""Section tree parsing: heading levels, ids, glued headings, tables, and the two seed plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import seed_path
from watcher.models import Section
from watcher.text.normalize import normalize
from watcher.text.structure import flatten, iter_sections, parse, render_outline, to_outline_json

FIXTURES = Path(__file__).parent / "fixtures" / "text"
SOURCE_END = "（来源："


def cut_document(text: str, start: str, end: str = SOURCE_END) -> str:
    """The lines of ``text`` from the line holding ``start`` to the line holding ``end`` after it."""
    i = text.index(start)
    i = text.rfind("\n", 0, i) + 1
    j = text.index(end, i)
    j = text.find("\n", j)
    return text[i : (j + 1 if j >= 0 else len(text))]


NATIONAL_START = "中共中央 国务院印发《教育强国建设规划纲要"
CQ_START = "市委市政府印发《重庆加快建设教育强市"


def _counts(root: Section) -> tuple[int, int]:
    l1 = [s for s in root.children]
    l2 = [c for s in l1 for c in s.children if c.number.startswith(("（", "("))]
    return len(l1), len(l2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("national_gangyao.txt", (11, 38)), ("cq_guihua.txt", (13, 43))],
)
@pytest.mark.parametrize("normalised", [True, False])
def test_fixture_plans_have_expected_sections(
    name: str, expected: tuple[int, int], normalised: bool
) -> None:
    raw = (FIXTURES / name).read_text(encoding="utf-8")
    text = normalize(raw) if normalised else raw
    root = parse(text)
    assert _counts(root) == expected
    assert all(s.number.endswith("）") for s in root.children[1].children)


@pytest.mark.parametrize(
    ("start", "expected", "fixture"),
    [(NATIONAL_START, (11, 38), "national_gangyao.txt"), (CQ_START, (13, 43), "cq_guihua.txt")],
)
def test_seed_001_plans_cut_and_parsed(start: str, expected: tuple[int, int], fixture: str) -> None:
    seed = seed_path("001").read_text(encoding="utf-8")
    cut = cut_document(seed, start)
    assert cut == (FIXTURES / fixture).read_text(encoding="utf-8"), "fixture differs from the seed"
    root = parse(normalize(cut))
    assert _counts(root) == expected


def test_national_ids_headings_and_bodies() -> None:
    root = parse(normalize((FIXTURES / "national_gangyao.txt").read_text(encoding="utf-8")))
    by_id = {s.id: s for s in flatten(root)}
    assert by_id["一"].heading == "总体要求"
    assert by_id["一"].body.startswith("坚持以习近平新时代中国特色社会主义思想为指导")
    # the wrapped L1 heading is whole once the PDF wrap is joined
    assert by_id["六"].heading == "加快建设现代职业教育体系，培养大国工匠、能工巧匠、高技能人才"
    # continuous （N） numbering: （二十） belongs to 六, not to 二
    assert by_id["六/（二十）"].heading == "塑造多元办学、产教融合新形态"
    assert by_id["六/（二十）"].body.startswith("深入推进省域现代职业教育体系新模式试点")
    assert "主要内容如下" in root.body
    assert "教育要闻" not in root.full_text and "共 175 页" not in root.full_text


def test_cq_plan_local_sections() -> None:
    root = parse(normalize((FIXTURES / "cq_guihua.txt").read_text(encoding="utf-8")))
    by_id = {s.id: s for s in flatten(root)}
    assert by_id["二/（二）"].heading == "打造新时代教育系统“红岩先锋”变革型组织"
    assert by_id["十一/（三十九）"].heading == "推进中心城区教育“大综合一体化”改革"
    assert by_id["十三"].body.endswith("（来源：重庆市人民政府官网）")


PLAN = """关于印发某某方案的通知
各区县教委：
现将方案印发给你们。
一、总体要求
（一）指导思想。坚持以人民为中心。
（二）主要目标
到2027年，覆盖率达到95%。
二、重点任务
（三）健全制度框架。把握办学规律，完善制度。
1.完善标准。制定标准。
（1）修订课程标准。要求如下：
①小学；
②初中。
（2）完善评价标准。
2．健全机制。建立机制。
3、强化督导。开展督导。
三、保障措施
加强组织领导。
"""


def test_five_levels_ids_and_parents() -> None:
    root = parse(PLAN)
    ids = [s.id for s in flatten(root)]
    assert ids == [
        "一",
        "一/（一）",
        "一/（二）",
        "二",
        "二/（三）",
        "二/（三）/1",
        "二/（三）/1/（1）",
        "二/（三）/1/（1）/①",
        "二/（三）/1/（1）/②",
        "二/（三）/1/（2）",
        "二/（三）/2",
        "二/（三）/3",
        "三",
    ]
    by_id = {s.id: s for s in flatten(root)}
    assert by_id["一/（一）"].heading == "指导思想"
    assert by_id["一/（一）"].body == "坚持以人民为中心。"
    assert by_id["一/（二）"].heading == "主要目标"
    assert by_id["一/（二）"].body == "到2027年，覆盖率达到95%。"
    assert by_id["二/（三）/2"].number == "2"
    assert by_id["二/（三）/1/（1）/①"].heading == "小学；"
    assert root.body.startswith("关于印发某某方案的通知\n各区县教委：")
    assert [s.level for s in root.children] == [1, 1, 1]


@pytest.mark.parametrize(
    ("line", "heading", "body"),
    [
        (
            "一、总体要求坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻党的二十大精神。",
            "总体要求",
            "坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻党的二十大精神。",
        ),
        (
            "一、主要目标到2027年，教育强市建设取得重要阶段性成效。",
            "主要目标",
            "到2027年，教育强市建设取得重要阶段性成效。",
        ),
        (
            "一、加快建设现代职业教育体系，培养大国工匠",
            "加快建设现代职业教育体系，培养大国工匠",
            "",
        ),
        ("一、指导思想。坚持以人民为中心。", "指导思想", "坚持以人民为中心。"),
        (
            "（一）健全国家职业教育制度框架。把握好正确的改革方向。",
            "健全国家职业教育制度框架",
            "把握好正确的改革方向。",
        ),
        ("(一)健全制度框架。把握方向。", "健全制度框架", "把握方向。"),
        ("（一）指导思想", "指导思想", ""),
    ],
)
def test_heading_split(line: str, heading: str, body: str) -> None:
    sec = parse(line).children[0]
    assert (sec.heading, sec.body) == (heading, body)


@pytest.mark.parametrize(
    "text",
    [
        "新华社北京\n1月19日电 近日印发。",
        "2024年12月，市委印发了规划。",
        "10%的学校达标。",
        "增长\n2.5倍以上。",
        "工作要求包括1.完善标准 2.健全机制，不得拆分。",
        "一流大学建设\n一、二年级学生每天锻炼。",
    ],
)
def test_not_headings(text: str) -> None:
    root = parse(text)
    assert root.children == ()
    assert root.body == text


def test_enumeration_going_backwards_is_body() -> None:
    root = parse("一、甲\n二、乙\n三、丙\n二、三年级学生参加。")
    assert [s.number for s in root.children] == ["一", "二", "三"]
    assert root.children[2].body == "二、三年级学生参加。"


def test_law_style_articles_are_leaves() -> None:
    text = (
        "第一章 总则\n第一条 为了规范管理，制定本条例。\n第二条 本条例适用于：\n（一）学校；\n"
        "（二）培训机构。\n第二章 管理\n第一节 一般规定\n第三条 学校应当建立制度。\n"
        "第十二条 违反本条例的，依法处理。"
    )
    root = parse(text)
    ids = [s.id for s in flatten(root)]
    assert ids == [
        "第一章",
        "第一章/第一条",
        "第一章/第二条",
        "第二章",
        "第二章/第一节",
        "第二章/第一节/第三条",
        "第二章/第一节/第十二条",
    ]
    by_id = {s.id: s for s in flatten(root)}
    assert by_id["第一章"].heading == "总则"
    assert by_id["第一章/第二条"].heading == ""
    assert by_id["第一章/第二条"].body == "本条例适用于：\n（一）学校；\n（二）培训机构。"


def test_attachments_restart_numbering() -> None:
    text = (
        "现印发给你们。\n附件：1.实施方案\n2.任务清单\n某某局\n附件1\n实施方案\n一、总体要求\n"
        "坚持。\n二、任务\n做事。\n附件2\n任务清单\n一、第一批\n内容。"
    )
    root = parse(text)
    ids = [s.id for s in flatten(root)]
    assert ids == ["附件1", "附件1/一", "附件1/二", "附件2", "附件2/一"]
    assert "附件：1.实施方案" in root.body
    assert [s.heading for s in root.children] == ["实施方案", "任务清单"]


def test_attachment_note_in_notice_is_body() -> None:
    root = parse(
        "请认真贯彻执行。\n附件：某某工作职责\n某某局\n附件\n某某工作职责\n（一）党委政府\n统筹领导。"
    )
    assert [s.id for s in flatten(root)] == ["附件", "附件/（一）"]
    assert root.children[0].heading == "某某工作职责"
    assert "附件：某某工作职责" in root.body


def test_table_cells_stay_in_body() -> None:
    text = (
        "一、基础教育\n主要指标如下。\n类型\n主要指标\n2023年\n2027年\n学前教育\n1.\n毛入园率\n93.06\n94\n"
        "二、高等教育\n提升质量。"
    )
    root = parse(text)
    assert [s.id for s in flatten(root)] == ["一", "二"]
    assert "类型\n主要指标\n2023年\n2027年\n学前教育\n1.\n毛入园率" in root.children[0].body


def test_outline_json_and_render() -> None:
    root = parse(PLAN, title="某某方案")
    data = to_outline_json(root)
    json.dumps(data, ensure_ascii=False)
    assert data[1]["id"] == "二" and data[1]["children"][0]["number"] == "（三）"
    assert set(data[0]) == {"id", "level", "number", "heading", "children"}
    out = render_outline(root)
    assert out.splitlines()[0] == "某某方案"
    assert "  （三）健全制度框架" in out
    assert len(list(iter_sections(root))) == len(flatten(root)) == 13


@pytest.mark.timeout(30)  # catastrophic backtracking would run for hours, not seconds
def test_hostile_input_finishes() -> None:
    text = ("（" * 5000 + "一、" * 5000 + "1." * 5000 + "第" * 5000 + "\n") * 3
    root = parse(text)
    assert root.full_text


def _glue_l1_headings(text: str) -> str:
    """Join every 一、 heading line to the paragraph after it, as a naive PDF de-wrapper does."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            line[:3].rstrip("、").strip("一二三四五六七八九十") == ""
            and "、" in line[:4]
            and nxt
            and not nxt.startswith(("（", "("))
        ):
            out.append(line + nxt)
            i += 2
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


@pytest.mark.parametrize("name", ["national_gangyao.txt", "cq_guihua.txt"])
def test_glued_l1_headings_split_like_the_clean_text(name: str) -> None:
    clean = normalize((FIXTURES / name).read_text(encoding="utf-8"))
    glued = _glue_l1_headings(clean)
    assert glued.count("\n") < clean.count("\n")  # some headings really were glued
    expected = [(s.id, s.heading) for s in flatten(parse(clean))]
    assert [(s.id, s.heading) for s in flatten(parse(glued))] == expected


_ALPHABET = st.sampled_from(
    list("一二三十、（）()1２.．。，第章条节编附件：①⑴ \n教育强市坚持到2027年")
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=150).map("".join))
def test_fuzz_parse_is_total_with_unique_ids(text: str) -> None:
    root = parse(text)
    ids = [s.id for s in flatten(root)]
    assert len(ids) == len(set(ids))
    assert all(s.level == s.id.count("/") + 1 for s in flatten(root))
    to_outline_json(root)
    render_outline(root)


def test_restarted_numbering_under_one_heading_is_body() -> None:
    text = (
        "（三）加强宣传。总结经验。\n1.成立小组。\n2.挂牌成立中心。\n任务分解表\n工作内容\n具体任务\n"
        "责任单位\n1.召开年会。\n2.挂牌成立学校。"
    )
    root = parse(text)
    assert [s.id for s in flatten(root)] == ["（三）", "（三）/1", "（三）/2"]
    assert root.children[0].children[1].body.endswith("1.召开年会。\n2.挂牌成立学校。")
