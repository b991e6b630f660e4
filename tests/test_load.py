"""Load: one cycle over many sources and pages with bounded memory, and two ``watcher check`` at once.

The CI variant runs 50 sources × 10 pages (500 pages) on a loopback server and measures the
peak RSS growth of the cycle (psutil, sampled) and its wall time; ``bench/bench_load.py`` runs
the full size (500 sources, 5,000 pages) with the same harness. Two ``watcher check`` processes
started together on one store: one runs, the other is refused with the store-lock message and
exit code 3, and the store passes its integrity check.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.support.loopback import LoopbackServer, Reply
from watcher.config import Config, FetchSettings, ListSpec, Settings, Source
from watcher.pipeline.cycle import Pipeline
from watcher.store import Store

HTML = {"Content-Type": "text/html; charset=utf-8"}
REPO = Path(__file__).resolve().parent.parent


def _page(s: int, d: int) -> str:
    title = f"关于印发第{s}区第{d}号职业教育工作方案的通知"
    paras = "".join(
        f"<p>（{k}）推进第{s}区职业院校第{d}项重点任务，建设产教融合实训基地{k + d}个，"
        f"到2027年培训技能人才{k * 100 + d}人次，完善经费保障和督导评估机制。</p>"
        for k in range(1, 9)
    )
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><div class='article'>"
        f"<h1>{title}</h1><p>一、总体要求</p>{paras}<p>二、保障措施</p>"
        f"<p>加强组织领导，压实工作责任。</p></div></body></html>"
    )


def build_site(srv: LoopbackServer, sources: int, pages_per_source: int) -> Config:
    """Script ``sources`` list pages with ``pages_per_source`` documents each; their Config."""
    specs = []
    for s in range(sources):
        items = "".join(
            f'<li><a href="/s{s}/d{d}.html">第{d}号方案</a><span>2025-07-07</span></li>'
            for d in range(pages_per_source)
        )
        srv.route(f"/s{s}/list/", Reply(body=f"<ul class='list'>{items}</ul>", headers=HTML))
        for d in range(pages_per_source):
            srv.route(f"/s{s}/d{d}.html", Reply(body=_page(s, d), headers=HTML))
        specs.append(
            Source(
                id=f"s{s}",
                name=f"负载测试{s}",
                level="district",
                allow_private=True,
                max_new_per_run=pages_per_source,
                lists=(ListSpec(url=srv.url(f"/s{s}/list/"), item="ul.list a"),),
            )
        )
    fetch = FetchSettings(
        min_delay_seconds=0, jitter_seconds=0, retries=0, timeout_seconds=30, per_host_concurrency=8
    )
    return Config(settings=Settings(fetch=fetch), sources=tuple(specs))


@dataclass
class LoadResult:
    sources: int
    pages: int
    seconds: float
    documents: int
    failed: int
    rss_before_mb: float
    rss_peak_mb: float

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_before_mb


class _PeakRSS:
    """Samples this process's RSS every 20 ms in a thread; ``peak`` in bytes."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self) -> _PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def run_load(db: Path, sources: int, pages_per_source: int) -> LoadResult:
    with LoopbackServer() as srv:
        config = build_site(srv, sources, pages_per_source)
        with Store.open(db) as store:
            before = psutil.Process().memory_info().rss
            started = time.monotonic()
            with _PeakRSS() as rss:
                report = asyncio.run(Pipeline(config, store).run_cycle())
            seconds = time.monotonic() - started
            documents = int(store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
            assert store.integrity_ok()
    mb = 1024 * 1024
    return LoadResult(
        sources,
        sources * pages_per_source,
        seconds,
        documents,
        report.total("failed"),
        before / mb,
        rss.peak / mb,
    )


def test_a_cycle_over_50_sources_and_500_pages_stays_bounded(tmp_path: Path) -> None:
    result = run_load(tmp_path / "w.db", sources=50, pages_per_source=10)
    print(
        f"load: {result.pages} pages / {result.sources} sources in {result.seconds:.1f} s, "
        f"RSS {result.rss_before_mb:.0f} → peak {result.rss_peak_mb:.0f} MB (+{result.rss_growth_mb:.0f})"
    )
    assert result.documents == 500 and result.failed == 0
    # The design target is a 512 MB server; a 500-page cycle must not grow the process by more
    # than a fraction of that (raw pages are streamed into the store, not kept).
    assert result.rss_growth_mb < 150, result
    assert result.seconds < 60, result


def test_two_checks_at_once_one_is_refused_and_the_store_survives(tmp_path: Path) -> None:
    db = tmp_path / "store" / "watcher.db"
    with LoopbackServer(latency=0.05) as srv:
        build_site(srv, 2, 20)
        config = tmp_path / "sources.yaml"
        lines = [
            "settings:",
            "  fetch: {min_delay_seconds: 0, jitter_seconds: 0, retries: 0}",
            "sources:",
        ]
        for s in range(2):
            lines += [
                f"  - id: s{s}",
                f"    name: 并发{s}",
                "    level: district",
                "    allow_private: true",
                "    lists:",
                f"      - url: {srv.url(f'/s{s}/list/')}",
                '        item: "ul.list a"',
            ]
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {
            **os.environ,
            "WATCHER_STORE": str(db),
            "WATCHER_CONFIG": str(config),
            "PYTHONPATH": str(REPO),
        }
        cmd = [sys.executable, "-m", "watcher", "check"]
        first = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and srv.hits("/s0/list/") + srv.hits("/s1/list/") == 0:
            time.sleep(0.05)
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        _out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err[-2000:]
    assert second.returncode == 3, second.stderr
    assert (
        "另一个 watcher 进程" in second.stderr
        and "正在使用" in second.stderr
        and "Traceback" not in second.stderr
    )
    with Store.open(db) as store:
        assert store.integrity_ok()
        assert int(store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]) == 40
