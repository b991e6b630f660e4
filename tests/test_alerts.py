"""Alert builders: wording, severities, and deduplication across re-runs in a real SQLite store."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from watcher.config import ListSpec, Source, Topic
from watcher.deliver import alerts as A
from watcher.models import (
    Alert,
    Comparison,
    Direction,
    DroppedSection,
    Evidence,
    InlineOp,
    SectionChange,
    SectionMatch,
    Target,
    TargetPair,
    VersionDiff,
)
from watcher.store import Store

DIFF = VersionDiff(
    changes=(
        SectionChange(
            "changed",
            "五/（十三）",
            "五/（十三）",
            "加强教师队伍建设",
            ops=(
                InlineOp("equal", "到2027年，全市“双师型”教师占比"),
                InlineOp("delete", "达到60%"),
                InlineOp("insert", "超过65%"),
                InlineOp("equal", "，建设一批教师发展中心。"),
            ),
        ),
        SectionChange(
            "added",
            None,
            "六",
            "推进低空经济人才培养",
            ops=(InlineOp("insert", "推进低空经济人才培养"),),
        ),
    )
)

COMPARISON = Comparison(
    old_title="教育强国建设规划纲要（2024—2035年）",
    new_title="重庆加快建设教育强市推进教育现代化规划（2024—2035年）",
    sections=(
        SectionMatch("一", "总体要求", ("一",), ("总体要求",), "same", 0.9),
        SectionMatch("二/（三）", "红岩先锋", (), (), "new", 0.1),
        SectionMatch("三", "职业教育", ("五",), ("职业教育",), "changed", 0.6),
    ),
    dropped=(DroppedSection("九", "国际合作"),),
    targets=(
        TargetPair(
            Target("old", 2035, "90%", "毛入学率", "…", "一"),
            Target("new", 2035, "95%", "毛入学率", "…", "一"),
        ),
    ),
    summary={"same": 1, "changed": 1, "new": 1, "dropped": 1},
)


def _all_alerts() -> list[Alert]:
    built = [
        A.alert_new_document(
            "国务院关于低空经济的意见",
            "https://www.gov.cn/1",
            "中国政府网",
            "national",
            {"doc_number": "国发〔2026〕1号"},
            1,
        ),
        A.alert_new_version("某方案", "https://cq.gov.cn/2", DIFF, 2, 7),
        A.alert_comparison(COMPARISON.new_title, COMPARISON.old_title, COMPARISON, 3, 4, 9),
        A.alert_direction(
            Direction(
                "低空经济研究",
                ("低空经济",),
                1.5,
                (Evidence("意见", "一", "发展低空经济。", "https://www.gov.cn/1", 1),),
            ),
            "2026-W03",
        ),
        A.alert_topic(
            Topic(name="职业本科", keywords=("职业本科",)),
            "方案",
            "https://x.cn/3",
            ["稳步发展职业本科。"],
            3,
            9,
        ),
        A.alert_source_health(
            "cq", "重庆市政府", 3, "HTTP 521", episode="2026-01-01T00:00:00+00:00"
        ),
    ]
    return built


def test_rerun_never_repeats_an_alert(tmp_path: Path) -> None:
    with Store.open(tmp_path / "w.db") as store:
        first = [store.add_alert(a, [("ch1", "mail")]) for a in _all_alerts()]
        again = [store.add_alert(a, [("ch1", "mail")]) for a in _all_alerts()]
        assert all(i is not None for i in first)
        assert again == [None] * len(again)
        rows = store.alerts()
        assert len(rows) == len(first)
        assert len({r["dedupe_key"] for r in rows}) == len(rows)
        assert sum(len(r["deliveries"]) for r in rows) == len(rows)


def test_dedupe_keys_name_what_they_are_about() -> None:
    keys = [a.dedupe_key for a in _all_alerts()]
    assert keys == [
        "doc:1",
        "ver:7",
        "cmp:9:4",
        "dir:2026-W03:低空经济研究",
        "topic:职业本科:3:9",
        "health:cq:2026-01-01T00:00:00+00:00",
    ]


def test_new_version_body_lists_inline_changes() -> None:
    alert = A.alert_new_version("某方案", "https://cq.gov.cn/2", DIFF, 2, 7)
    assert "五/（十三）（修改）：" in alert.body
    assert "[删]达到60%[增]超过65%" in alert.body
    assert "六（新增）：推进低空经济人才培养" in alert.body
    assert "https://cq.gov.cn/2" in alert.body
    assert alert.severity == "warning"  # a section was added
    small = VersionDiff(changes=DIFF.changes[:1])
    assert A.alert_new_version("某方案", None, small, 2, 8).severity == "notice"


def test_flip_flops_and_empty_diffs_do_not_alert() -> None:
    assert A.should_alert_version(DIFF, flip_flop=False)
    assert not A.should_alert_version(DIFF, flip_flop=True)
    assert not A.should_alert_version(VersionDiff(changes=()), flip_flop=False)


@pytest.mark.parametrize(
    ("level", "title", "severity"),
    [
        ("national", "国务院关于某事项的通知", "warning"),
        ("ministry", "教育部办公厅关于举办大赛的通知", "warning"),
        ("municipal", "重庆市某某行动计划", "warning"),  # a 行动计划 is a major document
        ("municipal", "重庆市关于举办培训班的通知", "notice"),
        ("media", "某报道", "info"),
    ],
)
def test_new_document_severity_follows_level_and_kind(
    level: str, title: str, severity: str
) -> None:
    alert = A.alert_new_document(title, "https://x.cn", "来源", level, {}, 5)
    assert alert.severity == severity
    assert title in alert.body and "https://x.cn" in alert.body


def test_comparison_body_counts_sections_and_targets() -> None:
    alert = A.alert_comparison(
        COMPARISON.new_title, COMPARISON.old_title, COMPARISON, 3, 4, 9, old_version_id=5
    )
    assert alert.dedupe_key == "cmp:9:4:5"
    assert "延续 1 节，调整 1 节，新增 1 节，未体现 1 节" in alert.body
    assert "二/（三） 红岩先锋" in alert.body
    assert "毛入学率 90% → 毛入学率 95%" in alert.body


def test_health_alert_raised_at_threshold_resolved_and_raised_again(tmp_path: Path) -> None:
    now = [datetime.fromisoformat("2026-01-01T00:00:00+00:00")]
    threshold = 3
    source = Source(
        id="cq",
        name="重庆市政府",
        level="municipal",
        lists=(ListSpec(url="https://www.cq.gov.cn/", item="a"),),
    )
    other = Source(
        id="cq2",
        name="重庆二",
        level="municipal",
        lists=(ListSpec(url="https://www.cq2.gov.cn/", item="a"),),
    )

    def run(store: Store, sid: str, ok: bool) -> list[str]:
        """What the pipeline does at the end of a source's run; returns the raised alert kinds."""
        now[0] += timedelta(hours=1)
        failures = store.record_source_run(
            sid, ok=ok, outcome="ok" if ok else "failed", error=None if ok else "HTTP 521"
        )
        raised = []
        if ok:
            if store.resolve_alerts(A.health_key_prefix(sid)):
                alert = A.alert_source_recovered(sid, sid, episode=store.now())
                if store.add_alert(alert) is not None:
                    raised.append(alert.kind)
        elif failures == threshold:
            alert = A.alert_source_health(sid, sid, failures, "HTTP 521", episode=store.now())
            if store.add_alert(alert) is not None:
                raised.append(alert.kind)
        return raised

    with Store.open(tmp_path / "w.db", clock=lambda: now[0]) as store:
        store.sync_sources([source, other])
        assert run(store, "cq", False) == []
        assert run(store, "cq", False) == []
        assert run(store, "cq2", False) == []
        assert run(store, "cq", False) == ["source_health"]
        assert run(store, "cq", False) == []  # not again in the same episode
        open_health = [a for a in store.alerts() if a["kind"] == "source_health"]
        assert len(open_health) == 1 and open_health[0]["resolved_at"] is None
        assert "连续 3 次" in open_health[0]["body"]
        assert run(store, "cq2", True) == []  # cq2 must not resolve cq's alert
        assert run(store, "cq", True) == ["source_recovered"]
        assert all(a["resolved_at"] for a in store.alerts() if a["kind"] == "source_health")
        assert run(store, "cq", True) == []  # nothing left to resolve
        for _ in range(threshold):
            kinds = run(store, "cq", False)
        assert kinds == ["source_health"]  # a new episode, a new alert
        assert run(store, "cq", True) == ["source_recovered"]
        health = [a for a in store.alerts() if a["kind"] == "source_health"]
        assert len(health) == 2 and all(a["resolved_at"] for a in health)
        assert len([a for a in store.alerts() if a["kind"] == "source_recovered"]) == 2
