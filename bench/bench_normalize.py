"""Benchmark: the normalise and structure stages on a long real text.

Input: seed 001 (the 175-page compilation of public documents, ``../shared/seeds/001_*``), or the
plan texts in ``tests/fixtures/text`` when ``../shared`` is absent. Measures

  - ``watcher.text.normalize.normalize`` in MB/s of UTF-8 input, against the obvious baseline of a
    plain OpenCC ``t2s`` pass over the same text (normalize runs one such pass itself, plus
    mojibake, pinyin, furniture and de-wrapping rules);
  - ``watcher.text.structure.parse`` on the normalised text in sections/s and MB/s, against a
    one-regex heading splitter (``一、`` / ``（一）`` / ``1.`` at a line start) that knows nothing
    of ranks, numbering order, tables or quoted lists.

Full mode repeats each measurement and also runs the text concatenated 8× to show the cost is
linear. ``--short`` runs each once at 1×.

    python bench/bench_normalize.py [--short] [--fixtures]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import opencc

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.text.normalize import normalize  # noqa: E402
from watcher.text.structure import flatten, parse  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"
FIXTURES = REPO / "tests" / "fixtures" / "text"
MB = 1024 * 1024
#: The naive alternative to structure.parse: any line opening with a chapter, section or item marker.
NAIVE_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])", re.MULTILINE
)


def load_text(fixtures_only: bool = False) -> tuple[str, str]:
    seed = sorted(SEEDS.glob("001_*")) if SEEDS.is_dir() and not fixtures_only else []
    if seed:
        return seed[0].read_text(encoding="utf-8"), f"seed 001 ({seed[0].name})"
    files = sorted(FIXTURES.glob("*.txt"))
    return "\n".join(
        p.read_text(encoding="utf-8") for p in files
    ), f"tests/fixtures/text/*.txt ({len(files)} files)"


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs (after one warm-up run when repeating)."""
    if repeat > 1:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--short", action="store_true", help="one run at 1× only")
    ap.add_argument(
        "--fixtures", action="store_true", help="use tests/fixtures/text even if seed 001 is there"
    )
    args = ap.parse_args()
    text, label = load_text(args.fixtures)
    repeat = 1 if args.short else 5
    sizes = (1,) if args.short else (1, 8)
    t2s = opencc.OpenCC("t2s")
    normalize(text[:2000])  # load OpenCC's dictionaries outside the timing
    print(
        f"input: {label}, {len(text):,} characters, {len(text.encode('utf-8')) / MB:.2f} MB UTF-8; "
        f"median of {repeat} run(s)"
    )
    print()
    header = (
        f"{'size':>4} {'MB':>6} | {'normalize MB/s':>14} {'OpenCC t2s MB/s':>15} {'ratio':>6} | "
        f"{'parse sect/s':>12} {'sections':>8} {'parse MB/s':>10} | {'regex sect':>10} {'regex MB/s':>10} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for k in sizes:
        src = "\n".join([text] * k)
        mb = len(src.encode("utf-8")) / MB
        t_norm = best_of(partial(normalize, src), repeat)
        t_cc = best_of(partial(t2s.convert, src), repeat)
        norm = normalize(src)
        norm_mb = len(norm.encode("utf-8")) / MB
        t_parse = best_of(partial(parse, norm), repeat)
        n_sections = len(flatten(parse(norm)))
        t_regex = best_of(partial(NAIVE_HEADING.split, norm), repeat)
        n_regex = len(NAIVE_HEADING.findall(norm))
        print(
            f"{k:>3}× {mb:>6.2f} | {mb / t_norm:>14.2f} {mb / t_cc:>15.2f} {t_norm / t_cc:>5.1f}× | "
            f"{n_sections / t_parse:>12,.0f} {n_sections:>8,} {norm_mb / t_parse:>10.2f} | "
            f"{n_regex:>10,} {norm_mb / t_regex:>10.1f} {t_parse / t_regex:>5.0f}×"
        )
    print()
    print(
        "ratio = time of ours / time of the baseline on the same text (normalize vs one OpenCC pass; "
        "parse vs the one-regex splitter)"
    )


if __name__ == "__main__":
    main()
