"""Benchmark: research-direction ranking against the editors' own choices, and its cost.

Input: the internal bulletin (seed 000: its four documents are the period, its 本期推荐研究方向 the
answer) with the 19 documents of seed 001 as history, read from ``../shared`` at run time and
never copied into the repository. Without ``../shared`` the in-repo demo texts stand in (the
Chongqing 规划 as the period, the national 纲要 as history) and only speed is measured.

For each editors' choice it prints the rank (1 = first) that

  - ``watcher.analysis.directions.rank_directions`` gives it, and
  - the obvious alternatives give it: ``jieba.analyse.extract_tags`` (TF-IDF with jieba's IDF
    table) and ``jieba.analyse.textrank`` over the period's text, both with the project's policy
    vocabulary loaded and its aliases applied (AI → 人工智能), so they see the same words;

then how stable our ranks are when the history or the order of the documents changes (a
ranking that only works on one exact input is tuned, not general), and the time per ranking.

    python bench/bench_directions.py [--short]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.bulletin import EDITORS_CHOICES, bulletin_items, history_documents  # noqa: E402
from watcher.analysis.directions import DirectionInput, rank_directions  # noqa: E402
from watcher.text import terms as T  # noqa: E402
from watcher.text.structure import parse  # noqa: E402

SEEDS = REPO.parent / "shared" / "seeds"
DEMO = REPO / "tests" / "fixtures" / "text"
MISSING = 999


def _seed(prefix: str) -> Path | None:
    found = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    return found[0] if found else None


def _rank(names: Sequence[str], term: str) -> int:
    """Where a result first names the term (a direction, its terms, or a keyword holding it)."""
    return next((i for i, n in enumerate(names, 1) if term in n), MISSING)


def ours(items: Sequence[DirectionInput], history: Sequence[str]) -> list[str]:
    found = rank_directions(items, history, limit=200)
    return [" ".join((d.direction, *d.terms)) for d in found]


def _jieba_keywords(method: str) -> Callable[[Sequence[DirectionInput], Sequence[str]], list[str]]:
    def run(items: Sequence[DirectionInput], history: Sequence[str]) -> list[str]:
        import jieba.analyse

        extractor = jieba.analyse.TFIDF() if method == "tfidf" else jieba.analyse.TextRank()
        extractor.tokenizer = T._tokenizer()
        if method == "textrank":
            import jieba.posseg

            extractor.tokenizer = extractor.postokenizer = jieba.posseg.POSTokenizer(T._tokenizer())
        text = T.matching_copy(
            "\n".join("\n".join((item.title, *(s.text for s in item.sections))) for item in items)
        )
        if method == "textrank":
            # the vocabulary's words carry no part of speech (tag x): allow them, or TextRank
            # would never return a policy term
            words: list[str] = extractor.extract_tags(
                text, topK=2000, allowPOS=("ns", "n", "vn", "v", "x")
            )
        else:
            words = extractor.extract_tags(text, topK=2000)
        return words

    return run


METHODS: dict[str, Callable[[Sequence[DirectionInput], Sequence[str]], list[str]]] = {
    "watcher": ours,
    "jieba TF-IDF": _jieba_keywords("tfidf"),
    "jieba TextRank": _jieba_keywords("textrank"),
}


def _ranks(names: Sequence[str]) -> list[int]:
    return [_rank(names, term) for _, term in EDITORS_CHOICES]


def _fmt(ranks: Sequence[int]) -> str:
    return "  ".join(f"{r if r != MISSING else '—':>8}" for r in ranks)


def _timed(fn: Callable[[], list[str]], repeat: int) -> tuple[list[str], float]:
    times = []
    out: list[str] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def editors(short: bool) -> None:
    bulletin, compilation = _seed("000"), _seed("001")
    assert bulletin and compilation
    items = bulletin_items(bulletin.read_text(encoding="utf-8"))
    history = history_documents(compilation.read_text(encoding="utf-8"))
    heads = "  ".join(f"{name[:6]:>8}" for name, _ in EDITORS_CHOICES)
    print(f"Seed 000: {len(items)} documents, history {len(history)} documents of seed 001")
    print(f"{'method':<16}{heads}  {'mean':>6}  {'s/run':>7}")
    repeat = 1 if short else 3
    for name, method in METHODS.items():
        names, secs = _timed(lambda m=method: m(items, history), repeat)  # type: ignore[misc]
        ranks = _ranks(names)
        mean = f"{statistics.mean(ranks):.1f}" if MISSING not in ranks else "—"
        print(f"{name:<16}{_fmt(ranks)}  {mean:>6}  {secs:>7.2f}")
    if short:
        return
    print("\nStability of our ranks (same four documents):")
    print(f"{'history / input':<28}{heads}")
    variants: list[tuple[str, Sequence[DirectionInput], Sequence[str]]] = [
        ("all 19 documents", items, history),
        ("every other document", items, history[::2]),
        ("the other half", items, history[1::2]),
        ("first 10 documents", items, history[:10]),
        ("no history", items, []),
        ("documents reversed", items[::-1], history),
    ]
    for label, its, hist in variants:
        print(f"{label:<28}{_fmt(_ranks(ours(its, hist)))}")


def demo_only(short: bool) -> None:
    plan = (DEMO / "cq_guihua.txt").read_text(encoding="utf-8")
    national = (DEMO / "national_gangyao.txt").read_text(encoding="utf-8")
    item = DirectionInput.from_tree(
        parse(plan, "重庆规划"), title="重庆规划", level="municipal", source_id="cq"
    )
    print("../shared is absent: ranking the in-repo 规划 against the 纲要 (speed only)")
    print(f"{'method':<16}{'directions':>11}  {'s/run':>7}  {'chars':>8}")
    for name, method in METHODS.items():
        names, secs = _timed(lambda m=method: m([item], [national]), 1 if short else 3)  # type: ignore[misc]
        print(f"{name:<16}{len(names):>11}  {secs:>7.2f}  {len(plan):>8}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--short", action="store_true", help="one run per method, no stability table")
    args = ap.parse_args()
    if _seed("000") and _seed("001"):
        editors(args.short)
    else:
        demo_only(args.short)


if __name__ == "__main__":
    main()
