"""Full-size load: one cycle over 500 sources and 5,000 pages on a loopback server.

The long variant of tests/test_load.py (same harness). Prints wall time, documents stored,
failures and the process's peak RSS (psutil, sampled every 20 ms) before and during the cycle::

    .venv/bin/python bench/bench_load.py --sources 500 --pages 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_load import run_load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--pages", type=int, default=10, help="pages per source")
    parser.add_argument("--short", action="store_true", help="CI size: 10 sources x 5 pages")
    args = parser.parse_args(argv)
    if args.short:
        args.sources, args.pages = 10, 5
    # Two sizes in one run: throughput must not fall as the store grows (it did, from 34 to
    # 5 pages/s, while lineage recomputed every stored title's key for each new document).
    rows = []
    for sources in (max(1, args.sources // 10), args.sources):
        with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
            result = run_load(Path(tmp) / "watcher.db", sources, args.pages)
            size = (Path(tmp) / "watcher.db").stat().st_size
        rows.append(
            {
                **vars(result),
                "rss_growth_mb": round(result.rss_growth_mb, 1),
                "seconds": round(result.seconds, 2),
                "pages_per_second": round(result.pages / result.seconds, 1),
                "store_mb": round(size / 1048576, 1),
            }
        )
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        print(
            "| "
            + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in row.values())
            + " |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
