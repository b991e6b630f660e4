"""Lineage: parent citations, predecessors in a title series, cited-title resolution, configured pairs."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from watcher.analysis.lineage import (
    configured_parent,
    find_citations,
    find_predecessor,
    match_cited,
)
from watcher.config import Pair

FIXTURES = REPO / "tests" / "fixtures" / "text"

CITATIONS = [
    (
        "为加快建设教育强市，根据《教育强国建设规划纲要（2024—2035年）》，制定本规划。\n一、总体要求\n……",
        ["教育强国建设规划纲要（2024—2035年）"],
        [None],
    ),
    (
        "为贯彻落实《国家职业教育改革实施方案》（国发〔2019〕4号）和《关于推动现代职业教育高质量发展的意见》，结合我市实际，制定本方案。",
        ["国家职业教育改革实施方案", "关于推动现代职业教育高质量发展的意见"],
        ["国发〔2019〕4号", None],
    ),
    (
        "依据《中华人民共和国职业教育法》《职业学校校企合作促进办法》等要求，现提出如下意见。",
        ["中华人民共和国职业教育法", "职业学校校企合作促进办法"],
        [None, None],
    ),
    (
        "深入贯彻《教育强国建设规划纲要（2024—2035年）》（以下简称《纲要》），按照《纲要》要求，制定本方案。",
        ["教育强国建设规划纲要（2024—2035年）"],
        [None],
    ),
    # The document's own title before the verb is not a citation; a body citation after the
    # first heading is not in the opening.
    (
        "《某某市教育发展规划》主要内容如下，请结合实际认真贯彻落实。\n一、总体要求\n根据《教育法》开展工作。",
        [],
        [],
    ),
    ("为深入贯彻党的二十大关于加快建设教育强国的战略部署，制定本规划纲要。", [], []),
]


@pytest.mark.parametrize(("text", "titles", "numbers"), CITATIONS)
def test_find_citations(text: str, titles: list[str], numbers: list[str | None]) -> None:
    links = find_citations(text)
    assert [link.cited_title for link in links] == titles
    assert [link.doc_number for link in links] == numbers
    assert all(link.relation == "implements" and "《" in link.evidence for link in links)


def test_citation_survives_pdf_wraps_in_the_chongqing_plan() -> None:
    text = (FIXTURES / "cq_guihua.txt").read_text(encoding="utf-8")
    [link] = find_citations(text)
    assert link.cited_title == "教育强国建设规划纲要（2024—2035年）"
    assert link.evidence.startswith("为加快建设教育强市") and link.evidence.endswith("制定本规划。")


CANDIDATES = [
    (1, "关于印发《重庆市职业教育提质培优行动计划（2021—2023年）》的通知"),
    (2, "重庆市职业教育提质培优行动计划（2018-2020年）"),
    (3, "国务院关于印发国家职业教育改革实施方案的通知"),
    (4, "中共中央 国务院印发《教育强国建设规划纲要（2024—2035年）》"),
    (5, "某某工程第一期实施方案"),
    (6, "重庆加快建设教育强市推进教育现代化规划（2024—2035年）"),
]


@pytest.mark.parametrize(
    ("cited", "expected"),
    [
        ("国家职业教育改革实施方案", 3),
        ("重庆市职业教育提质培优行动计划(2021-2023年)", 1),
        ("重庆市职业教育提质培优行动计划（2021－2023 年）", 1),
        ("教育强国建设规划纲要（2024—2035年）", 4),
        ("教育强国建设规划纲要（2024-2035年）", 4),
        ("重庆市职业教育提质培优行动计划（2024—2027年）", None),
        ("学前教育法", None),
    ],
)
def test_match_cited(cited: str, expected: int | None) -> None:
    assert match_cited(cited, CANDIDATES) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "重庆市职业教育提质培优行动计划（2024—2027年）",
            1,
        ),  # latest earlier edition wins over 2018
        ("关于印发重庆市职业教育提质培优行动计划（2021—2023年）的通知", 2),
        ("某某工程第二期实施方案", 5),
        ("某某工程第一期实施方案", None),
        ("重庆市职业教育提质培优行动计划（2018—2020年）", None),
        (
            "教育强国建设规划纲要（2024—2035年）",
            None,
        ),  # the same document is not its own predecessor
    ],
)
def test_find_predecessor(title: str, expected: int | None) -> None:
    found = find_predecessor(title, CANDIDATES)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        doc_id, link = found
        assert doc_id == expected and link.relation == "supersedes"


def test_configured_parent() -> None:
    pairs = [Pair(child="教育强市", parent="教育强国建设规划纲要")]
    found = configured_parent(
        "重庆加快建设教育强市推进教育现代化规划（2024—2035年）", pairs, CANDIDATES
    )
    assert found is not None
    doc_id, link = found
    assert doc_id == 4 and link.relation == "configured"
    assert link.cited_title == "教育强国建设规划纲要（2024—2035年）"
    assert configured_parent("某某工程第二期实施方案", pairs, CANDIDATES) is None
