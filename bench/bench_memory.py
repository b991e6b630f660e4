"""Benchmark: resident memory (and store growth) of the watcher over many cycles of the demo.

Runs ``Pipeline(config, store).run_cycle()`` against the bundled demo sites (``DemoServer`` in the
same process) again and again, switching the served edition every few cycles so a changed page
keeps producing new versions (with diff, comparison against its parent, alerts and a directions
refresh). After every cycle it samples the process's RSS (psutil), its open file descriptors and
threads, and the store's size on disk. Two ways of holding the store are compared, each in a
fresh child process so one cannot inherit the other's heap:

  - ``store-per-cycle``: a new ``Store.open()`` for every cycle, as the daemon's jobs do;
  - ``one-store``: one ``Store`` kept open for all cycles.

The table gives start / peak / end RSS and the slope of RSS over cycles (least squares after a
warm-up), in MB per 100 cycles: a leak shows as a slope that does not go to zero. In full mode
the real daemon (``python -m watcher run --demo``) is then run for ``--daemon-seconds`` and its
RSS sampled every two seconds.

    python bench/bench_memory.py [--short] [--cycles N] [--daemon-seconds S]

``--short`` (a few seconds): 20 cycles over two sources (the Chongqing site with the changing
plan and gov.cn with its national parent), no daemon run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: Sources of the short run: the site whose plan changes between editions and the site of the
#: national plan it is compared with (so the short run still exercises diff + comparison).
SHORT_SOURCES = ("cq-gov", "gov-cn")
VARIANTS = ("store-per-cycle", "one-store")
MB = 1024 * 1024


def _store_bytes(path: Path) -> int:
    """Logical size of the database (pages committed, whether still in the WAL or not)."""
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        return int(pages) * int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def run_variant(variant: str, cycles: int, every: int, sources: list[str] | None) -> dict[str, Any]:
    """Run ``cycles`` cycles in this process and return the samples (called in a child)."""
    from watcher.demo.server import DemoServer, demo_config
    from watcher.pipeline.cycle import Pipeline
    from watcher.store import Store

    logging.disable(logging.CRITICAL)  # the pipeline logs each fetch; we measure, not read
    proc = psutil.Process()
    samples: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp, DemoServer() as server:
        path = Path(tmp) / "watcher.db"
        config = demo_config(server.base_url)
        kept = Store.open(path) if variant == "one-store" else None
        try:
            for i in range(cycles):
                # Edition 1, 2, 1, 2 ... in runs of `every` cycles: each switch is a new version.
                server.set_edition(1 + (i // every) % 2)
                started = time.perf_counter()
                if kept is not None:
                    report = asyncio.run(Pipeline(config, kept).run_cycle(sources))
                else:
                    with Store.open(path) as store:
                        report = asyncio.run(Pipeline(config, store).run_cycle(sources))
                seconds = time.perf_counter() - started
                samples.append(
                    {
                        "rss": proc.memory_info().rss / MB,
                        "fds": proc.num_fds(),
                        "threads": proc.num_threads(),
                        "seconds": seconds,
                        "changed": report.total("new_versions") + report.total("new_documents"),
                        "store": _store_bytes(path) / MB,
                    }
                )
            probe = kept or Store.open(path)
            try:
                counts = {
                    name: probe.conn.execute(sql).fetchone()[0]
                    for name, sql in (
                        ("versions", "SELECT COUNT(*) FROM versions"),
                        ("blobs", "SELECT COUNT(*) FROM blobs"),
                        (
                            "orphan_blobs",
                            "SELECT COUNT(*) FROM blobs WHERE hash NOT IN "
                            "(SELECT blob_hash FROM versions WHERE blob_hash IS NOT NULL)",
                        ),
                        ("fetch_rows", "SELECT COUNT(*) FROM fetches"),
                    )
                }
            finally:
                if probe is not kept:
                    probe.close()
        finally:
            if kept is not None:
                kept.close()
    return {"variant": variant, "samples": samples, "counts": counts}


def slope_per_100(values: list[float]) -> float:
    """Least-squares slope of ``values`` against their index, per 100 steps."""
    n = len(values)
    if n < 2:
        return 0.0
    xs = range(n)
    mx, my = (n - 1) / 2, statistics.fmean(values)
    sxx = sum((x - mx) ** 2 for x in xs)
    return 100 * sum((x - mx) * (y - my) for x, y in zip(xs, values, strict=True)) / sxx


def _children(
    cycles: int, every: int, sources: list[str] | None, parallel: bool
) -> list[dict[str, Any]]:
    """Each variant in a child process; side by side only in short mode (timings then overlap)."""

    def cmd(variant: str) -> list[str]:
        c = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--variant",
            variant,
            "--cycles",
            str(cycles),
            "--every",
            str(every),
        ]
        return c + (["--sources", ",".join(sources)] if sources else [])

    def result(proc: subprocess.Popen[str]) -> dict[str, Any]:
        out, err = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"variant {proc.args!r} failed:\n{err}")
        parsed: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return parsed

    def start(variant: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            cmd(variant), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    if parallel:
        procs = [start(v) for v in VARIANTS]
        return [result(p) for p in procs]
    return [result(start(v)) for v in VARIANTS]


def print_cycles_table(results: list[dict[str, Any]], warmup: int) -> None:
    header = (
        f"{'variant':<16} {'cycles':>6} | {'RSS start':>9} {'peak':>7} {'end':>7} "
        f"{'MB/100cyc':>9} {'2nd half':>8} | {'fds':>7} {'threads':>7} | {'s/cycle same':>12} "
        f"{'s/cycle new':>11} | {'db MB':>6} {'KB/cycle':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        s = r["samples"]
        rss = [x["rss"] for x in s]
        steady = rss[warmup:]
        same = [x["seconds"] for x in s[1:] if not x["changed"]]
        new = [x["seconds"] for x in s[1:] if x["changed"]]
        fds = f"{int(s[0]['fds'])}→{int(s[-1]['fds'])}"
        threads = f"{int(s[0]['threads'])}→{int(s[-1]['threads'])}"
        store_slope = slope_per_100([x["store"] for x in s[warmup:]]) * 1024 / 100
        print(
            f"{r['variant']:<16} {len(s):>6} | {rss[0]:>9.1f} {max(rss):>7.1f} {rss[-1]:>7.1f} "
            f"{slope_per_100(steady):>+9.2f} {slope_per_100(rss[len(rss) // 2 :]):>+8.2f} | {fds:>7} {threads:>7} | "
            f"{statistics.median(same) if same else float('nan'):>12.3f} "
            f"{statistics.median(new) if new else float('nan'):>11.3f} | "
            f"{s[-1]['store']:>6.2f} {store_slope:>8.1f}"
        )
    print()
    a, b = results
    sa = [x["rss"] for x in a["samples"]][warmup:]
    sb = [x["rss"] for x in b["samples"]][warmup:]
    print(
        f"end RSS {a['variant']} / {b['variant']}: {a['samples'][-1]['rss'] / b['samples'][-1]['rss']:.2f}×;"
        f" mean steady RSS ratio {statistics.fmean(sa) / statistics.fmean(sb):.2f}×"
    )
    for r in results:
        c = r["counts"]
        print(
            f"{r['variant']}: {c['versions']} versions, {c['blobs']} blobs "
            f"({c['orphan_blobs']} referenced by no version), {c['fetch_rows']} fetch-log rows"
        )
    print(
        f"(slopes fitted over cycles {warmup + 1}–{len(a['samples'])}, and over the second half; "
        "'s/cycle new' = cycles that "
        "stored a new document or version, which also re-rank directions)"
    )


def run_daemon(seconds: float) -> float | None:
    """Run ``python -m watcher run --demo`` for ``seconds`` and sample its RSS every 2 s."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "daemon.db"
        cmd = [
            sys.executable,
            "-m",
            "watcher",
            "--store",
            str(store),
            "run",
            "--demo",
            "--log-json",
        ]
        log_path = Path(tmp) / "daemon.log"
        with log_path.open("w") as log_file:
            child = subprocess.Popen(cmd, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
            proc = psutil.Process(child.pid)
            samples: list[tuple[float, float]] = []
            started = time.monotonic()
            try:
                while (elapsed := time.monotonic() - started) < seconds and child.poll() is None:
                    samples.append((elapsed, proc.memory_info().rss / MB))
                    time.sleep(2.0)
            finally:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        runs = sum(
            1
            for line in log_path.read_text(encoding="utf-8").splitlines()
            if '"source run finished"' in line
        )
        size = _store_bytes(store) / MB
    if not samples:
        print("daemon: exited before the first sample (see `python -m watcher run --demo`)")
        return None
    rss = [r for _, r in samples]
    # The first samples catch the interpreter still importing; report from 30 s on.
    settled = next((r for t, r in samples if t >= 30), rss[-1])
    # Fit over the second half: the first minute is the baseline run of every source.
    half = samples[len(samples) // 2 :]
    per_min = slope_per_100([r for _, r in half]) / 100 * 30 if len(half) > 1 else 0.0
    header = f"{'process':<26} {'seconds':>7} {'runs':>5} | {'RSS @30s':>9} {'peak':>7} {'end':>7} {'MB/min (2nd half)':>17} | {'store MB':>8}"
    print(header)
    print("-" * len(header))
    print(
        f"{'watcher run --demo':<26} {samples[-1][0]:>7.0f} {runs:>5} | {settled:>9.1f} "
        f"{max(rss):>7.1f} {rss[-1]:>7.1f} {per_min:>+17.2f} | {size:>8.2f}"
    )
    print("(runs = source runs finished; demo sources run every minute)")
    return max(rss)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--short", action="store_true", help="20 cycles over two sources, no daemon run"
    )
    ap.add_argument("--cycles", type=int, help="cycles per variant (default 200; --short 20)")
    ap.add_argument(
        "--every", type=int, help="switch edition every N cycles (default 20; --short 10)"
    )
    ap.add_argument(
        "--sources",
        help="comma-separated source ids (default: all; --short: " + ",".join(SHORT_SOURCES) + ")",
    )
    ap.add_argument(
        "--daemon-seconds",
        type=float,
        default=150.0,
        help="how long to run the real daemon in full mode (0: skip)",
    )
    ap.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # child process
    args = ap.parse_args()
    cycles = args.cycles or (20 if args.short else 200)
    every = args.every or (10 if args.short else 20)
    sources = (
        args.sources.split(",") if args.sources else (list(SHORT_SOURCES) if args.short else None)
    )
    if args.variant:
        print(json.dumps(run_variant(args.variant, cycles, every, sources)))
        return

    print(
        f"{cycles} cycles per variant, edition switched every {every} cycles, sources: "
        f"{', '.join(sources) if sources else 'all demo sources'}; each variant in its own process"
        + (" (both at once)" if args.short else "")
    )
    print()
    results = _children(cycles, every, sources, parallel=args.short)
    print_cycles_table(results, warmup=max(2, cycles // 10))
    if not args.short and args.daemon_seconds > 0:
        print()
        peak = run_daemon(args.daemon_seconds)
        if peak is not None:
            in_process = max(x["rss"] for x in results[0]["samples"])
            print(
                f"daemon peak / in-process cycles peak ({results[0]['variant']}): "
                f"{peak / in_process:.2f}× (the daemon runs sources side by side in a thread pool)"
            )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
