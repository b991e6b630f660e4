"""Splitting compiled bulletins into documents: a synthetic in-repo fixture and seed 001."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import seed_path
from watcher.ingest.compilation import CompiledDocument, split_compilation

FIXTURE = Path(__file__).parent / "fixtures" / "files" / "compilation_sample.txt"
RAW = {"clean": lambda s: s}  # bodies as raw lines, independent of the normalize stage


def compact(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module", params=["raw", "normalized"])
def sample(request: pytest.FixtureRequest) -> list[CompiledDocument]:
    text = FIXTURE.read_text(encoding="utf-8")
    return split_compilation(text, **RAW) if request.param == "raw" else split_compilation(text)


def test_sample_pieces_titles_sources_and_kinds(sample: list[CompiledDocument]) -> None:
    got = [(d.title, d.source, d.kind) for d in sample]
    assert got == [
        (
            "国务院印发《示例职业教育发展规划纲要（2024—2035年）》",
            "中华人民共和国教育部官网",
            "document",
        ),
        (
            "市委市政府印发《示例市加快建设职业教育强市 推进教育现代化规划（2024-2035年）》",
            "示例市人民政府官网",
            "document",
        ),
        ("专业升级行动方案（2025—2027年）", "示例市教委", "document"),
        ("双师培育行动方案（2025—2027年）", "示例市教委", "document"),
        ("产教融合行动方案（2025—2027年）", "示例市教委", "document"),
        (
            "加快建设职业教育强国的纲领性文件——教育部负责人就《示例职业教育发展规划纲要（2024—2035年）》答记者问",
            "中华人民共和国教育部官网",
            "interpretation",
        ),
        ("示例职业学院着力培养数字经济“巴渝名匠”特色人才", "示例市教育委员会官网", "news"),
    ]


def test_sample_start_lines_point_at_the_titles(sample: list[CompiledDocument]) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").split("\n")
    for doc in sample:
        first = compact(lines[doc.start_line - 1])
        assert first and compact(doc.title).startswith(first)


def test_sample_running_headers_and_page_numbers_removed(sample: list[CompiledDocument]) -> None:
    everything = "".join(d.text + d.title for d in sample)
    assert "职教动态与参考" not in everything
    assert not re.search(r"第\s*\d+\s*页", everything)
    # repeated body lines that are not page furniture survive
    assert sum(d.text.count("牵头部门：市教委") for d in sample) == 4


def test_sample_bodies_keep_their_own_text_only(sample: list[CompiledDocument]) -> None:
    national, local = sample[0], sample[1]
    assert "打造行业产教融合共同体" in compact(national.text)
    assert "制定本规划" not in national.text
    assert "根据《示例职业教育发展规划纲要（2024—2035年）》，制定本规划" in compact(local.text)
    assert "来源" not in national.text + local.text
    assert not local.text.startswith("市委市政府印发")  # the title is not repeated in the body


def test_sample_collection_split_into_its_plans(sample: list[CompiledDocument]) -> None:
    plans = [d for d in sample if d.collection]
    assert [compact(d.text) for d in plans] == [
        "到2027年，新增专业50个，淘汰落后专业20个。牵头部门：市教委",
        "到2027年，“双师型”教师占比达到60%。牵头部门：市教委",
        "到2027年，建成市域产教联合体10个。牵头部门：市教委",
    ]
    assert {d.collection for d in plans} == {"示例市职业教育三项行动方案（2025—2027年）"}


def test_form_feed_pages_with_headers_and_inline_source() -> None:
    page = "示例市教育委员会 内部参考\n{body}\n— {n} —"
    pages = [
        page.format(
            n=1, body="关于做好2025年职业院校招生工作的通知\n各区县教委：现将有关事项通知如下。"
        ),
        page.format(n=2, body="一、严格招生纪律。\n二、做好宣传工作。（来源：示例市教委）"),
        page.format(
            n=3,
            body="示例学院举办技能大赛\n日前，示例学院举办第五届职业技能大赛，共有300名学生参赛，"
            "覆盖机械、电子、信息等12个专业大类，\n展示了职业教育办学成果，获得用人单位和社会各界的广泛好评。",
        ),
    ]
    docs = split_compilation("\f".join(pages), **RAW)
    assert [(d.title, d.source, d.kind) for d in docs] == [
        ("关于做好2025年职业院校招生工作的通知", "示例市教委", "document"),
        ("示例学院举办技能大赛", None, "news"),
    ]
    assert docs[0].text.split("\n") == [
        "各区县教委：现将有关事项通知如下。",
        "一、严格招生纪律。",
        "二、做好宣传工作。",
    ]
    assert "内部参考" not in docs[1].text and "—" not in docs[1].text


def test_single_document_without_sources_is_one_piece() -> None:
    text = "重庆市教育委员会关于印发《示例实施方案》的通知\n各区县教委：\n现将《示例实施方案》印发给你们，请认真贯彻执行。\n一、总体要求\n坚持立德树人。"
    docs = split_compilation(text, **RAW)
    assert len(docs) == 1
    assert docs[0].title == "重庆市教育委员会关于印发《示例实施方案》的通知"
    assert docs[0].source is None and docs[0].kind == "document"


def test_short_trailing_colophon_is_not_a_document() -> None:
    text = (
        "示例学院举办技能大赛\n"
        + "日前，示例学院举办第五届职业技能大赛。" * 5
        + "\n（来源：示例市教委）\n主编：张三 电话：023-12345678"
    )
    docs = split_compilation(text, **RAW)
    assert [d.title for d in docs] == ["示例学院举办技能大赛"]


def test_contents_page_and_category_banners_are_not_titles() -> None:
    body = "为贯彻落实有关部署，现就做好职业院校招生工作通知如下，请认真贯彻执行。" * 2
    text = (
        "目  录\n关于做好职业院校招生工作的通知…………………………1\n示例学院举办技能大赛........3\n"
        "【政策文件】\n关于做好职业院校招生工作的通知\n" + body + "\n（来源：示例市教委）\n"
        "★ 院校动态\n示例学院举办技能大赛\n" + body + "\n（来源：示例学院官网）\n"
    )
    docs = split_compilation(text, **RAW)
    assert [(d.title, d.source) for d in docs] == [
        ("关于做好职业院校招生工作的通知", "示例市教委"),
        ("示例学院举办技能大赛", "示例学院官网"),
    ]
    assert "……" not in docs[0].text and "院校动态" not in docs[1].text


def test_empty_input() -> None:
    assert split_compilation("", **RAW) == []
    assert split_compilation("\n\n\f\n", **RAW) == []


# --------------------------------------------------------------------------- seed 001


@pytest.fixture(scope="module")
def seed001() -> list[CompiledDocument]:
    return split_compilation(seed_path("001").read_text(encoding="utf-8"))


def test_seed001_document_count_and_sources(seed001: list[CompiledDocument]) -> None:
    # 11 pieces closed by a source note, one of them the 八项行动方案 collection split into 8 plans
    assert len(seed001) == 19
    assert all(d.source for d in seed001)
    assert sum(1 for d in seed001 if d.collection) == 8
    kinds = [d.kind for d in seed001]
    assert kinds.count("interpretation") == 2
    assert kinds.count("news") == 5


def test_seed001_national_and_chongqing_plans_are_separate(seed001: list[CompiledDocument]) -> None:
    national = [d for d in seed001 if "教育强国建设规划纲要" in d.title and d.kind == "document"]
    local = [d for d in seed001 if "重庆加快建设教育强市" in d.title and d.kind == "document"]
    assert len(national) == 1 and len(local) == 1
    n, c = national[0], local[0]
    assert n.title == "中共中央 国务院印发《教育强国建设规划纲要（2024—2035年）》"
    assert c.title == "市委市政府印发《重庆加快建设教育强市 推进教育现代化规划（2024-2035年）》"
    assert n.source == "中华人民共和国教育部官网" and c.source == "重庆市人民政府官网"
    nt, ct = compact(n.text), compact(c.text)
    assert "为深入贯彻党的二十大关于加快建设教育强国的战略部署，制定本规划纲要" in nt
    assert "根据《教育强国建设规划纲要（2024—2035年）》，制定本规划" in ct
    assert (
        "红岩先锋" in ct and "红岩先锋" not in nt
    )  # Chongqing's own additions stay with Chongqing
    assert "制定本规划。" not in nt.replace("制定本规划纲要", "")
    assert "教育要闻" not in n.text + c.text


@pytest.mark.timeout(60)  # the whole seed, split without normalising: must not hang
def test_seed001_splits_within_the_timeout() -> None:
    text = seed_path("001").read_text(encoding="utf-8")
    assert len(split_compilation(text, **RAW)) > 10
