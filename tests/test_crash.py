"""Crash safety: ``kill -9`` the daemon mid-cycle and the delivery worker mid-delivery, again and again.

Real processes (``python -m watcher run`` / ``python -m watcher deliver``) against a real loopback
site and a real webhook receiver. After every kill the store must pass ``PRAGMA integrity_check``
and the foreign-key check, hold no half-written version (every version has its document, every
document's current version exists and is its own, versions of a document are numbered 1..n) and
no lost alert (every alert has one delivery per channel). After a final clean delivery run every
delivery is ``sent`` and every alert reached every channel. A channel sees an alert twice only in
the at-least-once window: the delivery was ``sending`` when its worker was killed, so duplicates
are bounded by the number of such deliveries found after the kills.

The harness (``daemon_kill_loop``, ``deliver_kill_loop``) is shared with ``bench/soak_crash.py``,
which runs hundreds of kills; the tests here are the CI-sized variant (5 kills each).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.receiver import Receiver
from watcher.deliver.channels.redaction import channel_key
from watcher.deliver.outbox import SEVERITY_RANK, idempotency_key
from watcher.demo.server import DemoServer
from watcher.models import Alert
from watcher.store import Store

REPO = Path(__file__).resolve().parent.parent
HOST_DIR = ("www.hc.gov.cn", "xxgk", "gggs")

PAGE = """<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{title}">
<title>{title}</title></head><body>
<div class="zwxl-article"><div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">
<p>各镇街、区级各部门：</p>
<p>一、总体要求</p><p>（一）围绕产教融合开展第{n}项重点工作，推动职业院校与企业共建实训基地{n}个。</p>
<p>二、主要任务</p><p>（二）各单位于{deadline}前报送工作总结，第{rev}次修订。</p>
<p>（三）到2027年，建成市级以上高水平专业群{n}个，年培训{n}万人次。</p>
<p>三、保障措施</p><p>（四）加强组织领导，落实经费保障，强化督导评估。</p>
</div></div></body></html>"""

CONFIG = """
settings:
  heartbeat_stale_seconds: 60
  health_failures: 3
  fetch: {{min_delay_seconds: 0, jitter_seconds: 0, retries: 0, timeout_seconds: 5}}
  notify:
    urls: [{urls}]
    backoff_base_seconds: 0
sources:
  - id: crash-site
    name: 崩溃测试站
    level: district
    allow_private: true
    allowed_hosts: [127.0.0.1]
    interval_minutes: 0.01
    jitter_seconds: 0
    max_new_per_run: 1000
    recheck_per_run: 1000
    lists:
      - url: {base}/www.hc.gov.cn/xxgk/gggs/
        item: "ul.list li a"
