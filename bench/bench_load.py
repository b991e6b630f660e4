"""Full-size load: one cycle over 500 sources and 5,000 pages on a loopback server.

The long variant of tests/test_load.py (same harness). Prints wall time, documents stored,
failures and the process's peak RSS (psutil, sampled every 20 ms) before and during the cycle::

    .venv/bin/python bench/bench_load.py --sources 500 --pages 10
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_load import run_load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--pages", type=int, default=10, help="pages per source")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        result = run_load(Path(tmp) / "watcher.db", args.sources, args.pages)
        size = (Path(tmp) / "watcher.db").stat().st_size
    print(json.dumps({**vars(result), "rss_growth_mb": round(result.rss_growth_mb, 1),
                      "pages_per_second": round(result.pages / result.seconds, 1),
                      "store_mb": round(size / 1048576, 1)}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
