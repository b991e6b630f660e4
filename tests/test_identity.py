"""Document identity: 发文字号, title anatomy, identity keys and canonical URLs (table-driven)."""

from __future__ import annotations

import pytest

from watcher.text import identity
from watcher.text.identity import (
    canonical_url,
    doc_kind,
    doc_numbers,
    draft_marker,
    identity_key,
    identity_keys,
    normalize_doc_number,
    series_key,
    unwrap_title,
    year_range,
)

# --------------------------------------------------------------------------- 发文字号

DOC_NUMBER_CASES = [
    ("国务院关于印发国家职业教育改革实施方案的通知（国发〔2019〕4号）", ["国发〔2019〕4号"]),
    ("国办发明电〔2018〕15号", ["国办发明电〔2018〕15号"]),
    ("《重大行政决策程序暂行条例》（国令第707号）", ["国令第707号"]),
    ("中华人民共和国国务院令 第707号", ["国令第707号"]),
    ("发文字号 渝中府办〔2024〕13号 有效性", ["渝中府办〔2024〕13号"]),
    (
        "《教育部等十三部门关于健全学校家庭社会协同育人机制的意见》（教基〔2022〕7号）",
        ["教基〔2022〕7号"],
    ),
    # the same number with every bracket variant websites use
    ("教基[2022]7号", ["教基〔2022〕7号"]),
    ("教基【2022】7号", ["教基〔2022〕7号"]),
    ("教基（2022）7号", ["教基〔2022〕7号"]),
    ("教基(2022)7号", ["教基〔2022〕7号"]),
    ("教基﹝2022﹞7号", ["教基〔2022〕7号"]),
    ("渝府发 〔２０２３〕 第065 号", ["渝府发〔2023〕65号"]),
    # seed 002 lost the closing bracket: 「(教基〔20227号)」
    ("认真落实《…意见》(教基〔20227号)要求", ["教基〔2022〕7号"]),
    ("根据国发〔2019〕4号和国办发〔2019〕4号文件精神", ["国发〔2019〕4号", "国办发〔2019〕4号"]),
    (
        "《关于进一步加强环保设备设施安全生产工作的通知》（安委办明电〔2022〕17号）",
        ["安委办明电〔2022〕17号"],
    ),
    ("教育部令第50号；国函〔2018〕159号", ["教育部令第50号", "国函〔2018〕159号"]),
    ("合委教领发〔2025〕  号", []),  # a draft with the sequence left blank is not a number
    ("到2035年建成教育强国，2024年投入4号线", []),
]


@pytest.mark.parametrize(("text", "expected"), DOC_NUMBER_CASES)
def test_doc_numbers(text: str, expected: list[str]) -> None:
    assert doc_numbers(text) == expected


def test_normalize_doc_number_of_metadata_field() -> None:
    assert normalize_doc_number(" 渝中府办[2024]13号 ") == "渝中府办〔2024〕13号"
    assert normalize_doc_number("无") is None


# --------------------------------------------------------------------------- title anatomy

YEAR_RANGE_CASES = [
    ("教育强国建设规划纲要（2024—2035年）", (2024, 2035)),
    ("中国特色高水平高职学校和专业建设计划（2025-2029年）", (2025, 2029)),
    ("重庆市职业教育提质行动计划（2024～2027年）", (2024, 2027)),
    ("学前教育深化改革规范发展行动计划（2021—2023年）", (2021, 2023)),
    ("重庆加快建设教育强市推进教育现代化规划（2024—2035 年）", (2024, 2035)),
    ("高等职业学校办学能力评价实施方案（2025\n—2030 年）", (2025, 2030)),
    ("某某规划(2021年—2025年)", (2021, 2025)),
    ("重庆市教育事业发展“十四五”规划", (2021, 2025)),
    ("国家教育事业发展“十三五”规划", (2016, 2020)),
    ("关于做好2025年普通高校招生工作的通知", None),
    ("教育部关于公布第二批名单的通知", None),
]


@pytest.mark.parametrize(("title", "expected"), YEAR_RANGE_CASES)
def test_year_range(title: str, expected: tuple[int, int] | None) -> None:
    assert year_range(title) == expected


