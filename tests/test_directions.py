"""Research directions: scoring, merging, phrasing, evidence, the topic watchlist, the store
wrapper, the CLI, and the editors' choices of the internal bulletin (seed 000, read at test time)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import seed_path
from tests.support.bulletin import EDITORS_CHOICES, bulletin_items, history_documents
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
    assert set(data[0]) == {"direction", "terms", "score", "evidence"}
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
