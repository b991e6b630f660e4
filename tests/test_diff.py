"""Version diff: aligned sections, character-level edits, cosmetic changes ignored, flip-flops."""

from __future__ import annotations

import pytest

from watcher.analysis.diff import diff_versions, is_flip_flop, text_fingerprint
from watcher.models import Section

PARA = (
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针，落实立德树人根本任务，"
    "加快建设高质量教育体系，推动职业教育与普通教育双向互认、纵向贯通，完善职业学校办学标准，"
    "深化产教融合校企合作，支持企业深度参与职业学校专业规划、课程设置、教材开发和实习实训，"
    "到2027年建成一批高水平职业学校和专业群，培养更多高素质技术技能人才、能工巧匠、大国工匠，"
    "为建设教育强国提供有力支撑。健全终身学习公共服务体系，扩大优质教育资源覆盖面，办好人民满意的教育。"
)


def tree(*sections: tuple[str, str, str], preamble: str = "") -> Section:
    """A one-level tree from (number, heading, body) triples."""
    kids = tuple(Section(num, 1, num, heading, body) for num, heading, body in sections)
    return Section("", 0, "", "", preamble, kids)


def test_one_character_change_highlights_a_few_characters() -> None:
    assert len(PARA) >= 200
    new_para = PARA.replace("到2027年", "到2028年")
    d = diff_versions(tree(("一", "总体要求", PARA)), tree(("一", "总体要求", new_para)))
    assert d.substantive
    [change] = d.changes
    assert change.kind == "changed" and change.new_id == "一"
    edited = [o for o in change.ops if o.op != "equal"]
    assert sum(len(o.text) for o in edited) <= 4
    assert {o.text for o in edited} == {"7", "8"}
    assert "".join(o.text for o in change.ops if o.op != "delete") == "总体要求\n" + new_para


COSMETIC = [
    ("whitespace", PARA[:50] + "\n  " + PARA[50:] + "　"),
    ("width", PARA.replace("，", ",").replace("2027", "２０２７")),
    ("visit counter", PARA + "\n访问次数：123"),
    ("generated stamp", "页面生成时间：2025-01-02 10:11:12\n" + PARA),
    ("published line", "发布时间：2025-01-02\n" + PARA),
    ("page furniture", PARA + "\n打印 关闭\n第 2 页 共 5 页"),
]


@pytest.mark.parametrize(("name", "variant"), COSMETIC, ids=[c[0] for c in COSMETIC])
def test_cosmetic_changes_are_not_changes(name: str, variant: str) -> None:
    old = tree(("一", "总体要求", PARA + "\n访问次数：7"), preamble="发布时间：2024-12-01")
    new = tree(("一", "总体要求", variant))
    assert not diff_versions(old, new).substantive, name
    assert text_fingerprint(old.full_text) == text_fingerprint(new.full_text)


def test_dash_variants_in_year_ranges_are_cosmetic() -> None:
    old = tree(("一", "实施期限", "本计划实施期限为（2024—2027年）。"))
    new = tree(("一", "实施期限", "本计划实施期限为（2024-2027年）。"))
    assert not diff_versions(old, new).substantive


def test_added_removed_and_renumbered_sections() -> None:
    old = tree(
        ("一", "总体要求", PARA),
        ("二", "教师队伍", "建设高素质专业化教师队伍。"),
        ("三", "组织实施", "加强组织领导。"),
    )
    new = tree(
        ("一", "总体要求", PARA),
        ("二", "数字教育", "实施国家教育数字化战略，建设智慧教育平台。"),
        ("三", "教师队伍", "建设高素质专业化教师队伍。"),  # renumbered, unchanged
        ("四", "组织实施", "加强组织领导，强化督导评估。"),
    )
    d = diff_versions(old, new)
    kinds = {(c.kind, c.old_id, c.new_id) for c in d.changes}
    assert kinds == {("added", None, "二"), ("changed", "三", "四")}
    changed = next(c for c in d.changes if c.kind == "changed")
    assert [o.text for o in changed.ops if o.op == "insert"] == ["，强化督导评估"]


def test_removed_section_is_reported() -> None:
    old = tree(("一", "总体要求", PARA), ("二", "保障措施", "加大经费投入。"))
    d = diff_versions(old, tree(("一", "总体要求", PARA)))
    assert [(c.kind, c.old_id) for c in d.changes] == [("removed", "二")]


def test_nested_section_change_is_reported_at_its_own_level() -> None:
    def doc(body: str) -> Section:
        sub = Section("二/（一）", 2, "（一）", "产教融合", body)
        return Section("", 0, "", "", "", (Section("二", 1, "二", "职业教育", "", (sub,)),))

    d = diff_versions(doc("深化产教融合。"), doc("纵深推进产教融合。"))
    assert [(c.kind, c.new_id) for c in d.changes] == [("changed", "二/（一）")]


def test_fingerprint_changes_with_substance() -> None:
    assert text_fingerprint(PARA) != text_fingerprint(PARA.replace("2027", "2028"))


def test_flip_flop_a_b_a_is_reported_once() -> None:
    a, b = PARA, PARA.replace("高水平", "一流")
    history: list[str] = []
    alerts = 0
    for text in (a, b, a, "页面生成时间：2025-01-01\n" + a, b):
        fp = text_fingerprint(text)
        if history and fp == history[-1]:
            continue  # unchanged: not a new version at all
        if not is_flip_flop(fp, history):
            alerts += 1
        history.append(fp)
    assert alerts == 2  # a (first seen) and b; the return to a and to b are flip-flops
    assert is_flip_flop(text_fingerprint(a), [text_fingerprint(a), text_fingerprint(b)])
    assert not is_flip_flop(text_fingerprint(a + "新增一句。"), [text_fingerprint(a)])
