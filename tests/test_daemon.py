"""The daemon as a real process: cycles against a loopback site, a changed page becomes a new
version with an alert, SIGTERM exits cleanly, and ``watcher health`` follows the heartbeat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.config import parse_config
from watcher.demo.server import DemoServer
from watcher.pipeline.scheduler import Daemon, last_due_digest_week
from watcher.store import Store

LIST = """<html><head><meta charset="utf-8"><title>通知公告</title></head><body>
<ul class="list"><li><a href="./202507/t20250707_1.html" title="关于开展职业教育活动周的通知">关于开展职业教育活动周的通知</a><span>2025-07-07</span></li></ul>
</body></html>"""

PAGE = """<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="关于开展职业教育活动周的通知">
<title>关于开展职业教育活动周的通知</title></head><body>
<div class="zwxl-article"><div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">
<p>各镇街、区级各部门：</p>
<p>一、活动主题</p><p>（一）技能照亮前程。围绕产教融合开展展示活动。</p>
<p>二、工作要求</p><p>（二）各单位于{deadline}前报送活动总结。</p>
</div></div></body></html>"""

SOURCES = """
settings:
  heartbeat_stale_seconds: 10
  fetch: {{min_delay_seconds: 0, jitter_seconds: 0, retries: 0, timeout_seconds: 5}}
sources:
  - id: hc-test
    name: 合川区测试站
    level: district
    allow_private: true
    allowed_hosts: [127.0.0.1]
    interval_minutes: 0.03
    jitter_seconds: 0
    lists:
      - url: {base}/www.hc.gov.cn/xxgk/gggs/
        item: "ul.list li a"
"""


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with Store.open(db) as store:
        return int(store.query(sql)[0]["n"])


def _stop(proc: subprocess.Popen[str], sig: signal.Signals) -> str:
    """Signal the daemon, wait for it, require a clean exit; returns its stderr (the log)."""
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err[-2000:]
    return err


def _reap(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _watcher(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_daemon_runs_cycles_sees_a_change_and_stops_on_sigterm(tmp_path: Path) -> None:
    site = tmp_path / "sites" / "www.hc.gov.cn" / "xxgk" / "gggs"
    (site / "202507").mkdir(parents=True)
    (site / "index.html").write_text(LIST, encoding="utf-8")
    page = site / "202507" / "t20250707_1.html"
    page.write_text(PAGE.format(deadline="7月20日"), encoding="utf-8")
    db = tmp_path / "store" / "watcher.db"
    env = {**os.environ, "WATCHER_STORE": str(db), "WATCHER_CONFIG": str(tmp_path / "sources.yaml")}
    with DemoServer(root=tmp_path / "sites") as server:
        (tmp_path / "sources.yaml").write_text(
            SOURCES.format(base=server.base_url), encoding="utf-8"
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "watcher", "run", "--log-json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait(
                lambda: _count(db, "SELECT COUNT(*) AS n FROM versions") >= 1, 40, "first version"
            )
            _wait(
                lambda: (
                    _count(db, "SELECT COUNT(*) AS n FROM fetches WHERE outcome = 'not_modified'")
                    >= 1
                    or _count(db, "SELECT COUNT(*) AS n FROM fetches") >= 4
                ),
                40,
                "a second cycle",
            )
            page.write_text(PAGE.format(deadline="8月31日"), encoding="utf-8")
            _wait(
                lambda: _count(db, "SELECT COUNT(*) AS n FROM versions") >= 2, 40, "second version"
            )
            _wait(
                lambda: (
                    _count(db, "SELECT COUNT(*) AS n FROM alerts WHERE kind = 'new_version'") == 1
                ),
                20,
                "the new-version alert",
            )
            assert _watcher("health", env=env).returncode == 0
            started = time.monotonic()
            err = _stop(proc, signal.SIGTERM)
            assert time.monotonic() - started < 10
            assert '"message": "stopped"' in err
        finally:
            _reap(proc)
    with Store.open(db) as store:
        assert store.integrity_ok()
        store.set_meta("heartbeat", (datetime.now(UTC) - timedelta(minutes=5)).isoformat())
    stale = _watcher("health", env=env)
    assert stale.returncode == 1 and "心跳" in stale.stderr


def _config(base: str = "http://127.0.0.1:9", interval: float = 60) -> str:
    return SOURCES.format(base=base).replace(
        "interval_minutes: 0.03", f"interval_minutes: {interval}"
    )


def test_catch_up_runs_each_overdue_source_once(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    config = parse_config(_config())
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with Store.open(db) as store:
        store.sync_sources(config.sources)
        store.record_source_run("hc-test", ok=True, outcome="ok")
        store.conn.execute(
            "UPDATE sources SET last_run_at = ?", ((now - timedelta(days=3)).isoformat(),)
        )
    daemon = Daemon(lambda: config, db, clock=lambda: now)
    daemon._schedule_sources()
    jobs = daemon.scheduler.get_jobs()
    assert [j.id for j in jobs] == ["source:hc-test"]
    # 3 days down with a 60-minute interval: one run now, not 72 queued runs.
    assert jobs[0].next_run_time <= now + timedelta(seconds=1)


def test_not_yet_due_source_waits_for_its_interval(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    config = parse_config(_config())
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with Store.open(db) as store:
        store.sync_sources(config.sources)
        store.conn.execute(
            "UPDATE sources SET last_run_at = ?", ((now - timedelta(minutes=10)).isoformat(),)
        )
    daemon = Daemon(lambda: config, db, clock=lambda: now)
    daemon._schedule_sources()
    assert daemon.scheduler.get_jobs()[0].next_run_time == now + timedelta(minutes=50)


@pytest.mark.parametrize(
    ("now", "week"),
    [
        ("2026-11-20T08:30:00+00:00", "2026-W47"),  # Friday 16:30 in Shanghai: this week's is due
        ("2026-11-20T07:30:00+00:00", "2026-W46"),  # Friday 15:30 in Shanghai: last week's
        ("2026-11-23T01:00:00+00:00", "2026-W47"),  # Monday: last Friday's
    ],
)
def test_last_due_digest_week(now: str, week: str) -> None:
    config = parse_config(_config())
    assert last_due_digest_week(config, datetime.fromisoformat(now)) == week


def test_reload_adds_and_removes_sources_without_losing_state(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    current = {"text": _config()}
    daemon = Daemon(lambda: parse_config(current["text"]), db)
    with Store.open(db) as store:
        store.sync_sources(daemon.config.sources)
        store.record_source_run("hc-test", ok=False, outcome="failed", error="x")
    daemon._schedule_sources()
    current["text"] = current["text"].replace("hc-test", "hc-new")
    daemon.reload()
    assert [j.id for j in daemon.scheduler.get_jobs()] == ["source:hc-new", "digest"]
    with Store.open(db) as store:
        assert store.source_row("hc-test").consecutive_failures == 1  # type: ignore[union-attr]
    current["text"] = "sources: [oops"
    daemon.reload()  # a broken file is refused; the running configuration stays
    assert daemon.config.sources[0].id == "hc-new"


def test_run_demo_serves_the_bundled_sites_in_process(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    env = {**os.environ, "WATCHER_STORE": str(db)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "watcher", "run", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(
            lambda: _count(db, "SELECT COUNT(*) AS n FROM documents") >= 20,
            90,
            "the demo documents",
        )
        _stop(proc, signal.SIGINT)
    finally:
        _reap(proc)
    with Store.open(db) as store:
        assert store.integrity_ok()
        assert {r.id for r in store.sources()} >= {"gov-cn", "moe", "cq-gov", "cq-jw", "eol"}