"""


# --------------------------------------------------------------------------- invariants


def check_store(db: Path, channels: int) -> dict[str, int]:
    """Assert the crash invariants on ``db``; returns counts (versions, alerts, sending, ...)."""
    with Store.open(db) as store:
        assert store.integrity_ok(), "PRAGMA integrity_check failed"
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []

        def one(sql: str) -> int:
            return int(store.conn.execute(sql).fetchone()[0])

        assert (
            one(
                "SELECT COUNT(*) FROM versions v LEFT JOIN documents d ON d.id = v.document_id "
                "WHERE d.id IS NULL"
            )
            == 0
        ), "a version without its document"
        assert (
            one(
                "SELECT COUNT(*) FROM documents d LEFT JOIN versions v ON v.id = d.current_version_id "
                "WHERE v.id IS NULL OR v.document_id != d.id"
            )
            == 0
        ), "a document without its current version"
        assert (
            one(
                "SELECT COUNT(*) FROM (SELECT document_id FROM versions GROUP BY document_id "
                "HAVING MIN(seq) != 1 OR MAX(seq) != COUNT(*))"
            )
            == 0
        ), "version numbers with a gap"
        assert (
            one(
                "SELECT COUNT(*) FROM documents d WHERE d.current_version_id != "
                "(SELECT MAX(id) FROM versions WHERE document_id = d.id)"
            )
            == 0
        ), "current is not the latest"
        assert (
            one(
                "SELECT COUNT(*) FROM changes c LEFT JOIN versions v ON v.id = c.new_version_id "
                "WHERE v.id IS NULL"
            )
            == 0
        )
        # Alerts below settings.notify.min_severity (notice) are kept but not sent anywhere.
        for row in store.query(
            "SELECT a.id, a.severity, (SELECT COUNT(*) FROM deliveries d "
            "WHERE d.alert_id = a.id) AS n FROM alerts a"
        ):
            wanted = channels if SEVERITY_RANK[row["severity"]] >= SEVERITY_RANK["notice"] else 0
            assert row["n"] == wanted, f"alert {row} has {row['n']} deliveries, not {wanted}"
        assert one("SELECT COUNT(*) FROM search_docsize") == one(
            "SELECT COUNT(*) FROM documents WHERE current_version_id IS NOT NULL"
        ), "a document indexed twice or not at all"
        return {
            "documents": one("SELECT COUNT(*) FROM documents"),
            "versions": one("SELECT COUNT(*) FROM versions"),
            "alerts": one("SELECT COUNT(*) FROM alerts"),
            "deliveries": one("SELECT COUNT(*) FROM deliveries"),
            "sending": one("SELECT COUNT(*) FROM deliveries WHERE status = 'sending'"),
            "sent": one("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'"),
            "fetches": one("SELECT COUNT(*) FROM fetches"),
        }


def duplicates(rx: Receiver) -> int:
    """Accepted requests beyond the first for each (channel path, idempotency key)."""
    seen = Counter((r.path, r.headers.get("idempotency-key")) for r in rx.accepted)
    return sum(n - 1 for n in seen.values())


def check_all_delivered(db: Path, rx: Receiver, paths: list[str]) -> None:
    """Every delivery is sent and every alert reached every channel (nothing lost)."""
    with Store.open(db) as store:
        statuses = store.delivery_counts()
        keys = [
            str(r["dedupe_key"])
            for r in store.query(
                "SELECT dedupe_key FROM alerts a WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id)"
            )
        ]
    assert set(statuses) <= {"sent"}, statuses
    got = {(r.path, r.headers.get("idempotency-key")) for r in rx.accepted}
    missing = [(p, k) for k in keys for p in paths if (p, idempotency_key(k)) not in got]
    assert not missing, f"{len(missing)} alert deliveries never arrived"


# --------------------------------------------------------------------------- harness


@dataclass
class KillStats:
    kills: int = 0
    kills_while_sending: int = 0  # kills that left at least one delivery 'sending'
    sending_at_kill: int = 0  # deliveries left 'sending' by kills (the at-least-once window)
    duplicates: int = 0
    final: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return dict(vars(self))


def _env(tmp: Path, db: Path, config: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "WATCHER_STORE": str(db),
        "WATCHER_CONFIG": str(config),
        "PYTHONPATH": str(REPO),
    }
    env.pop("WATCHER_NOTIFY_URLS", None)
    return env


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "watcher", *args],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=str(REPO),
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _write_site(root: Path, docs: int, revisions: dict[int, int]) -> None:
    site = root.joinpath(*HOST_DIR)
    (site / "p").mkdir(parents=True, exist_ok=True)
    items = []
    for n in range(1, docs + 1):
        title = f"关于做好第{n}批职业教育重点工作的通知"
        rev = revisions.get(n, 1)
        items.append(f'<li><a href="./p/t{n}.html">{title}</a><span>2025-07-07</span></li>')
        (site / "p" / f"t{n}.html").write_text(
            PAGE.format(title=title, n=n, rev=rev, deadline=f"{6 + rev % 6}月{10 + rev % 18}日"),
            encoding="utf-8",
        )
    (site / "index.html").write_text(
        '<html><head><meta charset="utf-8"></head><body><ul class="list">'
        + "".join(items)
        + "</ul></body></html>",
        encoding="utf-8",
    )


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with Store.open(db) as store:
            return int(store.conn.execute(sql).fetchone()[0])
    except Exception:  # the daemon may hold the write lock for a moment; count again later
        return -1


def daemon_kill_loop(
    tmp: Path, *, kills: int, docs: int, seed: int = 0, max_delay: float = 1.5
) -> KillStats:
    """Start the daemon, let it get into a cycle, SIGKILL it at a random moment; ``kills`` times.

    Between kills a few pages are revised so that cycles write new versions and alerts.
    """
    rng = random.Random(seed)
    stats = KillStats()
    started = time.monotonic()
    db, config, log = tmp / "store" / "watcher.db", tmp / "sources.yaml", tmp / "daemon.log"
    revisions: dict[int, int] = {}
    _write_site(tmp / "sites", docs, revisions)
    paths = ["/a", "/b"]
    with DemoServer(root=tmp / "sites") as server, Receiver() as rx:
        urls = ", ".join(f'"{rx.url(p).replace("http://", "json://")}"' for p in paths)
        config.write_text(CONFIG.format(base=server.base_url, urls=urls), encoding="utf-8")
        env = _env(tmp, db, config)
        for _ in range(kills):
            for n in rng.sample(range(1, docs + 1), k=max(1, docs // 5)):
                revisions[n] = revisions.get(n, 1) + 1
            _write_site(tmp / "sites", docs, revisions)
            before = max(0, _count(db, "SELECT COUNT(*) FROM fetches"))
            proc = _spawn(["run"], env, log)
            try:
                # Kill inside a cycle: once this run has fetched something, at a random moment.
                _wait_for(lambda b=before: _count(db, "SELECT COUNT(*) FROM fetches") > b, 20)
                time.sleep(rng.uniform(0.0, max_delay))
            finally:
                _kill(proc)
            stats.kills += 1
            counts = check_store(db, channels=len(paths))
            stats.sending_at_kill += counts["sending"]
            stats.kills_while_sending += counts["sending"] > 0
        # A final clean delivery run sends whatever is left.
        _final_delivery(db, env, rx, paths, stats, timeout=120)
    stats.seconds = time.monotonic() - started
    return stats


def _final_delivery(
    db: Path,
    env: dict[str, str],
    rx: Receiver,
    paths: list[str],
    stats: KillStats,
    *,
    timeout: float,
) -> None:
    """After the kills, one clean `watcher deliver` must leave every delivery sent."""
    done = subprocess.run(
        [sys.executable, "-m", "watcher", "deliver", "--retry-now"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(REPO),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    stats.final = check_store(db, channels=len(paths))
    check_all_delivered(db, rx, paths)
    stats.duplicates = duplicates(rx)


def _seed_alerts(db: Path, alerts: int, channel_urls: list[str], start: int = 0) -> None:
    rows = [(channel_key(u), u) for u in channel_urls]
    with Store.open(db) as store:
        for i in range(start, start + alerts):
            store.add_alert(
                Alert(
                    kind="new_document",
                    dedupe_key=f"crash:{i}",
                    severity="notice",
                    title=f"新文件：关于第{i}批重点工作的通知",
                    body="测试告警正文。" * 5,
                    url=f"http://127.0.0.1/doc/{i}.html",
                ),
                rows,
            )


def deliver_kill_loop(
    tmp: Path,
    *,
    kills: int,
    alerts: int,
    seed: int = 0,
    receiver_delay: float = 0.01,
    max_delay: float = 0.4,
) -> KillStats:
    """Run ``watcher deliver`` over a backlog and SIGKILL it mid-delivery, ``kills`` times."""
    rng = random.Random(seed)
    stats = KillStats()
    started = time.monotonic()
    db, config, log = tmp / "deliver.db", tmp / "sources.yaml", tmp / "deliver.log"
    paths = ["/a", "/b"]
    with Receiver(delay=receiver_delay) as rx:
        urls = [rx.url(p).replace("http://", "json://") for p in paths]
        config.write_text(
            CONFIG.format(base="http://127.0.0.1:9", urls=", ".join(f'"{u}"' for u in urls)),
            encoding="utf-8",
        )
        _seed_alerts(db, alerts, urls)
        queued = alerts
        env = _env(tmp, db, config)
        while stats.kills < kills:
            if _count(db, "SELECT COUNT(*) FROM deliveries WHERE status != 'sent'") == 0:
                _seed_alerts(db, alerts, urls, start=queued)  # the backlog ran out (soak runs)
                queued += alerts
            before = len(rx.requests)
            proc = _spawn(["deliver"], env, log)
            try:
                _wait_for(lambda b=before, p=proc: len(rx.requests) > b or p.poll() is not None, 20)
                time.sleep(rng.uniform(0.0, max_delay))
            finally:
                _kill(proc)
            stats.kills += 1
            counts = check_store(db, channels=len(paths))
            stats.sending_at_kill += counts["sending"]
            stats.kills_while_sending += counts["sending"] > 0
        _final_delivery(db, env, rx, paths, stats, timeout=300)
    stats.seconds = time.monotonic() - started
    return stats


# --------------------------------------------------------------------------- CI-sized tests


def test_daemon_survives_kill_9_mid_cycle(tmp_path: Path) -> None:
    stats = daemon_kill_loop(tmp_path, kills=5, docs=30, seed=7)
    print("daemon kill loop:", stats.summary())
    assert stats.kills == 5
    assert stats.final["versions"] > stats.final["documents"] > 0, (
        "cycles stored revisions between kills"
    )
    # At-least-once: a duplicate only for a delivery that was 'sending' when its process died.
    assert stats.duplicates <= stats.sending_at_kill


def test_delivery_worker_survives_kill_9_mid_delivery(tmp_path: Path) -> None:
    stats = deliver_kill_loop(tmp_path, kills=5, alerts=60, seed=11, receiver_delay=0.0)
    print("deliver kill loop:", stats.summary())
    assert stats.kills == 5
    assert stats.kills_while_sending >= 1, (
        "no kill landed during a delivery; the test proved nothing"
    )
    assert stats.duplicates <= stats.sending_at_kill
    assert stats.final["sent"] == stats.final["deliveries"]