DOC_KIND_CASES = [
    ("教育强国建设规划纲要（2024—2035年）", "纲要"),
    ("重庆加快建设教育强市推进教育现代化规划（2024—2035年）", "规划"),
    ("国务院关于印发国家职业教育改革实施方案的通知", "实施方案"),
    ("渝中区全国学校家庭社会协同育人实验区建设方案", "方案"),
    ("关于印发《职业教育提质培优行动计划（2020—2023年）》的通知", "行动计划"),
    ("教育部等十三部门关于健全学校家庭社会协同育人机制的意见", "意见"),
    ("关于征集合川区家校社协同育人“教联体”建设成果案例的通知", "通知"),
    ("重庆市普惠性民办幼儿园管理办法（试行）", "办法"),
    ("中共中央关于进一步全面深化改革的决定", "决定"),
    ("重大行政决策程序暂行条例", "条例"),
    ("重庆市中小学校管理规定", "规定"),
    ("职业学校学生实习管理规定实施细则", "实施细则"),
    ("中小学人工智能通识教育指南（2025年版）", "指南"),
    ("市政府第12次常务会议纪要", "纪要"),
    ("重庆市教育委员会公告", "公告"),
    ("关于暂停办理业务的通告", "通告"),
    ("国务院关于同意设立某某学院的批复", "批复"),
    ("教育部关于某某问题的函", "函"),
    ("2024年全市教育工作要点", "工作要点"),
    ("重庆教育现代化八项行动方案（2025—2027 年）", "行动方案"),
    ("加快建设教育强国的纲领性文件——教育部负责人答记者问", None),
]


@pytest.mark.parametrize(("title", "expected"), DOC_KIND_CASES)
def test_doc_kind(title: str, expected: str | None) -> None:
    assert doc_kind(title) == expected


UNWRAP_CASES = [
    (
        "关于印发《教育强国建设规划纲要（2024—2035年）》的通知",
        "教育强国建设规划纲要（2024—2035年）",
    ),
    (
        "重庆市渝中区人民政府办公室关于印发渝中区全国学校家庭社会协同育人实验区建设方案的通知",
        "渝中区全国学校家庭社会协同育人实验区建设方案",
    ),
    ("国务院关于印发国家职业教育改革实施方案的通知", "国家职业教育改革实施方案"),
    (
        "关于转发教育部关于印发《职业教育提质培优行动计划（2020—2023年）》的通知的通知",
        "职业教育提质培优行动计划（2020—2023年）",
    ),
    (
        "国务院办公厅转发教育部等部门关于加强学前教育工作意见的通知",
        "教育部等部门关于加强学前教育工作意见",
    ),
    (
        "中共中央 国务院印发《教育强国建设规划纲要（2024—2035 年）》",
        "教育强国建设规划纲要（2024—2035 年）",
    ),
    (
        "教育部印发《高等职业学校办学能力评价实施方案（2025—2030 年）》",
        "高等职业学校办学能力评价实施方案（2025—2030 年）",
    ),
    # kept: no transmitting verb
    (
        "关于征集合川区家校社协同育人“教联体”建设成果案例的通知",
        "关于征集合川区家校社协同育人“教联体”建设成果案例的通知",
    ),
    (
        "教育部 财政部关于实施中国特色高水平高职学校和专业建设计划（2025-2029年）的通知",
        "教育部 财政部关于实施中国特色高水平高职学校和专业建设计划（2025-2029年）的通知",
    ),
    # kept: 试行 stays part of the title, a draft note moves onto the carried document
    (
        "关于印发《重庆市普惠性民办幼儿园管理办法（试行）》的通知",
        "重庆市普惠性民办幼儿园管理办法（试行）",
    ),
    (
        "关于印发合川区家校社协同育人“教联体”建设工作实施方案的通知（讨论稿）",
        "合川区家校社协同育人“教联体”建设工作实施方案（讨论稿）",
    ),
    ("关于规范公文印发的通知", "关于规范公文印发的通知"),
]


@pytest.mark.parametrize(("title", "expected"), UNWRAP_CASES)
def test_unwrap_title(title: str, expected: str) -> None:
    assert unwrap_title(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("关于印发合川区“教联体”建设工作实施方案的通知（讨论稿）", "讨论稿"),
        ("重庆市职业教育条例（征求意见稿）", "征求意见稿"),
        ("某某管理办法(送审稿)", "送审稿"),
        ("重庆市普惠性民办幼儿园管理办法（试行）", None),
        ("关于开展征求意见稿编写培训的通知", None),
    ],
)
def test_draft_marker(title: str, expected: str | None) -> None:
    assert draft_marker(title) == expected


