"""Research directions: scoring, merging, phrasing, evidence, the topic watchlist, the store
wrapper, the CLI, and the editors' choices of the internal bulletin (seed 000, read at test time)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import seed_path
from tests.support.bulletin import EDITORS_CHOICES, bulletin_items, history_documents
from watcher.analysis.candidates import analyser
from watcher.analysis.directions import (
    DirectionInput,
    HistoryStats,
    SectionInput,
    directions_for_period,
    near_duplicate,
    phrase_direction,
    rank_directions,
    topic_hits,
)
from watcher.cli import main
from watcher.config import Topic
from watcher.models import Direction
from watcher.store import Store
from watcher.text import terms as T


def doc(
    title: str,
    *sections: tuple[str, str, str | None],
    level: str = "municipal",
    source: str | None = None,
    doc_id: int | None = None,
) -> DirectionInput:
    return DirectionInput(
        title=title,
        level=level,
        source_id=source or title,
        url=f"https://example.gov.cn/{title}",
        document_id=doc_id,
        sections=tuple(SectionInput(i, t, s) for i, t, s in sections),
    )


def rank_of(found: list[Direction], term: str) -> int:
    for i, d in enumerate(found, 1):
        if term in d.terms or term in d.direction:
            return i
    return 10_000


# --------------------------------------------------------------------------- scoring


def test_national_beats_district_for_the_same_term() -> None:
    text = "大力发展{}，培育新的增长点。推进{}示范区建设。"
    items = [
        doc("甲", ("一", text.format("低空经济", "低空经济"), None), level="district"),
        doc("乙", ("一", text.format("银发经济", "银发经济"), None), level="national"),
    ]
    found = rank_directions(items, [])
    assert rank_of(found, "银发经济") < rank_of(found, "低空经济")
    # and the other way round, so the test is about the level and not the words
    items = [
        doc("甲", ("一", text.format("低空经济", "低空经济"), None), level="national"),
        doc("乙", ("一", text.format("银发经济", "银发经济"), None), level="district"),
    ]
    found = rank_directions(items, [])
    assert rank_of(found, "低空经济") < rank_of(found, "银发经济")


@pytest.mark.parametrize(
    ("new_term", "old_term"), [("低空经济", "银发经济"), ("银发经济", "低空经济")]
)
def test_term_in_new_section_beats_term_in_unchanged_section(new_term: str, old_term: str) -> None:
    items = [
        doc(
            "方案",
            ("一", f"加快发展{old_term}，完善政策体系。", "same"),
            ("二", f"加快发展{new_term}，完善政策体系。", "new"),
        )
    ]
    found = rank_directions(items, [])
    assert rank_of(found, new_term) < rank_of(found, old_term)


def test_term_new_to_history_beats_term_everywhere_in_history() -> None:
    items = [
        doc(
            "方案",
            ("一", "推进产教融合，发展低空经济。", None),
            ("二", "深化产教融合，壮大低空经济。", None),
        )
    ]
    history = [f"第{i}号文件：深化产教融合，推进校企合作。" for i in range(20)]
    found = rank_directions(items, history)
    assert rank_of(found, "低空经济") < rank_of(found, "产教融合")
    assert found[0].direction == "低空经济研究"


def test_rising_term_beats_flat_term_when_both_are_known() -> None:
    items = [
        doc("方案", ("一", "建设教联体。完善教联体机制。教联体覆盖全部学校。推进产教融合。", None))
    ]
    history = ["推进产教融合。" * 5 + "试点教联体。"] + ["深化产教融合。" for _ in range(5)]
    stats = HistoryStats.from_texts(history)
    found = rank_directions(items, stats)
    assert rank_of(found, "教联体") < rank_of(found, "产教融合")


def test_repetition_across_sources_raises_a_term() -> None:
    items = [
        doc("一号", ("一", "发展低空经济。推动银发经济。", None), source="a"),
        doc("二号", ("一", "支持低空经济。", None), source="b"),
        doc("三号", ("一", "壮大低空经济。", None), source="c"),
    ]
    found = rank_directions(items, [])
    assert found[0].direction == "低空经济研究"
    assert len({e.title for e in found[0].evidence}) == 3


def test_event_notice_terms_count_less_than_policy_terms() -> None:
    text = "大力发展{}。推进{}试点。"
    for first, second in (("银发经济", "低空经济"), ("低空经济", "银发经济")):
        items = [
            doc(
                "教育部关于举办第二届全国创新大赛的通知",
                ("一", text.format(first, first), None),
                level="ministry",
            ),
            doc(
                "教育部关于推进职业教育改革的意见",
                ("一", text.format(second, second), None),
                level="ministry",
            ),
        ]
        found = rank_directions(items, [])
        assert rank_of(found, second) < rank_of(found, first)


def test_a_section_about_a_term_beats_a_heading_that_only_mentions_it() -> None:
    for named, mentioned in (("低空经济", "银发经济"), ("银发经济", "低空经济")):
        items = [
            doc(
                "计划",
                ("一", f"一是{named}。\n加快推进。", None),
                ("二", f"二是推动传统产业转型与{mentioned}协调发展。\n加快推进。", None),
            )
        ]
        found = rank_directions(items, [])
        assert rank_of(found, named) < rank_of(found, mentioned)


def test_repetition_inside_one_section_counts_once() -> None:
    # 量子技术 is named three times in one passage, 低空经济 once in each of two passages
    items = [
        doc(
            "计划",
            ("一", "加快推进。发展量子技术。包括光子技术、量子技术。量子技术先行。", None),
            ("二", "加快推进。大力发展低空经济。", None),
            ("三", "加快推进。培育低空经济。", None),
        )
    ]
    found = rank_directions(items, [])
    assert rank_of(found, "低空经济") < rank_of(found, "量子技术")


def test_a_new_turn_of_a_theme_the_history_follows_beats_an_unrelated_new_term() -> None:
    history = [f"第{i}号文件：推进人工智能赋能教育。" for i in range(10)] + ["推进产教融合。"] * 10
    for a, b in ((0, 1), (1, 0)):
        terms = ("新一代人工智能", "低空经济")
        items = [doc("方案", ("一", f"发展{terms[a]}。", None), ("二", f"发展{terms[b]}。", None))]
        found = rank_directions(items, history)
        assert rank_of(found, "新一代人工智能") < rank_of(found, "低空经济")


def test_members_of_an_enumeration_share_their_categorys_relevance() -> None:
    history = [f"第{i}号文件：布局建设未来产业，培育新兴产业。" for i in range(10)]
    items = [
        doc(
            "计划",
            ("一", "优先发展空天信息、低空经济等2个高成长未来产业。", None),
            ("二", "推动银发经济发展。", None),
            ("三", "推动银发经济提质。", None),
        )
    ]
    found = rank_directions(items, history)
    assert rank_of(found, "低空经济") < rank_of(found, "银发经济")
    assert rank_of(found, "空天信息") < rank_of(found, "银发经济")
    # without the category in the history the repeated term wins
    found = rank_directions(items, ["推进产教融合。"] * 10)
    assert rank_of(found, "银发经济") < rank_of(found, "低空经济")


def test_facets_of_a_documents_subject_fold_into_one_direction() -> None:
    body = (
        "（一）健全高质量充分就业促进机制。\n完善就业公共服务体系。发展灵活就业。\n"
        "（二）构建和谐劳动关系。\n完善就业公共服务体系。支持灵活就业。\n"
        "（三）推进低空经济发展。\n健全高质量充分就业促进机制。\n"
    )
    item = doc(
        "国务院关于促进高质量充分就业的意见",
        *((f"{k}", part, None) for k, part in enumerate(body.split("（")[1:])),
        level="national",
    )
    found = rank_directions([item], [])
    names = [d.direction for d in found]
    assert names[0] == "高质量充分就业促进机制研究", names
    assert {"就业公共服务体系", "灵活就业"} & set(found[0].terms)
    assert sum("就业" in n for n in names) == 1, names
    assert "低空经济研究" in names and "和谐劳动关系研究" in names


def test_places_and_government_bodies_are_not_themes() -> None:
    items = [
        doc(
            "方案",
            ("一", "渝中区校家社协同育人成效明显。渝中区家庭教育指导中心挂牌成立。", None),
            ("二", "区委宣传部牵头推进校家社协同育人。重庆市合川区持续推进。", None),
        )
    ]
    names = [d.direction for d in rank_directions(items, [], limit=20)]
    assert "学校家庭社会协同育人研究" in names
    assert not any(n.startswith(("渝中", "重庆", "区委", "合川")) for n in names), names


# --------------------------------------------------------------------------- merging and phrasing


def test_variants_merge_into_one_direction() -> None:
    items = [
        doc("一号", ("一", "大力发展低空经济。", None), ("二", "培育低空经济产业集群。", None)),
        doc(
            "二号",
            ("一", "推动就业促进协调联动。", None),
            ("二", "把促进就业作为重要职责。", None),
            ("三", "健全就业促进机制。", None),
            level="national",
        ),
    ]
    found = rank_directions(items, [])
    names = [d.direction for d in found]
    assert names.count("低空经济研究") == 1
    assert "就业促进机制研究" in names
    assert not any(n in names for n in ("促进就业研究", "发展低空经济研究", "就业促进研究"))
    employment = next(d for d in found if d.direction == "就业促进机制研究")
    assert {"就业促进", "就业促进机制"} <= set(employment.terms)


def test_variants_group_whatever_scored_first_but_short_words_do_not_chain_themes() -> None:
    items = [
        doc(
            "方案",
            ("一", "推进学校家庭社会协同育人。深化校企合作。", None),
            ("二", "推进学校家庭社会协同育人。扩大国际交流合作。", None),
            ("三", "健全学校家庭社会协同育人机制。深化校企合作。", None),
            ("四", "完善协同育人机制。扩大国际交流合作。加强合作。", None),
        )
    ]
    names = [d.direction for d in rank_directions(items, [], limit=20)]
    assert sum("协同育人" in n for n in names) == 1, names
    assert "校企合作研究" in names and "国际交流合作研究" in names, names


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("低空经济", "低空经济产业", True),
        ("就业促进", "促进就业", True),
        ("就业促进", "就业促进机制", True),
        ("就业", "就业公共服务", False),
        ("低空经济", "银发经济", False),
    ],
)
def test_near_duplicate(a: str, b: str, same: bool) -> None:
    assert near_duplicate(a, b) is same


@pytest.mark.parametrize(
    ("term", "members", "expected"),
    [
        ("低空经济", (), "低空经济研究"),
        ("就业促进", ("就业促进机制",), "就业促进机制研究"),
        ("新一代人工智能", ("新一代人工智能模型",), "新一代人工智能模型研究"),
        ("老年教育", ("老年教育平台",), "老年教育研究"),  # 平台 is not a mechanism word
        ("人工智能+", (), "人工智能研究"),
        ("高质量充分就业", ("高质量充分就业促进机制",), "高质量充分就业促进机制研究"),
        ("高质量充分就业", ("高质量充分就业统计监测",), "高质量充分就业研究"),
        ("政策研究", (), "政策研究"),
    ],
)
def test_phrase_direction(term: str, members: tuple[str, ...], expected: str) -> None:
    assert phrase_direction(term, members) == expected


def test_verb_led_phrases_become_noun_phrases_and_aliases_apply() -> None:
    items = [
        doc(
            "计划",
            ("一", "包括智算芯片、新一代 AI 模型。", "new"),
            ("二", "大力发展新一代AI模型。", "new"),
        )
    ]
    found = rank_directions(items, [])
    assert "新一代人工智能模型研究" in [d.direction for d in found]


# --------------------------------------------------------------------------- evidence, determinism


def test_evidence_points_at_the_sentences_of_the_highest_authority_documents() -> None:
    items = [
        doc("区方案", ("一", "区里也要发展低空经济。", None), level="district", doc_id=2),
        doc(
            "国务院意见",
            ("三/（二）", "总体要求。加快培育低空经济新业态。", None),
            level="national",
            doc_id=1,
        ),
    ]
    d = rank_directions(items, [])[0]
    assert d.direction == "低空经济研究"
    first = d.evidence[0]
    assert (first.title, first.section, first.document_id) == ("国务院意见", "三/（二）", 1)
    assert first.sentence == "加快培育低空经济新业态。"
    assert first.url == "https://example.gov.cn/国务院意见"
    assert all("低空经济" in e.sentence for e in d.evidence)


def test_ranking_is_deterministic() -> None:
    items = [
        doc(f"文件{i}", ("一", "发展低空经济、银发经济、数据要素和新质生产力。", None))
        for i in range(3)
    ]
    runs = [rank_directions(items, ["推进数据要素市场化。"]) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert len({d.direction for d in runs[0]}) == len(runs[0])
    assert [d.direction for d in rank_directions(items[::-1], ["推进数据要素市场化。"])] == [
        d.direction for d in runs[0]
    ]


def test_generic_words_are_never_directions() -> None:
    items = [
        doc(
            "通知",
            ("一", "加强工作。推进工作。完善体系。健全机制。提高质量。发展教育。", "new"),
            ("二", "加强工作。推进工作。完善体系。健全机制。", "new"),
        )
    ]
    assert rank_directions(items, []) == []


# --------------------------------------------------------------------------- topic watchlist


def test_topic_hits_returns_keywords_sentences() -> None:
    topics = (
        Topic(name="职业本科", keywords=("职业本科", "本科层次职业教育")),
        Topic(name="低空", keywords=("低空经济",)),
    )
    text = "稳步发展职业本科教育。\n支持高职学校举办本科层\n次职业教育。推进普职融通。"
    hits = topic_hits(topics, text)
    assert [t.name for t, _ in hits] == ["职业本科"]
    assert hits[0][1] == ["稳步发展职业本科教育。", "支持高职学校举办本科层次职业教育。"]
    assert topic_hits(topics, "推进普职融通。") == []


# --------------------------------------------------------------------------- store wrapper


def _save(store: Store, url: str, title: str, text: str, level: str) -> None:
    import hashlib

    store.save_version(
        url=url,
        identity_key=url,
        title=title,
        text=text,
        text_hash=hashlib.sha256(text.encode()).hexdigest(),
        level=level,
        source_id=level,
    )


def test_directions_for_period_uses_the_store_and_history(tmp_path: Path) -> None:
    clock = {"now": "2026-01-01T08:00:00+00:00"}
    from datetime import datetime

    store = Store.open(tmp_path / "w.db", clock=lambda: datetime.fromisoformat(clock["now"]))
    with store:
        _save(
            store,
            "https://a.gov.cn/1",
            "旧规划",
            "一、总体要求\n深化产教融合。推进产教融合。",
            "municipal",
        )
        clock["now"] = "2026-01-10T08:00:00+00:00"
        _save(
            store,
            "https://a.gov.cn/2",
            "新方案",
            "一、重点任务\n深化产教融合。\n二、新兴产业\n发展低空经济。培育低空经济产业。",
            "national",
        )
        found = directions_for_period(store, "2026-01-08", "2026-01-15")
    assert found[0].direction == "低空经济研究"
    assert found[0].evidence[0].document_id == 2
    assert found[0].evidence[0].section == "二"
    assert rank_of(found, "产教融合") > 1


# --------------------------------------------------------------------------- CLI


def test_cli_over_files_prints_json(tmp_path: Path) -> None:
    period = tmp_path / "plan.txt"
    period.write_text(
        "关于培育低空经济的实施方案\n一、总体要求\n大力发展低空经济。\n二、主要任务\n"
        "建设低空经济示范区。推进产教融合。",
        encoding="utf-8",
    )
    background = tmp_path / "old.txt"
    background.write_text("深化产教融合。推进产教融合。产教融合。", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["directions", str(period), "--background", str(background), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[0]["direction"] == "低空经济研究"
    assert set(data[0]) == {"direction", "terms", "score", "reason", "evidence"}
    assert {"title", "section", "sentence"} <= set(data[0]["evidence"][0])
    readable = CliRunner().invoke(main, ["directions", str(period)])
    assert readable.exit_code == 0
    assert "1. 低空经济研究" in readable.output


def test_cli_over_an_empty_store_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--store", str(tmp_path / "w.db"), "directions", "--since", "2026-01-01"]
    )
    assert result.exit_code == 0, result.output
    assert "没有找到推荐研究方向" in result.output
    bad = CliRunner().invoke(
        main, ["--store", str(tmp_path / "w.db"), "directions", "--since", "yesterday"]
    )
    assert bad.exit_code != 0
    assert "YYYY-MM-DD" in bad.output


# --------------------------------------------------------------------------- the bulletin's own choices


def test_editors_choices_rank_near_the_top_of_seed_000() -> None:
    bulletin = seed_path("000").read_text(encoding="utf-8")
    history = history_documents(seed_path("001").read_text(encoding="utf-8"))
    items = bulletin_items(bulletin)
    assert len(items) == 4
    found = rank_directions(items, history, limit=60)
    ranks = {name: rank_of(found, term) for name, term in EDITORS_CHOICES}
    # measured: 1, 8, 5 (was 6, 15, 39 before facet merging, enumeration categories and
    # history relevance). 低空经济 ties with the other five 高成长未来产业 of the same list (the text
    # gives nothing to separate them); floors with a little room, never lowered silently.
    assert ranks["就业促进机制研究"] <= 3, ranks
    assert ranks["新一代 AI 模型研究"] <= 8, ranks
    assert ranks["低空经济研究"] <= 12, ranks
    by_name = {d.direction: d for d in found}
    # the employment direction is worded as the 决定 words it: 健全高质量充分就业促进机制
    jobs_name = next(n for n in by_name if n.endswith("就业促进机制研究"))
    assert "低空经济研究" in by_name and "新一代人工智能模型研究" in by_name
    low = by_name["低空经济研究"].evidence[0]
    assert "未来产业" in low.title and "低空经济" in low.sentence
    ai = by_name["新一代人工智能模型研究"].evidence[0]
    assert "AI" in ai.sentence and "模型" in ai.sentence
    jobs = by_name[jobs_name].evidence[0]
    assert "就业" in jobs.title and "就业促进机制" in jobs.sentence
    # the employment document's facets fold into that one direction instead of filling the list
    assert sum("就业" in d.direction for d in found[:10]) == 1, [d.direction for d in found[:10]]


# --------------------------------------------------------------------------- what an editor keeps


def _week_documents() -> list[DirectionInput]:
    """A week like the demo's: a national plan whose framing names its slogans, a Xinhua report
    that cites it, a municipal plan about 学校家庭社会协同育人, a science plan about 科教协同育人."""
    plan = doc(
        "中共中央 国务院印发《教育强国建设规划纲要》",
        ("", "为深入贯彻党的二十大关于加快建设教育强国的战略部署，制定本规划纲要。", None),
        ("一", "一、总体要求\n落实立德树人根本任务，加快建设教育强国，深化产教融合。", None),
        ("二", "二、重点任务\n健全学校家庭社会协同育人机制，推进产教融合。", None),
        ("三", "三、职业教育\n建设市域产教联合体，推进产教融合。", None),
        ("四", "四、组织实施\n形成建设教育强国强大合力，深化产教融合。", None),
        level="national",
        source="gov",
    )
    news = doc(
        "新华社：印发教育强国建设规划纲要",
        (
            "",
            "新华社北京1月19日电 近日，中共中央、国务院印发了《教育强国建设规划纲要》。"
            "纲要提出深化产教融合。",
            None,
        ),
        level="media",
        source="xinhua",
    )
    family = doc(
        "重庆市健全学校家庭社会协同育人机制实施方案",
        ("一", "一、工作目标\n构建学校家庭社会协同育人新格局。", None),
        (
            "二",
            "二、主要举措\n（一）健全家校社协同育人机制。推进学校家庭社会协同育人“教联体”建设。",
            None,
        ),
        ("三", "三、保障措施\n完善学校家庭社会协同育人工作机制。", None),
        source="cq",
    )
    science = doc(
        "关于加强科教融汇的意见",
        ("一", "一、重点任务\n完善科教协同育人机制，加强创新资源统筹。", None),
        ("二", "二、平台建设\n完善科教协同育人机制，建设联合实验室。", None),
        ("三", "三、评价改革\n推进产教融合评价。", None),
        source="moe",
        level="ministry",
    )
    return [plan, news, family, science]


def _core(d: Direction) -> str:
    return d.direction.removesuffix("研究")


def test_directions_are_topics_with_on_target_evidence_not_fragments_or_slogans() -> None:
    found = rank_directions(_week_documents(), [], limit=10)
    names = [d.direction for d in found]
    # slogans: national strength goals are never directions, and neither is a generic head
    assert not any("强国" in n for n in names), names
    assert "协同育人机制研究" not in names and "协同育人研究" not in names, names
    # the school-family-society theme is worded as itself, and its evidence is about it, not
    # about 科教协同育人
    family = next(d for d in found if "学校家庭社会协同育人" in d.direction)
    assert family.direction == "学校家庭社会协同育人机制研究", names
    assert family.evidence and all("科教" not in e.sentence for e in family.evidence)
    for d in found:
        # no fragments: no short listed term inside another listed term (产教 of 产教融合)
        short = [t for t in d.terms if len(t) <= 2]
        assert not any(t in o for t in short for o in d.terms if o != t), d.terms
        # every evidence sentence holds the direction's term (or its first listed term)
        for e in d.evidence:
            copy = T.matching_copy(e.sentence)
            assert _core(d) in copy or d.terms[0] in copy, (d.direction, e.sentence)
            assert not e.sentence.startswith("新华社"), (d.direction, e.sentence)
    # the list reads in score order
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


def test_a_term_named_only_in_framing_parts_ranks_below_the_same_term_in_tasks() -> None:
    for framed, tasked in (("低空经济", "银发经济"), ("银发经济", "低空经济")):
        item = doc(
            "实施方案",
            ("一", f"一、总体要求\n加快发展{framed}，加快发展{framed}。", None),
            ("二", f"二、重点任务\n加快发展{tasked}，加快发展{tasked}。", None),
            ("三", "三、保障措施\n加强组织领导。", None),
        )
        found = rank_directions([item], [])
        assert rank_of(found, tasked) < rank_of(found, framed)


def test_reasons_name_the_document_its_part_and_what_is_new() -> None:
    plan = DirectionInput(
        title="关于培育低空经济的实施方案",
        level="municipal",
        source_id="cq",
        url="https://example.gov.cn/plan",
        document_id=7,
        sections=(
            SectionInput("一", "一、总体要求\n坚持创新驱动。", "same"),
            SectionInput("二", "二、新兴产业\n大力发展低空经济，建设低空经济示范区。", "new"),
            SectionInput("三", "三、保障措施\n加强组织领导。", "same"),
        ),
        compared_with="上位文件《国家规划》",
    )
    other = doc("区里的通知", ("一", "区里也要支持低空经济。", None), level="district")
    history = ["推进产教融合。"] * 5
    d = next(x for x in rank_directions([plan, other], history) if x.direction == "低空经济研究")
    assert "《关于培育低空经济的实施方案》" in d.reason
    assert "「二、新兴产业」部分" in d.reason
    assert "与上位文件《国家规划》相比，这部分是新增内容" in d.reason
    assert 2 <= d.reason.count("。") <= 3, d.reason
    # the evidence the reason is built from is the document's own sentence
    assert d.evidence[0].document_id == 7 and "低空经济" in d.evidence[0].sentence


def test_a_generic_head_is_worded_by_the_theme_it_mostly_stands_in() -> None:
    item = doc(
        "实施方案",
        ("一", "健全学校家庭社会协同育人机制。", None),
        ("二", "推进学校家庭社会协同育人。", None),
        ("三", "深化学校家庭社会协同育人实践。", None),
        ("四", "完善科教协同育人机制。", None),
        ("五", "探索医教协同育人模式。", None),
    )
    found = rank_directions([item], [], limit=10)
    names = [d.direction for d in found]
    assert sum("协同育人" in n for n in names) == 1, names
    family = next(d for d in found if "协同育人" in d.direction)
    assert family.direction == "学校家庭社会协同育人机制研究", names
    assert all("学校家庭社会协同育人" in e.sentence for e in family.evidence)


def test_the_list_is_in_score_order_when_spread_over_documents() -> None:
    national = doc(
        "国务院意见",
        *(
            (str(k), f"大力发展{t}。推进{t}示范。", None)
            for k, t in enumerate(("低空经济", "银发经济", "数据要素", "冰雪经济"))
        ),
        level="national",
    )
    district = doc(
        "区方案",
        ("一", "推进新质生产力。", None),
        ("二", "发展新质生产力。", None),
        level="district",
    )
    found = rank_directions([national, district], [], limit=5)
    # spread over the documents: the district's theme is picked before the national third
    assert rank_of(found, "新质生产力") < len(found), [d.direction for d in found]
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


def test_a_term_only_cited_in_titles_ranks_below_one_that_is_discussed() -> None:
    for cited, discussed in (("低空经济", "银发经济"), ("银发经济", "低空经济")):
        items = [
            doc(
                "甲",
                ("一", f"加强工作。贯彻《{cited}发展规划》。", None),
                ("二", f"加强工作。学习《{cited}发展规划》。", None),
            ),
            doc(
                "乙",
                ("一", f"加强工作。发展{discussed}。", None),
                ("二", f"加强工作。推进{discussed}。", None),
            ),
        ]
        found = rank_directions(items, [])
        assert rank_of(found, discussed) < rank_of(found, cited)


def test_a_theme_every_document_mentions_does_not_outrank_a_documents_own_subject() -> None:
    for common, own in (("产教融合", "低空经济"), ("低空经济", "产教融合")):
        everywhere = [
            doc(
                f"区文件{i}",
                ("一", f"加强工作。深化{common}。", None),
                level="district",
                source=f"d{i}",
            )
            for i in range(8)
        ]
        plan = doc(
            "国务院方案",
            ("一", f"一、{own}\n加快{own}发展。", "new"),
            ("二", f"二、推进{own}\n完善政策。", "new"),
            level="national",
            source="gov",
        )
        found = rank_directions([*everywhere, plan], [])
        assert rank_of(found, own) < rank_of(found, common)


# --------------------------------------------------------------------------- off the fetch path


class _Clock:
    def __init__(self, start: str) -> None:
        self.now = datetime.fromisoformat(start)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


_PLAN = (
    "一、总体要求\n坚持创新驱动。\n二、新兴产业\n大力发展低空经济。建设低空经济示范区。"
    "培育银发经济。\n三、人才培养\n推进产教融合。深化校企合作。"
)


def _stored_week(path: Path, clock: _Clock) -> Store:
    store = Store.open(path, clock=clock)
    _save(store, "https://a.gov.cn/old", "旧规划", "一、总体要求\n深化产教融合。", "municipal")
    clock.advance(days=8)
    _save(store, "https://a.gov.cn/plan", "关于培育低空经济的实施方案", _PLAN, "national")
    _save(store, "https://a.gov.cn/news", "区里的消息", "区里也要支持低空经济。", "district")
    return store


def test_a_second_ranking_of_the_same_week_segments_nothing_and_gives_the_same_result(
    tmp_path: Path,
) -> None:
    clock = _Clock("2026-01-01T08:00:00+00:00")
    with _stored_week(tmp_path / "w.db", clock) as store:
        start, end = "2026-01-08", "2026-01-15"
        before = T.tokenizer_calls()
        first = directions_for_period(store, start, end)
        made = T.tokenizer_calls() - before
        assert made > 0  # the week's versions were segmented once …
        assert len(store.segmentations(range(1, 10))) == 2  # … and kept
        before = T.tokenizer_calls()
        second = directions_for_period(store, start, end)
        assert T.tokenizer_calls() == before  # … so the second ranking segments nothing
        assert second == first
        assert first[0].direction == "低空经济研究"


def test_a_stored_segmentation_that_no_longer_fits_is_made_again(tmp_path: Path) -> None:
    from watcher.models import Segmentation

    clock = _Clock("2026-01-01T08:00:00+00:00")
    with _stored_week(tmp_path / "w.db", clock) as store:
        start, end = "2026-01-08", "2026-01-15"
        fresh = directions_for_period(store, start, end)
        kept = store.segmentations([2, 3])
        # a segmentation of another text (the sentences were split differently by an old
        # release): ranking must not trust it
        store.save_segmentations({2: Segmentation(kept[2].analyser, ((1, 1),) * 3)})
        before = T.tokenizer_calls()
        assert directions_for_period(store, start, end) == fresh
        assert T.tokenizer_calls() > before
        assert store.segmentations([2])[2] == kept[2]


def _config(rank_every: int = 15) -> Any:
    from watcher.config import parse_config

    return parse_config(
        f"settings:\n  directions: {{rank_every_minutes: {rank_every}}}\n"
        "sources:\n  - id: a\n    name: 甲\n    level: national\n"
        "    lists: [{url: 'https://a.gov.cn/', item: 'a'}]\n"
    )


def test_the_daemon_ranks_in_its_own_job_debounced_and_before_the_digest(tmp_path: Path) -> None:
    from watcher.pipeline.scheduler import Daemon

    clock = _Clock("2026-01-01T08:00:00+00:00")
    db = tmp_path / "w.db"
    _stored_week(db, clock).close()
    daemon = Daemon(lambda: _config(rank_every=15), db, clock=clock)
    assert Store.open(db).ranking_stale()
    daemon._rank_directions()
    assert daemon.ranking.runs == 1
    with Store.open(db) as store:
        assert not store.ranking_stale()
        assert store.directions("2026-W02")[0].direction == "低空经济研究"
    daemon._rank_directions()  # nothing new: no ranking
    clock.advance(minutes=1)
    with Store.open(db, clock=clock) as store:
        _save(
            store, "https://a.gov.cn/late", "银发经济方案", "一、任务\n培育银发经济。", "national"
        )
    daemon._rank_directions()  # something new, but only a minute after the last ranking
    assert daemon.ranking.runs == 1
    clock.advance(minutes=14)
    daemon._rank_directions()  # 15 minutes: due
    assert daemon.ranking.runs == 2
    clock.advance(minutes=1)
    with Store.open(db, clock=clock) as store:
        _save(
            store, "https://a.gov.cn/late2", "冰雪经济方案", "一、任务\n发展冰雪经济。", "national"
        )
    daemon._rank_directions(force=True)  # what the digest job does first
    assert daemon.ranking.runs == 3


def test_source_jobs_never_rank_but_watcher_check_ranks_once(tmp_path: Path) -> None:
    """The daemon's per-source cycle leaves the ranking to its own job; a whole cycle ranks."""
    from tests.test_daemon import LIST, PAGE, SOURCES
    from watcher.config import parse_config
    from watcher.demo.server import DemoServer
    from watcher.pipeline.cycle import Pipeline
    from watcher.pipeline.scheduler import Daemon

    site = tmp_path / "sites" / "www.hc.gov.cn" / "xxgk" / "gggs"
    (site / "202507").mkdir(parents=True)
    (site / "index.html").write_text(LIST, encoding="utf-8")
    (site / "202507" / "t20250707_1.html").write_text(PAGE.format(deadline="7月20日"), "utf-8")
    with DemoServer(root=tmp_path / "sites") as server:
        config = parse_config(SOURCES.format(base=server.base_url))
        job = Daemon(lambda: config, tmp_path / "job.db")
        job._run_source("hc-test")  # what the daemon's source job runs
        with Store.open(tmp_path / "check.db") as store:  # what `watcher check` runs
            report = asyncio.run(Pipeline(config, store).run_cycle())
            assert report.total("new_documents") == 1
            assert not store.ranking_stale() and store.latest_directions_period()
    with Store.open(tmp_path / "job.db") as store:
        assert store.newest_version_id() == 1
        assert store.ranking_stale() and store.latest_directions_period() is None


