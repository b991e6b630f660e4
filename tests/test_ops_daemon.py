"""What the daemon promises about its store and its settings, tested on real processes: bad
schedule settings are refused at load (and a reload with a bad file keeps the old ones), one
daemon per store, a deleted or replaced store stops the daemon without losing pending alerts,
and storage errors are one Chinese line each with a back-off instead of a traceback storm."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from watcher.demo.server import DemoServer

LIST = """<html><head><meta charset="utf-8"><title>通知公告</title></head><body>
<ul class="list">{items}</ul></body></html>"""
ITEM = '<li><a href="./202507/t{n}.html" title="{title}">{title}</a><span>2025-07-07</span></li>'
PAGE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="article"><h1>{title}</h1><p>各镇街、区级各部门：</p>{body}</div></body></html>"""

SOURCES = """
settings:
  heartbeat_stale_seconds: 10
  fetch: {{min_delay_seconds: 0, jitter_seconds: 0, retries: 0, timeout_seconds: 5}}
  notify:
    urls: ["json://127.0.0.1:9/hook"]
sources:
  - id: hc-test
    name: 合川区测试站
    level: district
    allow_private: true
    allowed_hosts: [127.0.0.1]
    {schedule}
    jitter_seconds: 0
    lists:
      - url: {base}/www.hc.gov.cn/xxgk/gggs/
        item: "ul.list li a"
"""


def _site(root: Path, pages: int = 3, paragraph: str = "") -> None:
    site = root / "www.hc.gov.cn" / "xxgk" / "gggs"
    (site / "202507").mkdir(parents=True, exist_ok=True)
    titles = [f"关于开展职业教育活动周的第{n}号通知" for n in range(1, pages + 1)]
    items = "".join(ITEM.format(n=n, title=t) for n, t in enumerate(titles, 1))
    (site / "index.html").write_text(LIST.format(items=items), encoding="utf-8")
    for n, title in enumerate(titles, 1):
        body = f"<p>一、活动主题。第{n}项围绕产教融合开展展示活动。</p>" + paragraph
        (site / "202507" / f"t{n}.html").write_text(
            PAGE.format(title=title, body=body), encoding="utf-8"
        )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[DemoServer]:
    _site(tmp_path / "sites")
    with DemoServer(root=tmp_path / "sites") as server:
        yield server


def _env(tmp_path: Path, db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "WATCHER_STORE": str(db),
        "WATCHER_CONFIG": str(tmp_path / "sources.yaml"),
        "PYTHONWARNINGS": "ignore",
    }


def _write_config(tmp_path: Path, base: str, schedule: str = "interval_minutes: 0.05") -> None:
    (tmp_path / "sources.yaml").write_text(
        SOURCES.format(base=base, schedule=schedule), encoding="utf-8"
    )


