"""Benchmark the fetcher's politeness and its cost: a loopback site of 10 hosts × 200 pages.

Each "host" is its own LoopbackServer (127.0.0.1 on its own port, so its own politeness gate),
answering every request after a fixed latency. The servers run in a child process so the CPU
time measured here is the fetcher's alone. Cycle 1 fetches every page (200, ETag sent); cycle 2
fetches them again with the ETags and gets 304s. Each cycle's wall time is compared with the
politeness limit's theoretical minimum: per host, requests start at least min_delay (+ mean
jitter) apart and at most per_host_concurrency are in flight, hosts proceed in parallel.

    python bench/bench_fetch.py [--short]      # --short: 10 hosts × 20 pages
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.loopback import LoopbackServer, Reply
from watcher.config import FetchSettings, ListSpec, Source
from watcher.ingest.fetch import Fetcher
from watcher.models import FetchAttempt, Fetched

HOSTS = 10
LATENCY = 0.05
SETTINGS = FetchSettings(
    per_host_concurrency=2,
    min_delay_seconds=0.02,
    jitter_seconds=0.01,
    timeout_seconds=10,
    retries=0,
    backoff_base_seconds=0.1,
)
PARAGRAPH = "各区县教委、各高等职业学校要深化产教融合、校企合作，推进职业教育高质量发展。"


def page(host: int, n: int) -> bytes:
    body = f"<h1>第{host}号站点 第{n}号文件</h1>" + f"<p>{PARAGRAPH}</p>" * 150
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()


def _serve(conn: Connection, pages: int) -> None:
    """Child process: start the hosts, send their base URLs, serve until told to stop."""
    servers = [LoopbackServer(latency=LATENCY).start() for _ in range(HOSTS)]
    for h, srv in enumerate(servers):
        for n in range(pages):
            srv.route(
                f"/p/{n}.html",
                Reply(headers={"Content-Type": "text/html; charset=utf-8"}, body=page(h, n)),
                etag=f'"h{h}p{n}"',
            )
    conn.send([srv.base_url for srv in servers])
    conn.recv()
    for srv in servers:
        srv.stop()


def theoretical_minimum(pages: int, s: FetchSettings = SETTINGS, latency: float = LATENCY) -> float:
    """Lower bound of one cycle: the slower of the spacing bound and the concurrency bound."""
    spacing = (pages - 1) * (s.min_delay_seconds + s.jitter_seconds / 2) + latency
    concurrency = pages * latency / s.per_host_concurrency
    return max(spacing, concurrency)


async def _cycle(
    urls: list[str], source: Source, etags: dict[str, str]
) -> tuple[list[Fetched], list[FetchAttempt]]:
    attempts: list[FetchAttempt] = []
    async with Fetcher(SETTINGS, on_attempt=attempts.append) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(u, source=source, etag=etags.get(u)) for u in urls)
        )
    return list(results), attempts


def run(pages: int) -> list[dict[str, object]]:
    parent, child = mp.Pipe()
    proc = mp.Process(target=_serve, args=(child, pages), daemon=True)
    proc.start()
    try:
        bases: list[str] = parent.recv()
        # interleave hosts, as a scheduler running many sources would
        urls = [f"{b}/p/{n}.html" for n in range(pages) for b in bases]
        source = Source(
            id="bench",
            name="基准",
            level="municipal",
            allow_private=True,
            lists=(ListSpec(url=bases[0] + "/", item="a"),),
            allowed_hosts=("127.0.0.1",),
            # the "hosts" are servers on several ports of 127.0.0.1
            allowed_ports=tuple(int(b.rsplit(":", 1)[1]) for b in bases),
        )
        rows: list[dict[str, object]] = []
        etags: dict[str, str] = {}
        for name in ("full (200)", "revisit (304)"):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            results, attempts = asyncio.run(_cycle(urls, source, etags))
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            etags = {r.url: r.etag for r in results if r.etag}
            minimum = theoretical_minimum(pages)
            rows.append(
                {
                    "cycle": name,
                    "requests": len(attempts),
                    "wall_s": wall,
                    "min_s": minimum,
                    "ratio": wall / minimum,
                    "cpu_s": cpu,
                    "cpu_ms_per_req": 1000 * cpu / len(attempts),
                    "body_mb": sum(len(r.content) for r in results) / 1e6,
                    "statuses": dict(Counter(a.status for a in attempts)),
                }
            )
        return rows
    finally:
        parent.send("stop")
        proc.join(timeout=10)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--short", action="store_true", help="10 hosts × 20 pages instead of × 200")
    args = ap.parse_args(argv)
    pages = 20 if args.short else 200
    print(
        f"{HOSTS} hosts × {pages} pages, latency {LATENCY * 1000:.0f} ms, per-host concurrency "
        f"{SETTINGS.per_host_concurrency}, min delay {SETTINGS.min_delay_seconds * 1000:.0f} ms "
        f"+ jitter ≤{SETTINGS.jitter_seconds * 1000:.0f} ms"
    )
    header = f"{'cycle':<14}{'requests':>9}{'wall s':>9}{'min s':>8}{'ratio':>7}{'cpu s':>8}{'cpu ms/req':>11}{'body MB':>9}  statuses"
    print(header)
    print("-" * len(header))
    for r in run(pages):
        print(
            f"{r['cycle']:<14}{r['requests']:>9}{r['wall_s']:>9.2f}{r['min_s']:>8.2f}{r['ratio']:>7.2f}"
            f"{r['cpu_s']:>8.2f}{r['cpu_ms_per_req']:>11.2f}{r['body_mb']:>9.2f}  {r['statuses']}"
        )


if __name__ == "__main__":
    main()