SAME_SERIES = [
    (
        "学前教育深化改革规范发展行动计划（2021—2023年）",
        "学前教育深化改革规范发展行动计划（2024—2027年）",
    ),
    (
        "关于印发《职业教育提质培优行动计划（2020—2023年）》的通知",
        "职业教育提质培优行动计划(2024-2027年)",
    ),
    ("中国特色高水平高职学校和专业建设计划", "第二期中国特色高水平高职学校和专业建设计划"),
    ("重庆市教育事业发展“十四五”规划", "重庆市教育事业发展“十五五”规划"),
    ("2024年全市教育工作要点", "2025年全市教育工作要点"),
    ("某区教联体建设工作实施方案（讨论稿）", "某区教联体建设工作实施方案"),
    ("重庆市普惠性民办幼儿园管理办法（试行）", "重庆市普惠性民办幼儿园管理办法"),
]


@pytest.mark.parametrize(("a", "b"), SAME_SERIES)
def test_series_key_joins_editions(a: str, b: str) -> None:
    assert series_key(a) == series_key(b)
    assert series_key(a)  # never empty for a real title


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "教育强国建设规划纲要（2024—2035年）",
            "重庆加快建设教育强市推进教育现代化规划（2024—2035年）",
        ),
        ("学前教育行动计划（2021—2023年）", "职业教育行动计划（2021—2023年）"),
    ],
)
def test_series_key_separates_different_plans(a: str, b: str) -> None:
    assert series_key(a) != series_key(b)


# --------------------------------------------------------------------------- identity

SAME_DOCUMENT = [
    # official vs reformatted copy (spaces, half-width brackets, other dash)
    (
        "重庆加快建设教育强市推进教育现代化规划（2024—2035年）",
        "重庆加快建设教育强市 推进教育现代化规划(2024-2035 年)",
    ),
    # official vs Big5 gateway copy in Traditional script with a different dash
    (
        "重庆加快建设教育强市推进教育现代化规划（2024—2035年）",
        "重慶加快建設教育強市推進教育現代化規劃（2024－2035年）",
    ),
    # content-farm copy with pinyin notes after some characters
    (
        "重庆加快建设教育强市推进教育现代化规划（2024—2035年）",
        "重慶加快建設(shè)教育強市推進教育現(xiàn)代化規劃（2024～2035年）",
    ),
    # the transmitting notice and the plan it carries
    (
        "关于印发《教育强国建设规划纲要（2024—2035年）》的通知",
        "《教育强国建设规划纲要（2024—2035 年）》",
    ),
    (
        "中共中央 国务院印发《教育强国建设规划纲要（2024—\n2035 年）》",
        "教育强国建设规划纲要（2024–2035年）",
    ),
    # full-width letters and quotes
    ("关于开展“AI+教育”试点工作的通知", '关于开展"ＡＩ＋教育"试点工作的通知'),
]


@pytest.mark.parametrize(("a", "b"), SAME_DOCUMENT)
def test_identity_key_same_document(a: str, b: str) -> None:
    assert identity_key(a) == identity_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("学前教育行动计划（2021—2023年）", "学前教育行动计划（2024—2027年）"),
        ("某区教联体建设工作实施方案（讨论稿）", "某区教联体建设工作实施方案"),
        (
            "教育强国建设规划纲要（2024—2035年）",
            "重庆加快建设教育强市推进教育现代化规划（2024—2035年）",
        ),
    ],
)
def test_identity_key_different_documents(a: str, b: str) -> None:
    assert identity_key(a) != identity_key(b)


def test_identity_key_prefers_doc_number_over_title() -> None:
    official = identity_key(
        "国务院关于印发国家职业教育改革实施方案的通知", doc_number="国发〔2019〕4号"
    )
    copy = identity_key("国家职业教育改革实施方案（全文）", doc_number="國發[2019]4號")
    assert official == copy == "doc:国发〔2019〕4号"


def test_identity_keys_fall_back_to_index_then_title() -> None:
    keys = identity_keys("某某方案", doc_number="无", index_no="11500103009283772K/2024-00026")
    assert keys == ("idx:11500103009283772K/2024-00026", "title:某某方案")
    assert identity_key("某某方案") == "title:某某方案"


# --------------------------------------------------------------------------- URLs

