"""Benchmark: whole-document diff-match-patch vs section alignment on two plans.

Compares the national 纲要 (old) with the Chongqing 规划 (new) from tests/fixtures/text, and
the same pair concatenated 4× and 16×. For each size it times
  - whole-document diff-match-patch (Diff_Timeout=0: no time limit) and reports how much of the
    text it marks equal — the "diff" of two different plans;
  - section alignment (``watcher.analysis.compare.compare``: structure, TF-IDF pairing, sentence diffs)
    and what it finds (paired / new sections, carried share).
In full mode the whole-document dmp beyond 1× is capped at 30 s (unlimited it runs for many
minutes) and the table marks it. ``--short`` keeps it to a few seconds: whole-document dmp runs on a 3,000-character prefix of each
document (and not at all beyond 1×), and alignment runs at 1× and 4×.

    python bench/bench_compare.py [--short]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from diff_match_patch import diff_match_patch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.analysis.compare import compare  # noqa: E402
from watcher.text.structure import parse  # noqa: E402

try:
    from watcher.text.normalize import normalize
except ImportError:  # pragma: no cover - normalize is another area's module

    def normalize(text: str) -> str:
        return text


FIXTURES = REPO / "tests" / "fixtures" / "text"
SHORT_PREFIX = 3000
#: Time limit (s) for whole-document dmp beyond 1× in full mode (marked * in the table).
LONG_TIMEOUT = 30.0


def whole_dmp(old: str, new: str, timeout: float = 0) -> tuple[float, float, int]:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    t = time.perf_counter()
    diffs = dmp.diff_main(old, new)
    dmp.diff_cleanupSemantic(diffs)
    elapsed = time.perf_counter() - t
    equal = sum(len(x) for op, x in diffs if op == 0)
    return elapsed, equal / max(len(new), 1), len(diffs)


def aligned(old: str, new: str) -> tuple[float, float, dict[str, float | int]]:
    t = time.perf_counter()
    old_tree, new_tree = parse(normalize(old)), parse(normalize(new))
    t_parse = time.perf_counter() - t
    t = time.perf_counter()
    c = compare(old_tree, new_tree)
    return t_parse, time.perf_counter() - t, dict(c.summary)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--short", action="store_true", help="a few seconds: dmp on a prefix, sizes 1× and 4×"
    )
    args = ap.parse_args()
    old = (FIXTURES / "national_gangyao.txt").read_text(encoding="utf-8")
    new = (FIXTURES / "cq_guihua.txt").read_text(encoding="utf-8")
    sizes = (1, 4) if args.short else (1, 4, 16)
    print(f"national 纲要 {len(old):,} chars, Chongqing 规划 {len(new):,} chars")
    if args.short:
        print(
            f"--short: whole-document dmp runs on the first {SHORT_PREFIX:,} characters only, at 1× only"
        )
    print()
    header = f"{'size':>5} {'chars(new)':>11} | {'dmp whole s':>11} {'equal%':>7} {'ops':>6} | {'parse s':>8} {'align s':>8} {'paired':>6} {'new':>4} {'carried%':>8}"
    print(header)
    print("-" * len(header))
    for k in sizes:
        o, n = old * k, new * k
        if args.short:
            dmp_cells = (
                "{:>11.2f} {:>6.0%} {:>6}".format(*whole_dmp(o[:SHORT_PREFIX], n[:SHORT_PREFIX]))
                if k == 1
                else f"{'skipped':>11} {'':>7} {'':>6}"
            )
        elif k == 1:
            dmp_cells = "{:>11.2f} {:>6.0%} {:>6}".format(*whole_dmp(o, n))
        else:
            # Beyond 1× an unlimited run takes many minutes; cap it and show what the cap gives.
            dmp_cells = "{:>10.0f}* {:>6.0%} {:>6}".format(*whole_dmp(o, n, LONG_TIMEOUT))
        t_parse, t_align, s = aligned(o, n)
        paired = int(s["same"]) + int(s["changed"])
        print(
            f"{k:>4}× {len(n):>11,} | {dmp_cells} | {t_parse:>8.3f} {t_align:>8.3f} {paired:>6} {int(s['new']):>4} {float(s['carried_share']):>8.0%}"
        )
    print()
    if not args.short:
        print(
            f"* whole-document dmp capped at {LONG_TIMEOUT:.0f} s beyond 1× (unlimited, it runs for many minutes)."
        )
    print(
        "equal% = share of the new text whole-document dmp marks unchanged; paired/new/carried from section alignment."
    )


if __name__ == "__main__":
    main()
