"""Revision alignment (新旧对照): article pairing accuracy and time, ours vs the obvious
alternatives, on the hand-made gold pairs in tests/fixtures/revisions (texts from ../shared and
/work/extra-data; pairs whose texts are absent are skipped and said so).

Methods, all in the same run:
- ``ours``: ``revision.revision_table`` (content alignment, splits/merges, order as tie-breaker);
- ``by-number``: old 第X条 paired with new 第X条, the rest 新增/删除;
- ``difflib``: ``difflib.SequenceMatcher`` on the whole texts; each new article is paired with
  the old article it shares most matched characters with (if ≥ 30% of the shorter one),
  groups are the connected pairs.

Accuracy = share of gold pairs (old articles → new articles, incl. 新增/删除) reproduced
exactly, per file (dev and heldout separately; 未成年人保护法's 130 未变 pairs would swamp a
pooled figure). Time = one alignment, median of repeats. Then the 40→71-article 反间谍法 revision
(the issue's 40→70 case) timed end to end (parse + table), against the 0.5 s budget.

    .venv/bin/python bench/bench_revision.py [--short]
"""

from __future__ import annotations

import argparse
import bisect
import difflib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.analysis.revision import revision_table, revision_units  # noqa: E402
from watcher.models import Section  # noqa: E402
from watcher.text.normalize import normalize  # noqa: E402
from watcher.text.structure import parse  # noqa: E402

GOLD = REPO / "tests" / "fixtures" / "revisions"
ROOTS = {
    "dev-data": [REPO.parent / "shared" / "dev-data", Path("/work/shared/dev-data")],
    "extra": [REPO.parent / "extra-data", Path("/work/extra-data")],
}
Groups = list[tuple[frozenset[str], frozenset[str]]]


def _text(ref: str) -> str | None:
    kind, rel = ref.split(":", 1)
    for root in ROOTS[kind]:
        if (root / rel).is_file():
            return (root / rel).read_text(encoding="utf-8")
    return None


def ours(old: Section, new: Section) -> Groups:
    t = revision_table(old, new)
    return [
        (frozenset(u.label for u in r.old), frozenset(u.label for u in r.new))
        for r in t.rows
        if (r.old or r.new)[0].id
    ]


def by_number(old: Section, new: Section) -> Groups:
    a = [u.label for u in revision_units(old)[0]]
    b = [u.label for u in revision_units(new)[0]]
    both = set(a) & set(b)
    out: Groups = [(frozenset([x]), frozenset([x])) for x in a if x in both]
    out += [(frozenset([x]), frozenset()) for x in a if x not in both]
    out += [(frozenset(), frozenset([x])) for x in b if x not in both]
    return out


def _flat(root: Section) -> tuple[str, list[int], list[str]]:
    """Whole text of the articles, start offset of each, and their labels."""
    units = revision_units(root)[0]
    starts, parts, pos = [], [], 0
    for u in units:
        starts.append(pos)
        parts.append(u.text + "\n")
        pos += len(u.text) + 1
    return "".join(parts), starts, [u.label for u in units]


def sequence_matcher(old: Section, new: Section) -> Groups:
    a, a_starts, a_labels = _flat(old)
    b, b_starts, b_labels = _flat(new)
    shared: dict[tuple[int, int], int] = {}
    for blk in difflib.SequenceMatcher(None, a, b).get_matching_blocks():
        for k in range(blk.size):
            i = bisect.bisect_right(a_starts, blk.a + k) - 1
            j = bisect.bisect_right(b_starts, blk.b + k) - 1
            shared[(i, j)] = shared.get((i, j), 0) + 1
    a_len = [e - s for s, e in zip(a_starts, [*a_starts[1:], len(a)], strict=True)]
    b_len = [e - s for s, e in zip(b_starts, [*b_starts[1:], len(b)], strict=True)]
    links = [(i, j) for (i, j), n in shared.items() if n >= 0.3 * min(a_len[i], b_len[j])]
    parent = {("o", i): ("o", i) for i in range(len(a_labels))}
    parent.update({("n", j): ("n", j) for j in range(len(b_labels))})

    def find(x: tuple[str, int]) -> tuple[str, int]:
        while parent[x] != x:
            x = parent[x]
        return x

    for i, j in links:
        parent[find(("o", i))] = find(("n", j))
    comps: dict[tuple[str, int], tuple[set[str], set[str]]] = {}
    for node in parent:
        olds, news = comps.setdefault(find(node), (set(), set()))
        (olds if node[0] == "o" else news).add(
            a_labels[node[1]] if node[0] == "o" else b_labels[node[1]]
        )
    return [(frozenset(o), frozenset(n)) for o, n in comps.values()]


