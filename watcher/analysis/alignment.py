"""Content alignment of the units of two versions: which old unit(s) became which new unit(s).

In: two sequences of ``RevisionUnit`` (articles, sections, items) in document order. Out: groups
``(old indexes, new indexes)`` covering every unit exactly once, in new order — one to one,
one to many (拆分), many to one (合并), or one-sided (新增 / 删除). ``revision`` classifies them.

Units are paired by their text, never by their number: numbers and positions are evidence, used
to break ties and to accept weak pairs that sit where the surrounding pairs say they should.

1. Identical texts (after folding width, whitespace and dashes) pair first, one to one.
2. Clear pairs: TF-IDF cosine of character 2/3-grams ≥ ``STRONG_SIMILARITY``, best first.
3. Pairs in place: between the pairs already made (the "window" their order leaves), a weaker
   pair is accepted when it is the best for both sides among all free units
   (``WEAK_SIMILARITY``), or the best within the window's gap (``GAP_SIMILARITY``).
4. Moves: outside the window only mutual best pairs ≥ ``MOVE_SIMILARITY``.
5. Splits and merges: a left-over unit whose text is mostly contained in a paired unit of the
   other version (or that sits next to that unit's partner and overlaps it) joins its group:
   one old → several new is 拆分, several old → one new is 合并 (see ``_joins``).

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from watcher.models import RevisionUnit
from watcher.text.keys import match_key
from watcher.text.similarity import (
    document_frequencies,
    ngrams,
    similarity_matrix,
    tfidf_vectors,
)

__all__ = ["align_units"]

# --------------------------------------------------------------------------- constants (data)

#: A pair this similar is the same unit wherever it went.
STRONG_SIMILARITY = 0.5
#: A pair between the neighbours' pairs needs only this, if each side is the other's best.
WEAK_SIMILARITY = 0.1
#: A pair in the window needs this when it is the best only within the window's gap.
GAP_SIMILARITY = 0.15
#: A pair outside the window of its neighbours' pairs (a move) needs this and mutual best.
MOVE_SIMILARITY = 0.3
#: Share of a left-over unit's weighted n-grams found in a paired unit to join its group.
SPLIT_CONTAINMENT = 0.45
#: ... and the next best unit contains at most this share of what the best one does
#: (boilerplate is contained everywhere).
SPLIT_RUNNER_UP = 0.67
#: ... and share at least this many n-grams found in at most ``RARE_DF`` units of the two
#: versions: a provision of its own, not the wording every penalty article repeats.
SPLIT_RARE_GRAMS = 4
RARE_DF = 3
#: A left-over unit next to the partner of a paired unit joins its group when one of the two
#: carries this share of the other (a short article split into two expanded ones).
ADJACENT_CONTAINMENT = 0.4

# --------------------------------------------------------------------------- similarity


@dataclass(frozen=True)
class _Vectors:
    grams: list[Counter[str]]
    weights: list[dict[str, float]]  # L2-normalised tf-idf
    idf: dict[str, float]
    df: Counter[str]
    mass: list[float]  # sum of the idf of each unit's distinct n-grams
    postings: dict[str, list[int]]  # n-gram → the units that have it

    def shared(self, unit: int) -> dict[int, float]:
        """Idf mass of the n-grams ``unit`` shares with every other unit that shares any."""
        out: dict[int, float] = {}
        for g in self.grams[unit]:
            w = self.idf[g]
            for other in self.postings[g]:
                out[other] = out.get(other, 0.0) + w
        return out


def _vectors(texts: Sequence[str]) -> _Vectors:
    grams = [ngrams(t) for t in texts]
    df, idf = document_frequencies(grams)
    postings: dict[str, list[int]] = {}
    for k, c in enumerate(grams):
        for g in c:
            postings.setdefault(g, []).append(k)
    mass = [sum(idf[g] for g in c) for c in grams]
    return _Vectors(grams, tfidf_vectors(texts, counts=grams), idf, df, mass, postings)


def _rare_shared(v: _Vectors, a: int, b: int) -> int:
    """How many n-grams of ``a`` found in ``b`` occur in at most ``RARE_DF`` units."""
    ga, gb = v.grams[a], v.grams[b]
    return sum(1 for g in ga if g in gb and v.df[g] <= RARE_DF)


# --------------------------------------------------------------------------- alignment


@dataclass
class _Pairing:
    n_old: int
    n_new: int
    old_to_new: dict[int, int]
    new_to_old: dict[int, int]

    def pair(self, i: int, j: int) -> None:
        self.old_to_new[i] = j
        self.new_to_old[j] = i

    def old_gap(self, i: int) -> range:
        """The old units between the paired old units around ``i``."""
        lo = next((k for k in range(i - 1, -1, -1) if k in self.old_to_new), -1)
        hi = next((k for k in range(i + 1, self.n_old) if k in self.old_to_new), self.n_old)
        return range(lo + 1, hi)

    def window(self, i: int) -> tuple[int, int]:
        """New positions strictly between which old unit ``i`` belongs, given the pairs made."""
        lo, hi = -1, self.n_new
        for k in range(i - 1, -1, -1):
            if k in self.old_to_new:
                lo = self.old_to_new[k]
                break
        for k in range(i + 1, self.n_old):
            if k in self.old_to_new:
                hi = self.old_to_new[k]
                break
        return lo, hi


def _exact_pass(old_keys: Sequence[str], new_keys: Sequence[str], p: _Pairing) -> None:
    by_key: dict[str, list[int]] = {}
    for j, k in enumerate(new_keys):
        if k:
            by_key.setdefault(k, []).append(j)
    for i, k in enumerate(old_keys):
        free = [j for j in by_key.get(k, ()) if j not in p.new_to_old]
        if free:
            p.pair(i, free[0])  # duplicates pair in order


def _best_first(
    sim: Sequence[Sequence[float]], p: _Pairing, threshold: float, *, mutual: bool, in_window: bool
) -> None:
    """Pair free cells at or above ``threshold``, best first. ``in_window``: only where the
    pairs already made put the old unit, and the best for both sides within that gap;
    ``mutual``: only the best for both sides among all free units."""
    cells = sorted(
        (-s, i, j)
        for i, row in enumerate(sim)
        if i not in p.old_to_new
        for j, s in enumerate(row)
        if s >= threshold and j not in p.new_to_old
    )
    for _, i, j in cells:
        if i in p.old_to_new or j in p.new_to_old:
            continue
        lo, hi = p.window(i)
        if in_window and not lo < j < hi:
            continue
        if mutual and not _best_in_gap(sim, p, i, j, -1, p.n_new, whole=True):
            continue
        if in_window and not mutual and not _best_in_gap(sim, p, i, j, lo, hi):
            continue
        p.pair(i, j)


def _best_in_gap(
    sim: Sequence[Sequence[float]],
    p: _Pairing,
    i: int,
    j: int,
    lo: int,
    hi: int,
    *,
    whole: bool = False,
) -> bool:
    """Is ``sim[i][j]`` the best among the free new units in (lo, hi) for old ``i``, and among
    the free old units of the same gap (all free old units when ``whole``) for new ``j``?"""
    s = sim[i][j]
    if any(sim[i][k] > s for k in range(lo + 1, hi) if k not in p.new_to_old):
        return False
    olds = range(p.n_old) if whole else p.old_gap(i)
    return not any(sim[k][j] > s for k in olds if k not in p.old_to_new)


def align_units(
    old: Sequence[RevisionUnit], new: Sequence[RevisionUnit]
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Groups ``(old indexes, new indexes)`` covering every unit exactly once, in new order."""
    old_keys = [match_key(u.text) for u in old]
    new_keys = [match_key(u.text) for u in new]
    p = _Pairing(len(old), len(new), {}, {})
    _exact_pass(old_keys, new_keys, p)
    v = _vectors([u.text for u in old] + [u.text for u in new])
    sim = similarity_matrix(v.weights[: len(old)], v.weights[len(old) :])
    _best_first(sim, p, STRONG_SIMILARITY, mutual=False, in_window=False)
    _best_first(sim, p, WEAK_SIMILARITY, mutual=True, in_window=True)
    _best_first(sim, p, GAP_SIMILARITY, mutual=False, in_window=True)
    _best_first(sim, p, MOVE_SIMILARITY, mutual=True, in_window=False)
    return _groups(p, v)