def _watcher(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def _daemon(env: dict[str, str], log: Path, prefix: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*prefix, sys.executable, "-m", "watcher", "run", "--log-json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w", encoding="utf-8"),
        text=True,
    )


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _rows(db: Path, sql: str) -> int:
    """Count rows without creating or migrating anything (the file may be gone on purpose)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _stop(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)


def _log_lines(log: Path) -> list[dict[str, object]]:
    out = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


# ---------------------------------------------------------------------- item 6: schedule


@pytest.mark.parametrize(
    ("schedule", "settings", "key", "words"),
    [
        ('cron: "99 * * * *"', "", "sources.0.cron", "crontab"),
        ('cron: "0 0 * * * *"', "", "sources.0.cron", "5 段"),
        ("interval_minutes: 60", "timezone: Mars/Olympus", "settings.timezone", "时区"),
        ("interval_minutes: 60", "digest: {weekday: friday}", "settings.digest.weekday", "fri"),
    ],
)
def test_bad_schedule_settings_stop_run_at_load_with_the_key_named(
    tmp_path: Path, schedule: str, settings: str, key: str, words: str
) -> None:
    _write_config(tmp_path, "http://127.0.0.1:9", schedule)
    cfg = tmp_path / "sources.yaml"
    if settings:
        cfg.write_text(
            cfg.read_text(encoding="utf-8").replace("settings:\n", f"settings:\n  {settings}\n"),
            encoding="utf-8",
        )
    env = _env(tmp_path, tmp_path / "w.db")
    for command in (("sources",), ("run",)):
        done = _watcher(*command, env=env, timeout=30)
        assert done.returncode == 2, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
        assert key in done.stderr and words in done.stderr and "配置无效" in done.stderr


def test_reload_with_a_bad_schedule_keeps_the_running_daemon_and_its_config(
    tmp_path: Path, site: DemoServer
) -> None:
    db = tmp_path / "w.db"
    env = _env(tmp_path, db)
    _write_config(tmp_path, site.base_url)
    log = tmp_path / "daemon.log"
    proc = _daemon(env, log)
    try:
        _wait(lambda: _rows(db, "SELECT COUNT(*) FROM versions") >= 3, 60, "the first cycle")
        _write_config(tmp_path, site.base_url, 'cron: "99 * * * *"')
        refused = _watcher("reload", env=env)
        assert refused.returncode == 2 and "sources.0.cron" in refused.stderr
        proc.send_signal(signal.SIGHUP)  # as if someone signalled it by hand
        _wait(lambda: "reload refused" in log.read_text(encoding="utf-8"), 20, "the refusal")
        runs = _rows(db, "SELECT COUNT(*) FROM fetches")
        _wait(lambda: _rows(db, "SELECT COUNT(*) FROM fetches") > runs, 40, "a later cycle")
        assert proc.poll() is None, log.read_text(encoding="utf-8")[-2000:]
    finally:
        code = _stop(proc)
    assert code == 0, log.read_text(encoding="utf-8")[-2000:]


# ---------------------------------------------------------------------- item 14: one daemon


def test_one_daemon_per_store_and_check_is_refused_beside_it(
    tmp_path: Path, site: DemoServer
) -> None:
    db = tmp_path / "w.db"
    env = _env(tmp_path, db)
    _write_config(tmp_path, site.base_url)
    proc = _daemon(env, tmp_path / "daemon.log")
    try:
        _wait(lambda: _rows(db, "SELECT COUNT(*) FROM versions") >= 3, 60, "the first cycle")
        second = _watcher("run", env=env, timeout=30)
        assert second.returncode == 3, second.stderr[-2000:]
        assert "只能有一个守护进程" in second.stderr and "Traceback" not in second.stderr
        check = _watcher("check", env=env, timeout=30)
        assert check.returncode == 3 and "正在使用" in check.stderr
        assert "Traceback" not in check.stderr
    finally:
        assert _stop(proc) == 0
    assert _watcher("check", env=env).returncode == 0  # with the daemon gone, check runs


# ---------------------------------------------------------------------- item 13: lost store


def _pending(db: Path) -> int:
    return _rows(db, "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_store_deleted_or_replaced_under_the_daemon_stops_it_and_keeps_the_alerts(
    tmp_path: Path, site: DemoServer, how: str
) -> None:
    db = tmp_path / "store" / "watcher.db"
    env = _env(tmp_path, db)
    _write_config(tmp_path, site.base_url)
    log = tmp_path / "daemon.log"
    proc = _daemon(env, log)
    try:
        _wait(lambda: _pending(db) >= 1, 60, "a pending alert (the webhook is down)")
        pending = _pending(db)
        if how == "deleted":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        else:
            spare = tmp_path / "other.db"
            sqlite3.connect(spare).execute("CREATE TABLE t(x)").connection.close()
            shutil.move(spare, db)
            Path(f"{db}-wal").unlink(missing_ok=True)
            Path(f"{db}-shm").unlink(missing_ok=True)
        proc.wait(timeout=60)
    finally:
        _stop(proc)
    text = log.read_text(encoding="utf-8")
    assert proc.returncode == 3, text[-2000:]
    assert ("已被删除" if how == "deleted" else "已被替换") in text
    assert "Traceback" not in text
    if how == "deleted":
        assert not db.exists()  # not silently recreated empty
    saved = list(db.parent.glob("watcher.db.recovered-*"))
    assert len(saved) == 1 and _pending(saved[0]) >= pending
    health = _watcher("health", env=env)
    assert health.returncode == 1 and "不健康" in health.stderr


# ---------------------------------------------------------------------- item 16: storage


def _unshare_ok() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not _unshare_ok(), reason="needs unshare -m and mount (root in a container) for real mounts"
)


@needs_mounts
def test_a_full_disk_is_one_chinese_line_per_attempt_and_the_daemon_backs_off(
    tmp_path: Path, site: DemoServer
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "watcher.db"
    env = _env(tmp_path, db)
    _write_config(tmp_path, site.base_url)
    log = tmp_path / "daemon.log"
    # A real 4 MB tmpfs over the store's directory; once the daemon has started, a filler file
    # takes the rest of the space, so the next writes meet ENOSPC.
    script = (
        f"mount -t tmpfs -o size=4m tmpfs {data} && "
        f"(while [ ! -s {db}-wal ]; do sleep 0.2; done; sleep 2; "
        f'dd if=/dev/zero of={data}/filler bs=64k 2>/dev/null) & exec "$@"'
    )
    proc = _daemon(env, log, prefix=("unshare", "-m", "sh", "-c", script, "sh"))
    try:
        _wait(lambda: "磁盘已满" in log.read_text(encoding="utf-8"), 90, "the disk-full error")
        _wait(
            lambda: sum("storage error" in line for line in log.read_text().splitlines()) >= 2,
            90,
            "a second attempt after the pause",
        )
        assert proc.poll() is None  # still running, waiting for space
    finally:
        _stop(proc)
    lines = _log_lines(log)
    errors = [r for r in lines if r["message"] == "storage error, pausing the daemon's jobs"]
    delays = [float(str(r["retry_in_seconds"])) for r in errors]
    assert delays == sorted(delays) and delays[0] < delays[-1]  # each pause longer
    assert all("磁盘已满" in str(r["error"]) for r in errors)
    assert "Traceback" not in log.read_text(encoding="utf-8")


@needs_mounts
def test_check_on_a_read_only_store_says_so_in_one_line(tmp_path: Path, site: DemoServer) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "watcher.db"
    env = _env(tmp_path, db)
    _write_config(tmp_path, site.base_url)
    assert _watcher("check", env=env).returncode == 0
    for lock in data.glob("*.lock"):
        lock.unlink()
    done = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            f'mount --bind -o ro {data} {data} && exec "$@"',
            "sh",
            sys.executable,
            "-m",
            "watcher",
            "check",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "OSError" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "只读" in done.stderr