URL_CASES = [
    (
        "https://big5.mee.gov.cn/gate/big5/www.mee.gov.cn/xxgk2018/xxgk/t20240101_1.html",
        "https://www.mee.gov.cn/xxgk2018/xxgk/t20240101_1.html",
    ),
    (
        "http://big5.www.gov.cn/gate/big5/www.gov.cn/zhengce/content/2019-02/13/content_5365341.htm",
        "http://www.gov.cn/zhengce/content/2019-02/13/content_5365341.htm",
    ),
    (
        "http://big5.www.gov.cn/zhengce/content/2019-02/13/content_5365341.htm",
        "http://www.gov.cn/zhengce/content/2019-02/13/content_5365341.htm",
    ),
    (
        "http://big5.moe.gov.cn/srcsite/A07/moe_953/t1.html",
        "http://www.moe.gov.cn/srcsite/A07/moe_953/t1.html",
    ),
    (
        "https://www.cq.gov.cn/zwgk/t20250228_14353175.html#content",
        "https://www.cq.gov.cn/zwgk/t20250228_14353175.html",
    ),
    (
        "https://WWW.CQ.GOV.CN:443/zwgk/a.html?utm_source=wechat&spm=a.b&id=7&from=timeline",
        "https://www.cq.gov.cn/zwgk/a.html?id=7",
    ),
    (
        "http://jw.cq.gov.cn:8080/x/Index.html?page=2",
        "http://jw.cq.gov.cn:8080/x/Index.html?page=2",
    ),
    ("https://www.moe.gov.cn", "https://www.moe.gov.cn/"),
]


@pytest.mark.parametrize(("url", "expected"), URL_CASES)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent() -> None:
    for url, _ in URL_CASES:
        once = canonical_url(url)
        assert canonical_url(once) == once


# --------------------------------------------------------------------------- kinds, agreement


@pytest.mark.parametrize(
    ("title", "text", "media", "kind"),
    [
        (
            "市教委负责人解读《重庆加快建设教育强市推进教育现代化规划（2024—2035年）》",
            "",
            False,
            "解读",
        ),
        ("教育部有关负责人就《职业教育法》修订答记者问", "", False, "解读"),
        ("重庆加快建设教育强市推进教育现代化规划（2024—2035年）", "", False, "规划"),
        ("新闻报道：国务院印发《教育强国建设规划纲要》", "", False, "新闻"),
        (
            "青海省以“四力”推动职业教育高质量发展",
            "（教育部简报〔2024〕第61期）青海省认真…",
            False,
            "新闻",
        ),
        ("朝着建成教育强国战略目标扎实迈进", "", True, "新闻"),
        ("教育部关于公布第二批职业教育国家在线精品课程名单的通知", "", True, "通知"),
        ("关于加强职业院校教学管理的若干意见", "", False, "意见"),
        ("2025年部门预算公开说明", "", False, None),
    ],
)
def test_classify_kind(title: str, text: str, media: bool, kind: str | None) -> None:
    assert identity.classify_kind(title, text, media=media) == kind


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        (
            "关于做好2025年职业院校招生工作的通知",
            "重庆市教育委员会关于做好2025年职业院校招生工作的通知",
            True,
        ),
        (
            "关于印发《职业教育提质领跑行动方案（2025—2027年）》的通知",
            "职业教育提质领跑行动方案",
            True,
        ),
        ("關於印發職業教育提質領跑行動方案的通知", "职业教育提质领跑行动方案", True),
        ("关于开展2025年职业院校技能大赛的通知", "关于开展2025年职业院校技能大赛工作的通知", True),
        (
            "关于做好2025年职业院校招生工作的通知",
            "关于公布2025年市级职业教育教学成果奖评审结果的通知",
            False,
        ),
        ("关于加强中小学安全管理工作的通知", "关于加强职业院校安全管理工作的通知", False),
    ],
)
def test_titles_agree(a: str, b: str, agree: bool) -> None:
    assert identity.titles_agree(a, b) is agree
    assert identity.titles_agree(b, a) is agree


@pytest.mark.parametrize(
    ("name", "title"),
    [
        (
            "渝中府办〔2024〕13号重庆市渝中区人民政府办公室关于印发方案的通知",
            "重庆市渝中区人民政府办公室关于印发方案的通知",
        ),
        ("教职成〔2025〕2号 关于实施双高计划的通知", "关于实施双高计划的通知"),
        ("重庆市教育委员会关于开展活动的通知", "重庆市教育委员会关于开展活动的通知"),
        ("渝教发〔2025〕1号", "渝教发〔2025〕1号"),
    ],
)
def test_strip_leading_doc_number(name: str, title: str) -> None:
    assert identity.strip_leading_doc_number(name) == title