METHODS: dict[str, Callable[[Section, Section], Groups]] = {
    "ours": ours,
    "by-number": by_number,
    "difflib": sequence_matcher,
}


def accuracy(gold: dict, got: Groups) -> float:  # type: ignore[type-arg]
    have = set(got)
    hits = [(frozenset(p["old"]), frozenset(p["new"])) in have for p in gold["pairs"]]
    return sum(hits) / len(hits)


def timed(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="one repeat, difflib on small pairs only")
    args = ap.parse_args()
    repeats = 1 if args.short else 5
    print(f"{'pair':28s} {'split':8s} {'pairs':>5s}  " + "  ".join(f"{m:>20s}" for m in METHODS))
    print(f"{'':28s} {'':8s} {'':>5s}  " + "  ".join(f"{'acc    ms':>20s}" for _ in METHODS))
    found = 0
    for path in sorted(
        GOLD.glob("*.json"), key=lambda p: (json.loads(p.read_text())["split"], p.name)
    ):
        gold = json.loads(path.read_text(encoding="utf-8"))
        texts = [_text(gold[s]) for s in ("old", "new")]
        if None in texts:
            print(f"{path.stem:28s} skipped: texts absent ({gold['old']})")
            continue
        found += 1
        old, new = (parse(normalize(t or "")) for t in texts)
        cells = []
        for name, fn in METHODS.items():
            if args.short and name == "difflib" and len(texts[0] or "") > 15_000:
                cells.append(f"{'—':>20s}")
                continue
            got = fn(old, new)
            ms = timed(lambda fn=fn, o=old, n=new: fn(o, n), 1 if name == "difflib" else repeats)
            ms *= 1000
            cells.append(f"{accuracy(gold, got):>9.3f} {ms:>8.1f}ms")
        print(f"{path.stem:28s} {gold['split']:8s} {len(gold['pairs']):5d}  " + "  ".join(cells))
    ref = (
        _text("dev-data:revisions/fanjiandiefa_2014.txt"),
        _text("dev-data:revisions/fanjiandiefa_2023.txt"),
    )
    if None not in ref:
        a, b = ref
        n_old = len(revision_units(parse(normalize(a or "")))[0])
        n_new = len(revision_units(parse(normalize(b or "")))[0])

        def end_to_end() -> object:
            return revision_table(parse(normalize(a or "")), parse(normalize(b or "")))

        s = timed(end_to_end, 3 if args.short else 20)
        print(
            f"\n40→70 case: 反间谍法 {n_old} → {n_new} articles, normalize+parse+align+classify "
            f"{s * 1000:.1f} ms (budget 500 ms, {s / 0.5 * 100:.0f}% of it)"
        )
    if not found:
        print("no gold texts present: nothing measured (../shared/dev-data is needed)")
        # still print a measured row so --short shows the script works without the data
        tiny = parse("第一条 甲。\n第二条 乙。"), parse("第一条 甲。\n第二条 丙。\n第三条 乙。")
        t = timed(lambda: ours(*tiny), repeats) * 1000
        print(f"{'synthetic 2→3':28s} {'-':8s} {3:5d}  {t:>8.2f}ms {0:>3d} {0:>3d}")


if __name__ == "__main__":
    main()
