"""Canonical text: pinyin, Traditional script, mojibake, page furniture, PDF wraps, whitespace."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import seed_path
from watcher.text.keys import match_key
from watcher.text.normalize import mojibake_score, normalize, normalize_report

FIXTURES = Path(__file__).parent / "fixtures" / "text"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_traditional_pinyin_copy_restores_the_simplified_plan() -> None:
    copy = _read("cq_guihua_excerpt_trad_pinyin.txt")
    original = _read("cq_guihua_excerpt.txt").rstrip("\n")
    assert "(shè)" in copy and "建設" in copy
    result = normalize_report(copy)
    assert result.text == original
    assert {"traditional", "pinyin"} <= set(result.flags)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("建設(shè)教育強市", "建设教育强市"),
        ("現(xiàn)代化", "现代化"),
        ("設（shè）立", "设立"),
        ("发展人工智能(AI)教育", "发展人工智能(AI)教育"),
        ("规划(2024—2035年)", "规划(2024—2035年)"),
        ("每袋25公斤(kg)", "每袋25公斤(kg)"),
        ("校园(campus)建设", "校园(campus)建设"),
        ("a(shè)b", "a(shè)b"),  # no CJK character before it
        ("长(chángchángchángx)", "长(chángchángchángx)"),  # longer than any syllable
    ],
)
def test_pinyin_annotations(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_simplified_text_is_not_run_through_t2s() -> None:
    text = "普惠性幼儿园覆盖率达到95%以上，教共体覆盖率达到90%。"
    result = normalize_report(text)
    assert result.text == text
    assert "traditional" not in result.flags


def test_traditional_text_is_converted() -> None:
    result = normalize_report("加快建設教育強市，推進教育現代化。")
    assert result.text == "加快建设教育强市，推进教育现代化。"
    assert "traditional" in result.flags


@pytest.mark.parametrize(
    "furniture",
    ["第 2 页 共 175 页", "第2页", "— 3 —", "- 3 -", "－12－", "3 / 175", "共 9 页 第 2 页"],
)
def test_page_numbers_dropped(furniture: str) -> None:
    text = f"第一段文字。\n{furniture}\n第二段文字。"
    result = normalize_report(text)
    assert result.text == "第一段文字。\n第二段文字。"
    assert len(result.dropped_lines) == 1


def test_numbers_that_are_content_survive() -> None:
    text = "毛入园率（%）\n93.06\n94\n2024年12月\n1月19日电"
    assert normalize(text) == text


def _paged(header: str, pages: int, body: str) -> str:
    out = []
    for p in range(1, pages + 1):
        out.append(
            f"{header}\n{body}{p}。\n牵头部门：市教委\n配合部门：各区县\n正文继续{p}。\n第 {p} 页 共 {pages} 页\n"
        )
    return "\n".join(out)


def test_running_header_dropped_by_frequency_but_repeated_content_kept() -> None:
    text = _paged("某某研究院简报 2025年第3期", 6, "第一页正文")
    result = normalize_report(text)
    assert "某某研究院简报" not in result.text
    assert result.text.count("牵头部门：市教委") == 6  # repeats, but not at page edges
    assert result.text.count("配合部门：各区县") == 6
    assert "page_furniture" in result.flags


def test_running_footer_dropped_with_form_feeds() -> None:
    pages = [f"正文第{p}页的内容写在这里。\n又一行正文。\n内部资料 注意保存" for p in range(5)]
    text = "\f".join(pages)
    out = normalize(text)
    assert "内部资料" not in out
    assert out.count("又一行正文。") == 5


def test_line_repeated_once_or_twice_is_never_dropped() -> None:
    text = "重要通知标题\n— 1 —\n正文。\n重要通知标题\n— 2 —\n正文。"
    assert normalize(text).count("重要通知标题") == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("加快建设[bookmark: OLE_LINK2]教育强市", "加快建设教育强市"),
        ("[bookmark: _Toc123456789]一、总体要求", "一、总体要求"),
        ("[bookmark: OLE_LINK1][bookmark: OLE_LINK2]正文", "正文"),
        ("见[附件]说明", "见[附件]说明"),
    ],
)
def test_bookmarks(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u3000\u3000为加快建设教育强市，制定本规划。", "为加快建设教育强市，制定本规划。"),
        ("索\u00a0引\u00a0号", "索 引 号"),
        ("发布&nbsp;日期：2025-02-28", "发布 日期：2025-02-28"),
        ("第一段。\n\n\n\n第二段。  ", "第一段。\n第二段。"),
        ("到 2027 年，覆盖率达到 95%", "到2027年，覆盖率达到95%"),
        ("A  B\tC", "A B C"),
        ("2024 年 12 月，市委印发", "2024年12月，市委印发"),
        ("新华社北京 1月 19 日电", "新华社北京 1月19日电"),
        (
            "普惠性幼儿园覆盖率达到 95%以上，达到 94%，每 3—5 年",
            "普惠性幼儿园覆盖率达到95%以上，达到94%，每3—5年",
        ),
        ("（2024—2035 年）", "（2024—2035年）"),
        ("类型 主要指标 2023年 2027年", "类型 主要指标 2023年 2027年"),
        ("毛入园率（%） 93.06 94", "毛入园率（%） 93.06 94"),
        ("2025 NO.2 总第 37 期", "2025 NO.2 总第37期"),
        ("\ufeff正文\u200b内容", "正文内容"),
        ("第一段。\r\n第二段。\r第三段。", "第一段。\n第二段。\n第三段。"),
    ],
)
def test_whitespace(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "text", ["①小学；②初中。", "（1）修订标准。⑴完善评价。", "国发﹝2019﹞4号", "１２３ＡＢＣ", "…"]
)
def test_never_nfkc(text: str) -> None:
    assert normalize(text) == text


def _as_cp1252(raw: bytes) -> str:
    """Bytes decoded as Windows-1252, its five undefined bytes passed through as latin-1 does."""
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in raw
    )


ORIGINAL = "重庆市教育委员会关于印发教育强市建设规划的通知"


@pytest.mark.parametrize(
    ("broken", "how"),
    [
        (ORIGINAL.encode("utf-8").decode("latin-1"), "utf8-as-latin1"),
        (_as_cp1252(ORIGINAL.encode("utf-8")), "utf8-as-cp1252"),
        (ORIGINAL.encode("gb18030").decode("latin-1"), "gbk-as-latin1"),
    ],
)
def test_mojibake_repaired(broken: str, how: str) -> None:
    assert mojibake_score(broken) > 0.3, how
    result = normalize_report(f"标题\n{broken}\n2025年")
    assert result.text == f"标题\n{ORIGINAL}\n2025年", how
    assert "mojibake_repaired" in result.flags
    assert "mojibake_unrepaired" not in result.flags


def test_mojibake_run_inside_good_text_repaired() -> None:
    broken = "教育强市".encode().decode("latin-1")
    assert normalize(f"加快建设{broken}，推进现代化。") == "加快建设教育强市，推进现代化。"


@pytest.mark.parametrize(
    "broken",
    ["����н���", "锟斤拷锟斤拷锟斤拷", "é‡�åº†å¸‚"],
)
def test_unrecoverable_mojibake_is_reported(broken: str) -> None:
    result = normalize_report(f"关于{broken}的通知")
    assert "mojibake_unrepaired" in result.flags
    assert result.mojibake > 0


@pytest.mark.parametrize("text", ["Café résumé naïve", "价格€5，“引号”—破折号", "2024—2035年"])
def test_legitimate_latin_is_not_repaired(text: str) -> None:
    result = normalize_report(text)
    assert result.text == text
    assert "mojibake_repaired" not in result.flags


WRAPPED = """一、总体要求

坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻党

的二十大和二十届二中、三中全会精神，全面贯彻习近平总书记关于

教育的重要论述，坚持教育优先发展，全面贯彻党的教育方针，坚定

不移走中国特色社会主义教育发展道路。

主要指标

类型

主要指标

2023年

2027年

六、加快建设现代职业教育体系，培养大国工匠、能工巧匠、高

技能人才

（二十）塑造多元办学、产教融合新形态。深入推进省域现代职

业教育体系新模式试点，落实地方政府统筹发展职业教育主体责任。

建强市域产教联合体、行业产教融合共同体，优化与区域发展相协调

、与产业布局相衔接的职业教育布局。
"""


def test_pdf_dewrap() -> None:
    result = normalize_report(WRAPPED)
    assert "pdf_dewrapped" in result.flags
    assert result.text.split("\n") == [
        "一、总体要求",
        "坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻党的二十大和二十届二中、三中全会精神，"
        "全面贯彻习近平总书记关于教育的重要论述，坚持教育优先发展，全面贯彻党的教育方针，"
        "坚定不移走中国特色社会主义教育发展道路。",
        "主要指标",
        "类型",
        "主要指标",
        "2023年",
        "2027年",
        "六、加快建设现代职业教育体系，培养大国工匠、能工巧匠、高技能人才",
        "（二十）塑造多元办学、产教融合新形态。深入推进省域现代职业教育体系新模式试点，"
        "落实地方政府统筹发展职业教育主体责任。",
        "建强市域产教联合体、行业产教融合共同体，优化与区域发展相协调、与产业布局相衔接的职业教育布局。",
    ]


def test_web_paragraphs_are_not_joined() -> None:
    text = "关于印发某某方案的通知\n各区县教委\n现将方案印发给你们，请认真贯彻执行\n附件：某某方案\n某某局\n2025年2月28日"
    assert normalize(text) == text


def test_english_words_joined_with_space() -> None:
    lines = ["This policy paper describes the national plan for the next ten"] * 6
    text = "\n".join([*lines[:-1], "years."])
    assert "ten This" in normalize(text)


@pytest.mark.parametrize(
    "name", ["national_gangyao.txt", "cq_guihua.txt", "cq_guihua_excerpt_trad_pinyin.txt"]
)
def test_idempotent_on_fixtures(name: str) -> None:
    once = normalize(_read(name))
    assert normalize(once) == once


# the last three were found by the fuzz test below: spaces around a short latin-1 line made the
# second pass re-decode it as GBK when the first had not
@pytest.mark.parametrize(
    "text",
    [
        WRAPPED,
        _paged("某某简报 第3期", 5, "正文"),
        "①\n（1）\n\n\f第 1 页",
        "\u3000ès",
        "ès\u3000(",
        "è[——\u3000",
    ],
)
def test_idempotent_on_cases(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


_ALPHABET = st.sampled_from(
    list("一二三、（）()1.。，第页共—- \n\f\u3000教育强市建設(shè)éåÖØ[bookmark: ]ab")
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=120).map("".join))
def test_fuzz_normalize_is_total_and_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    match_key(once)


@pytest.mark.timeout(30)  # catastrophic backtracking would run for hours, not seconds
def test_hostile_input_finishes() -> None:
    text = ("(" + "ā" * 5000 + "[bookmark:" * 2000 + "é" * 5000 + "—" * 3000 + "\n") * 5
    assert normalize(text)


def test_seed_001_loses_its_page_furniture() -> None:  # speed: bench/bench_normalize.py
    raw = seed_path("001").read_text(encoding="utf-8")
    result = normalize_report(raw)
    assert "共175页" not in result.text and "第 2 页" not in result.text
    assert "职教动态与参考" not in result.text
    assert result.text.count("牵头部门：市教委") >= 80  # repeated content is not furniture
    assert {"page_furniture", "pdf_dewrapped"} <= set(result.flags)