def test_the_digest_and_the_web_page_read_the_stored_ranking(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from watcher.config import DigestSettings
    from watcher.deliver.digest import build_digest
    from watcher.periods import week_bounds
    from watcher.pipeline.ranking import refresh_directions
    from watcher.web import create_app

    clock = _Clock("2026-01-01T08:00:00+00:00")
    db = tmp_path / "w.db"
    with _stored_week(db, clock) as store:
        refresh_directions(store, _config(), now=clock())
        week = "2026-W02"
        ranked = store.directions(week)
        assert ranked[0].direction == "低空经济研究" and ranked[0].reason
        # mark the stored ranking so that reading it can be told from ranking again
        marked = [Direction("存储的方向研究", ("存储的方向",), 9.0, (), "存储的理由。"), *ranked]
        store.save_ranking(
            week,
            week_bounds(week),
            marked,
            through_version_id=store.newest_version_id(),
            analyser=analyser(),
            limit=10,
        )
        before = T.tokenizer_calls()
        digest = build_digest(store, week, DigestSettings(), save=False)
        assert "存储的方向研究" in digest.markdown
        assert T.tokenizer_calls() == before
        # a version stored since makes the stored ranking stale: the digest ranks again
        _save(store, "https://a.gov.cn/x", "冰雪经济方案", "一、任务\n发展冰雪经济。", "national")
        again = build_digest(store, week, DigestSettings(), save=False)
        assert "存储的方向研究" not in again.markdown
    page = TestClient(create_app(db, clock=clock)).get("/").text
    assert "存储的方向研究" in page
