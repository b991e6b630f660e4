"""The weekly digest built from a real store: shape, numbering, ordering, determinism, formats."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document

from tests.support.receiver import Receiver, SmtpSink
from watcher.analysis.compare import compare
from watcher.config import DigestSettings, parse_config
from watcher.deliver.digest import build_digest, issue_numbers, queue_digest
from watcher.deliver.digest.context import lead_sentence
from watcher.deliver.outbox import channels_from_config, deliver_pending
from watcher.models import Alert, Direction, Evidence, FetchAttempt
from watcher.periods import week_bounds
from watcher.store import Store
from watcher.text import structure
from watcher.text.normalize import normalize

FIXTURES = Path(__file__).parent / "fixtures" / "text"
WEEK = "2026-W47"  # Monday 2026-11-16 … Sunday 2026-11-22
IN_WEEK = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)
BEFORE = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)
NATIONAL = "教育强国建设规划纲要（2024—2035年）"
LOCAL = "重庆加快建设教育强市推进教育现代化规划（2024—2035年）"
EXPLAINER = "一图读懂《重庆加快建设教育强市推进教育现代化规划》"
SETTINGS = DigestSettings()
DIRECTIONS = [
    Direction(
        direction="低空经济研究",
        terms=("低空经济", "无人机"),
        score=3.2,
        evidence=(
            Evidence(title=LOCAL, section="七/（二十六）", sentence="布局低空经济相关专业。"),
        ),
    )
]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _text(name: str) -> str:
    return normalize((FIXTURES / f"{name}.txt").read_text(encoding="utf-8"))


def _save(store: Store, url: str, title: str, text: str, level: str, meta: dict[str, str]) -> int:
    result = store.save_version(
        url=url,
        identity_key=url,
        title=title,
        text=text,
        text_hash=str(hash(text)),
        meta=meta,
        level=level,
        source_id="demo",
    )
    return result.document_id


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    clock = Clock(BEFORE)
    s = Store.open(tmp_path / "w.db", clock=clock)
    _save(
        s,
        "http://example.gov.cn/old.html",
        "上周收录的关于职业院校的通知",
        "一、总体要求\n为了测试，制定本通知。",
        "ministry",
        {"published_date": "2026-11-10"},
    )
    clock.at = IN_WEEK
    national, local = _text("national_gangyao"), _text("cq_guihua")
    cq = _save(
        s,
        "http://cq.gov.cn/guihua.html",
        LOCAL,
        local,
        "municipal",
        {"published_date": "2024-12-30", "issuer": "中共重庆市委 重庆市人民政府"},
    )
    nat = _save(
        s,
        "http://gov.cn/gangyao.html",
        NATIONAL,
        national,
        "national",
        {"published_date": "2025-01-19", "issuer": "中共中央 国务院"},
    )
    _save(
        s,
        "http://cq.gov.cn/jiedu.html",
        EXPLAINER,
        "为帮助大家理解规划，本文用图解说明主要目标。\n到2027年，教育强市建设取得重要进展。",
        "media",
        {"published_date": "2025-01-02"},
    )
    s.add_link(
        cq,
        relation="implements",
        cited_title=NATIONAL,
        evidence="根据《教育强国建设规划纲要》",
        parent_id=nat,
    )
    cmp = compare(
        structure.parse(national, NATIONAL),
        structure.parse(local, LOCAL),
        old_title=NATIONAL,
        new_title=LOCAL,
    )
    doc_cq, doc_nat = s.document(cq), s.document(nat)
    assert doc_cq and doc_nat and doc_cq.current_version_id and doc_nat.current_version_id
    s.add_comparison(
        new_document_id=cq,
        old_document_id=nat,
        new_version_id=doc_cq.current_version_id,
        old_version_id=doc_nat.current_version_id,
        comparison=cmp,
    )
    s.sync_sources(parse_config(_yaml()).sources)
    s.log_fetch(
        "demo",
        FetchAttempt(
            url="http://cq.gov.cn/list",
            status=521,
            bytes=0,
            duration_ms=3.0,
            error="反爬虫验证页面",
            outcome="blocked",
        ),
    )
    alert_id = s.add_alert(
        Alert(
            kind="new_document", dedupe_key="x", severity="notice", title="新文件提醒", body="正文"
        ),
        [("k", "wecom://abcd***")],
    )
    (row,) = s.due_deliveries(IN_WEEK.isoformat())
    s.mark_delivery(row["id"], status="dead", error="对方返回 HTTP 503")
    assert alert_id
    yield s
    s.close()


def _yaml(urls: str = "[]") -> str:
    return f"""
settings:
  notify:
    urls: {urls}
sources:
  - id: demo
    name: 演示来源
    level: municipal
    lists:
      - url: http://127.0.0.1/list
        item: a