def _overlap(v: _Vectors, shared: dict[int, float], part: int, other: int) -> float:
    """The larger of the two containments (either unit carries most of the other), from the
    shared mass ``shared = v.shared(part)``."""
    smaller = min(v.mass[part], v.mass[other])
    return shared.get(other, 0.0) / smaller if smaller else 0.0


def _joins(v: _Vectors, p: _Pairing, *, new_side: bool) -> dict[int, list[int]]:
    """Left-over units that belong to a paired unit's group: {paired index: [left-over]}.

    A left-over new unit (``new_side``; old for merges) joins an old unit already paired when

    - that old unit contains at least ``SPLIT_CONTAINMENT`` of its text, clearly more than any
      other (``SPLIT_RUNNER_UP``: boilerplate like 「构成犯罪的，依法追究刑事责任」 is contained
      in many and joins none), or
    - its neighbour is that old unit's partner (a split keeps its pieces together) and one of
      the two carries at least ``ADJACENT_CONTAINMENT`` of the other, more than any other unit;

    and in both cases they share ``SPLIT_RARE_GRAMS`` n-grams rare in the two versions."""
    n_old = p.n_old
    partner = p.new_to_old if new_side else p.old_to_new  # left-over side → other side
    wholes = range(n_old) if new_side else range(n_old, n_old + p.n_new)
    side = _Side(v, partner, wholes, n_old, new_side)
    joins: dict[int, list[int]] = {}
    for k in range(p.n_new if new_side else n_old):
        if k in partner:
            continue
        part = n_old + k if new_side else k
        shared = v.shared(part)
        whole = _contained_in(side, shared, part)
        if whole is None:
            whole = _next_to_partner(side, shared, part, k)
        if whole is not None and _rare_shared(v, part, whole) >= SPLIT_RARE_GRAMS:
            joins.setdefault(whole if new_side else whole - n_old, []).append(k)
    return joins


