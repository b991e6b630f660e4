"""Soak: hundreds of ``kill -9`` against the daemon mid-cycle and the delivery worker mid-delivery.

The long variant of tests/test_crash.py (same harness, same invariants checked after every kill:
integrity, no half-written version, no lost alert, duplicates only inside the at-least-once
window). Prints one JSON object with the figures for the report::

    .venv/bin/python bench/soak_crash.py --daemon-kills 100 --deliver-kills 200
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_crash import daemon_kill_loop, deliver_kill_loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--daemon-kills", type=int, default=100)
    parser.add_argument("--deliver-kills", type=int, default=200)
    parser.add_argument("--docs", type=int, default=60, help="documents on the test site")
    parser.add_argument("--alerts", type=int, default=100, help="alerts queued per backlog")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="soak-crash-") as tmp:
        if args.daemon_kills:
            daemon_dir = Path(tmp) / "daemon"
            daemon_dir.mkdir()
            stats = daemon_kill_loop(
                daemon_dir, kills=args.daemon_kills, docs=args.docs, seed=args.seed, max_delay=3.0
            )
            assert stats.duplicates <= stats.sending_at_kill, stats.summary()
            result["daemon"] = stats.summary()
        if args.deliver_kills:
            deliver_dir = Path(tmp) / "deliver"
            deliver_dir.mkdir()
            stats = deliver_kill_loop(
                deliver_dir,
                kills=args.deliver_kills,
                alerts=args.alerts,
                seed=args.seed,
                receiver_delay=0.0,
            )
            assert stats.duplicates <= stats.sending_at_kill, stats.summary()
            result["deliver"] = stats.summary()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