"""


def test_masthead_date_and_numbering(store: Store) -> None:
    d = build_digest(store, WEEK, SETTINGS, directions=[])
    assert d.date == "2026-11-20"
    head = d.markdown.split("## 本期导读")[0]
    assert "# 高等职业教育动态" in head
    assert "2026年11月20日 星期五" in head
    assert "第1期·总第1期" in head
    assert "高等职业教育研究所主办" in head


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        ("2026-W47", (8, 88)),
        ("2026-W48", (9, 89)),
        ("2026-W53", (14, 94)),
        ("2027-W01", (1, 95)),
        ("2027-W02", (2, 96)),
        ("2026-W46", (7, 87)),
    ],
)
def test_issue_numbers_continue_from_the_anchor(week: str, expected: tuple[int, int]) -> None:
    settings = DigestSettings(anchor_week="2026-W47", anchor_issue=8, anchor_total=88)
    assert issue_numbers(week, settings) == expected


def test_no_yearly_reset_when_disabled() -> None:
    settings = DigestSettings(
        anchor_week="2026-W47", anchor_issue=8, anchor_total=88, issues_per_year_reset=False
    )
    assert issue_numbers("2027-W01", settings) == (15, 95)


def test_week_bounds_are_shanghai_days() -> None:
    assert week_bounds(WEEK) == ("2026-11-15T16:00:00+00:00", "2026-11-22T16:00:00+00:00")


def test_documents_ordered_by_authority_with_leads_and_key_points(store: Store) -> None:
    md = build_digest(store, WEEK, SETTINGS, directions=[]).markdown
    assert "上周收录" not in md  # outside the week
    nat = md.index(f"## 一、2025年1月19日，中共中央 国务院 {NATIONAL}：")
    loc = md.index(f"## 二、2024年12月30日，中共重庆市委 重庆市人民政府 {LOCAL}：")
    assert nat < loc
    guide = md.split("## 一、")[0]
    assert "为深入贯彻党的二十大关于加快建设教育强国的战略部署，制定本规划纲要。" in guide
    assert "根据《教育强国建设规划纲要（2024—2035年）》，制定本规划。" in guide
    national_section = md[nat:loc]
    assert (
        "**六、加快建设现代职业教育体系，培养大国工匠、能工巧匠、高技能人才。**" in national_section
    )
    assert "塑造多元办学、产教融合新形态。" in national_section


def test_interpretations_and_lineage_become_further_reading(store: Store) -> None:
    md = build_digest(store, WEEK, SETTINGS, directions=[]).markdown
    local_section = md[md.index("## 二、") :]
    assert f"### 【延伸阅读】{EXPLAINER}" in local_section
    assert f"### 【延伸阅读】{NATIONAL}" in local_section  # its parent, same week
    assert "## 三、" not in md  # the explainer is no section
    guide = md.split("## 一、")[0]
    assert f"【延伸阅读】{EXPLAINER}" in guide


def test_comparison_box_shows_carried_share_and_new_headings(store: Store) -> None:
    md = build_digest(store, WEEK, SETTINGS, directions=[]).markdown
    box = md[md.index("> **对照上位文件") :]
    assert f"《{NATIONAL}》" in box.splitlines()[0]
    for word in ("延续", "调整", "新增", "未体现", "值得关注的新增内容"):
        assert word in box
    assert "%" in box.splitlines()[0]


def test_directions_and_operations_appendix(store: Store) -> None:
    md = build_digest(store, WEEK, SETTINGS, directions=DIRECTIONS).markdown
    assert "## 三、本期推荐研究方向" in md
    assert "1. **低空经济研究**（关键词：低空经济、无人机）" in md
    assert "布局低空经济相关专业。" in md
    appendix = md[md.index("## 附：本周运行情况") :]
    assert "演示来源" in appendix and "失败 1 次" in appendix
    assert "\n- 未能送达：「新文件提醒」" in appendix and "HTTP 503" in appendix


def test_rebuilding_a_week_is_identical_and_overwrites(store: Store) -> None:
    a = build_digest(store, WEEK, SETTINGS, directions=DIRECTIONS)
    b = build_digest(store, WEEK, SETTINGS, directions=DIRECTIONS)
    assert (a.markdown, a.html, a.docx) == (b.markdown, b.html, b.docx)
    saved = store.get_digest(WEEK)
    assert saved is not None and saved["markdown"] == a.markdown and saved["docx"] == a.docx
    assert [r["week"] for r in store.list_digests()] == [WEEK]


def test_docx_uses_real_styles(store: Store) -> None:
    d = build_digest(store, WEEK, SETTINGS, directions=DIRECTIONS)
    doc = Document(io.BytesIO(d.docx))
    styles = [(p.style.name, p.text) for p in doc.paragraphs]
    assert styles[0] == ("Title", "高等职业教育动态")
    h1 = [t for s, t in styles if s == "Heading 1"]
    assert h1[0] == "本期导读"
    assert h1[1].startswith("一、2025年1月19日") and h1[-1] == "三、本期推荐研究方向"
    assert ("Heading 2", f"【延伸阅读】{EXPLAINER}") in styles
    assert any(s == "Heading 3" and t.startswith("● ") for s, t in styles)


def test_html_escapes_document_text(tmp_path: Path) -> None:
    with Store.open(tmp_path / "x.db", clock=Clock(IN_WEEK)) as s:
        evil = "<script>alert(1)</script>关于职业教育的通知"
        _save(
            s,
            "http://x.gov.cn/1.html",
            evil,
            "为了<b>测试</b>，制定本通知。\n一、要求\n内容。",
            "district",
            {},
        )
        d = build_digest(s, WEEK, SETTINGS, directions=[])
    assert "<script>" not in d.html and "&lt;script&gt;" in d.html
    assert "&lt;b&gt;测试&lt;/b&gt;" in d.html
    assert "\\<script\\>" in d.markdown


def test_empty_week_still_builds(tmp_path: Path) -> None:
    with Store.open(tmp_path / "e.db") as s:
        d = build_digest(s, "2026-W01", SETTINGS, directions=[])
    assert "本周没有发现新的或修改过的文件。" in d.markdown
    assert Document(io.BytesIO(d.docx)).paragraphs[0].style.name == "Title"


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        (
            "各区县人民政府，市政府各部门：\n为进一步加强职业教育，现提出如下意见。\n一、总体要求",
            "为进一步加强职业教育，现提出如下意见。",
        ),
        (
            "渝府办发〔2024〕12号\n根据《职业教育法》，结合本市实际，制定本办法。",
            "根据《职业教育法》，结合本市实际，制定本办法。",
        ),
        (
            "近日，教育部召开会议，部署今年的重点工作。会议强调要抓好落实。",
            "近日，教育部召开会议，部署今年的重点工作。",
        ),
    ],
)
def test_lead_sentence(text: str, lead: str) -> None:
    assert lead_sentence(text) == lead


def test_mail_digest_once_per_week(store: Store) -> None:
    digest = build_digest(store, WEEK, SETTINGS, directions=[])
    with SmtpSink() as smtp, Receiver() as bot:
        config = parse_config(_yaml(f"['{smtp.url()}', 'wecom://k?endpoint={bot.url('/w')}']"))
        assert queue_digest(store, config, digest, environ={})
        report = deliver_pending(
            store, channels_from_config(config, environ={}), config.settings.notify
        )
        assert not report.errors
        assert not queue_digest(store, config, digest, environ={})  # queued once per week
        deliver_pending(store, channels_from_config(config, environ={}), config.settings.notify)
    (mail,) = smtp.messages
    assert "第1期·总第1期" in mail["Subject"]
    assert [p.get_filename() for p in mail.iter_attachments()] == [f"digest-{WEEK}.docx"]
    (notice,) = bot.requests
    assert NATIONAL in notice.json["markdown"]["content"]
    saved = store.get_digest(WEEK)
    assert saved is not None and saved["mailed_at"]


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_cli_digest_writes_each_format(store: Store, tmp_path: Path, fmt: str) -> None:
    from click.testing import CliRunner

    from watcher.cli import main

    store.close()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "--store",
            str(store.path),
            "--config",
            str(tmp_path / "none.yaml"),
            "digest",
            "--week",
            WEEK,
            "--format",
            fmt,
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "第1期·总第1期" in result.output
    data = (out / f"digest-{WEEK}.{fmt}").read_bytes()
    assert NATIONAL.encode() in data if fmt != "docx" else data.startswith(b"PK")


def test_cli_digest_rejects_a_bad_week(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from watcher.cli import main

    result = CliRunner().invoke(
        main,
        [
            "--store",
            str(tmp_path / "w.db"),
            "--config",
            str(tmp_path / "none.yaml"),
            "digest",
            "--week",
            "2026-47",
        ],
    )
    assert result.exit_code == 1 and "2026-W47" in result.output


def test_a_week_of_120_documents_still_gives_a_digest(tmp_path: Path) -> None:
    """A busy week (99 documents and more) crashed the digest in the numeral of its sections,
    and with it the daemon's weekly job. Built here by the daemon's own job."""
    from watcher.pipeline.scheduler import Daemon

    db = tmp_path / "w.db"
    with Store.open(db, clock=Clock(IN_WEEK)) as s:
        topics = [
            "学前教育",
            "职业本科",
            "双高计划",
            "教师培训",
            "数字校园",
            "产教融合",
            "体育美育",
            "劳动教育",
            "心理健康",
            "国际交流",
            "招生考试",
            "资助工作",
        ]
        for i in range(120):
            topic = topics[i % len(topics)]
            _save(
                s,
                f"http://jw.cq.gov.cn/t{i}.html",
                f"{i + 1}号：{topic}第{i // len(topics) + 1}批项目",
                f"一、项目安排\n请各校按要求做好{topic}第{i}项工作。",
                "municipal",
                {"published_date": "2026-11-17"},
            )
    daemon = Daemon(lambda: parse_config(_yaml()), db)
    daemon._digest(WEEK)
    with Store.open(db) as s:
        saved = s.get_digest(WEEK)
    assert saved is not None
    md = saved["markdown"]
    assert "资助工作第10批项目" in md
    assert "## 一百二十、" in md or "本期其他新文件" in md