@dataclass(frozen=True)
class _Side:
    """The side left-over units are looked up from: its units' partners and the other side."""

    v: _Vectors
    partner: dict[int, int]  # left-over side index → partner index on the other side
    wholes: range  # vector indexes of the other side's units
    n_old: int
    new_side: bool  # the left-over units are new ones (a split); else old ones (a merge)


def _contained_in(side: _Side, shared: dict[int, float], part: int) -> int | None:
    if not side.v.mass[part] or not side.wholes:
        return None
    scored = sorted(
        ((shared.get(w, 0.0) / side.v.mass[part], w) for w in side.wholes), reverse=True
    )
    best, w = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    paired = set(side.partner.values())
    index = w if side.new_side else w - side.n_old
    if best >= SPLIT_CONTAINMENT and second <= best * SPLIT_RUNNER_UP and index in paired:
        return w
    return None


def _next_to_partner(side: _Side, shared: dict[int, float], part: int, k: int) -> int | None:
    for neighbour in (k - 1, k + 1):
        if neighbour not in side.partner:
            continue
        whole = side.partner[neighbour]
        if not side.new_side:
            whole += side.n_old
        share = _overlap(side.v, shared, part, whole)
        if share >= ADJACENT_CONTAINMENT and all(
            _overlap(side.v, shared, part, x) < share for x in side.wholes if x != whole
        ):
            return whole
    return None


def _groups(p: _Pairing, v: _Vectors) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    extra_new = _joins(v, p, new_side=True)  # old i -> more new units (split)
    extra_old = _joins(v, p, new_side=False)  # new j -> more old units (merge)
    groups: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    placed_new = {k for pieces in extra_new.values() for k in pieces}  # placed with their pair
    placed_old: set[int] = set()
    for j in range(p.n_new):
        if j in placed_new:
            continue
        i = p.new_to_old.get(j)
        if i is None:
            groups.append(((), (j,)))
            continue
        news = tuple(sorted({j, *extra_new.get(i, [])}))
        olds = tuple(sorted({i, *extra_old.get(j, [])} - placed_old))
        placed_new.update(news)
        placed_old.update(olds)
        groups.append((olds, news))
    for i in range(p.n_old):
        if i not in placed_old:
            groups.append(((i,), ()))
    return _order(groups)


def _order(
    groups: list[tuple[tuple[int, ...], tuple[int, ...]]],
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """New order; a deletion follows the group of the nearest old unit before it."""
    out = [g for g in groups if g[1]]
    for g in (g for g in groups if not g[1]):
        i = g[0][0]
        at = 0
        best = -1
        for k, (olds, _) in enumerate(out):
            before = [o for o in olds if o < i]
            if before and max(before) > best:
                best, at = max(before), k + 1
        out.insert(at, g)
    return out
