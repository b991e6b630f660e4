"""A site redesign is noticed: a list page whose selectors find no links, or a detail page that
suddenly yields no text or a fraction of what we stored, is a failed fetch with an alert
「页面结构可能已改版」 naming the URL and the selector; `watcher check` exits non-zero and the
source's health is not 正常. Real loopback server, real SQLite, the real CLI."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.support.loopback import LoopbackServer, Reply
from watcher.cli import main
from watcher.store import Store

HTML = {"Content-Type": "text/html; charset=utf-8"}

PARAGRAPH = (
    "为深入贯彻落实全国教育大会精神，加快建设教育强市，推动职业教育高质量发展，"
    "现就做好本年度职业院校专业设置和人才培养工作通知如下。各区县教育部门要加强统筹，"
    "健全专业动态调整机制，深化产教融合、校企合作，提升技术技能人才培养质量。"
)


def _list(items: int, cls: str = "list") -> str:
    rows = "".join(
        f'<li><a href="/doc/{i}.html">关于做好职业教育工作的通知（第{i}号）</a>'
        f"<span>2025-03-0{i}</span></li>"
        for i in range(1, items + 1)
    )
    return f'<html><body><ul class="{cls}">{rows}</ul></body></html>'


def _detail(i: int, paragraphs: int) -> str:
    body = "".join(f"<p>{i}. {PARAGRAPH}</p>" for _ in range(paragraphs))
    return (
        f"<html><head><title>通知{i}</title></head><body>"
        f'<div class="nav">首页 > 通知公告</div><h1>关于做好职业教育工作的通知（第{i}号）</h1>'
        f'<div class="zwxl">{body}</div><div class="foot">主办单位：某区教育委员会</div>'
        "</body></html>"
    )


def _redesigned(i: int) -> str:
    return (
        f"<html><body><div class='nav'>首页 > 通知公告</div>"
        f"<h1>关于做好职业教育工作的通知（第{i}号）</h1>"
        "<div class='article-new'><p>请下载附件查看。</p></div></body></html>"
    )


def _config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        f"""\
settings:
  fetch: {{retries: 0, min_delay_seconds: 0, jitter_seconds: 0}}
sources:
  - id: qjw
    name: 某区教育委员会
    level: 区县
    allow_private: true
    lists:
      - url: "{base}/list/"
        item: "ul.list li a"
    detail:
      body: "div.zwxl"
""",
        encoding="utf-8",
    )
    return path


def _check(config: Path, db: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), "--store", str(db), "check"])
    return result.exit_code, result.output


def _sources(config: Path, db: Path) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), "--store", str(db), "sources"])
    assert result.exit_code == 0, result.output
    return result.output


def _layout_alerts(db: Path) -> list[dict[str, object]]:
    with Store.open(db) as store:
        return [a for a in store.alerts(limit=100) if "页面结构可能已改版" in str(a["title"])]


def test_a_list_page_that_yields_no_links_is_a_redesign(tmp_path: Path) -> None:
    with LoopbackServer() as srv:
        srv.route("/list/", Reply(body=_list(3), headers=HTML))
        for i in range(1, 4):
            srv.route(f"/doc/{i}.html", Reply(body=_detail(i, 4), headers=HTML))
        base = srv.base_url
        config, db = _config(tmp_path, base), tmp_path / "w.db"
        code, out = _check(config, db)
        assert code == 0, out
        assert "正常" in _sources(config, db)
        # The site moves its list into <div class="news-list">: the selector matches nothing.
        srv.route("/list/", Reply(body=_list(3, cls="news-list"), headers=HTML))
        code, out = _check(config, db)
    assert code != 0, out
    assert "页面结构可能已改版" in out
    health = _sources(config, db)
    assert "正常" not in health.split("健康")[-1] and "连续失败" in health
    alerts = _layout_alerts(db)
    assert len(alerts) == 1
    body = str(alerts[0]["body"])
    assert f"{base}/list/" in body and "ul.list li a" in body
    with Store.open(db) as store:
        assert any(row["outcome"] == "layout_changed" for row in store.fetch_log("qjw"))


def test_a_detail_page_that_shrinks_to_a_fraction_is_not_stored_as_a_version(
    tmp_path: Path,
) -> None:
    with LoopbackServer() as srv:
        srv.route("/list/", Reply(body=_list(3), headers=HTML))
        for i in range(1, 4):
            srv.route(f"/doc/{i}.html", Reply(body=_detail(i, 6), headers=HTML))
        base = srv.base_url
        config, db = _config(tmp_path, base), tmp_path / "w.db"
        assert _check(config, db)[0] == 0
        # The detail template changes: div.zwxl is gone, only a stub line is left.
        for i in range(1, 4):
            srv.route(f"/doc/{i}.html", Reply(body=_redesigned(i), headers=HTML))
        code, out = _check(config, db)
    assert code != 0, out
    alerts = _layout_alerts(db)
    assert len(alerts) == 1, alerts
    body = str(alerts[0]["body"])
    assert f"{base}/doc/1.html" in body and "div.zwxl" in body
    with Store.open(db) as store:
        for doc in store.documents():
            assert len(store.versions(doc.id)) == 1, "the stub never became a version"
    assert "正常" not in _sources(config, db).split("健康")[-1]


def test_the_source_recovers_when_the_selectors_fit_again(tmp_path: Path) -> None:
    with LoopbackServer() as srv:
        srv.route("/list/", Reply(body=_list(2, cls="news-list"), headers=HTML))
        for i in range(1, 3):
            srv.route(f"/doc/{i}.html", Reply(body=_detail(i, 4), headers=HTML))
        base = srv.base_url
        config, db = _config(tmp_path, base), tmp_path / "w.db"
        assert _check(config, db)[0] != 0
        assert _check(config, db)[0] != 0
        assert len(_layout_alerts(db)) == 1, "one alert per failure streak"
        srv.route("/list/", Reply(body=_list(2), headers=HTML))
        code, out = _check(config, db)
    assert code == 0, out
    with Store.open(db) as store:
        assert any(a["kind"] == "source_recovered" for a in store.alerts(limit=100))
        assert len(store.documents()) == 2
