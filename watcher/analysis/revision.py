"""Revision alignment (新旧对照): which old unit became which new unit, and how.

In: the section trees of two versions of one document (``structure.parse`` output). Out: a
``RevisionTable`` — one row per old/new group of units (articles 第X条 in a statute, sections and
items in a plan) with its kind (未变 / 仅编号变化 / 仅格式变化 / 修改 / 移动 / 拆分 / 合并 / 新增 /
删除), the character diff inside the pair and the quantities that changed (80% → 90%), plus one
row per chapter (未变 / 仅编号变化 / 仅格式变化 / 章名修改 / 新增章 / 删除章).

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

Chapters (第X章; 编 and 节 too) are containers: paired by heading, then by where most of their
articles went; an article whose chapter's counterpart is not its new chapter is 移动.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from watcher.analysis.diff import substantive_text
from watcher.models import (
    ChapterChange,
    InlineOp,
    QuantityChange,
    RevisionKind,
    RevisionRow,
    RevisionTable,
    RevisionUnit,
    Section,
    SectionChange,
)
from watcher.text.keys import match_key, word_key
from watcher.text.similarity import char_diff, has_edits, ngrams

__all__ = [
    "align_units",
    "quantity_changes",
    "revision_table",
    "revision_units",
    "table_changes",
]

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
#: Markers of container sections (编 / 章 / 节): their heading is a chapter row, not a unit.
CONTAINER_NUMBER = re.compile(r"^第.+[编章节]$")
ARTICLE_NUMBER = re.compile(r"^第.+条(?:之.+)?$")
#: A quantity: a date, or a number (Arabic or Chinese) with its unit (%, 天, 日, 年, 元, 人 …).
QUANTITY_RE = re.compile(
    r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?"
    r"|\d+(?:\.\d+)?\s*(?:%|％|‰|个工作日|个月|日|天|年|月|周|小时|万元|亿元|元|万人|人|名|所|个|项|倍|次|岁|学时|课时|公里|平方米)"
    r"|[一二三四五六七八九十百千万两]+(?:个工作日|个月|日|天|年|周|小时|万元|亿元|元|倍|岁|学时)"
    r"(?:以上|以下|以内)?"
)

#: What is left of a quantity without its digits: two quantities compare only with the same unit.
_UNIT = re.compile(r"[\d.\s一二三四五六七八九十百千两]+")

# --------------------------------------------------------------------------- units


def _container_id(sec: Section, parents: Sequence[Section]) -> str:
    for p in reversed(parents):
        if CONTAINER_NUMBER.match(p.number):
            return p.id
    return ""


def revision_units(root: Section) -> tuple[list[RevisionUnit], list[Section]]:
    """The units of a document (every section below the root that is not a chapter-like
    container) and its containers, in document order. The preamble is not a unit."""
    units: list[RevisionUnit] = []
    containers: list[Section] = []

    def visit(sec: Section, parents: list[Section]) -> None:
        if CONTAINER_NUMBER.match(sec.number):
            containers.append(sec)
        else:
            own = "\n".join(p for p in (sec.heading, sec.body) if p)
            text = substantive_text(own).strip()
            label = sec.number if ARTICLE_NUMBER.match(sec.number) else sec.id
            units.append(
                RevisionUnit(sec.id, label, _container_id(sec, parents), text, sec.heading)
            )
        for child in sec.children:
            visit(child, [*parents, sec])

    for child in root.children:
        visit(child, [])
    return units, containers


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
    df: Counter[str] = Counter()
    for c in grams:
        df.update(c.keys())
    n = len(texts)
    idf = {g: math.log((n + 1) / (d + 1)) + 1.0 for g, d in df.items()}
    weights = []
    for c in grams:
        vec = {g: (1.0 + math.log(k)) * idf[g] for g, k in c.items()}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        weights.append({g: w / norm for g, w in vec.items()} if norm else {})
    postings: dict[str, list[int]] = {}
    for k, c in enumerate(grams):
        for g in c:
            postings.setdefault(g, []).append(k)
    mass = [sum(idf[g] for g in c) for c in grams]
    return _Vectors(grams, weights, idf, df, mass, postings)


def _cosines(v: _Vectors, n_old: int) -> list[list[float]]:
    """``m[i][j]`` = cosine of old unit i and new unit j (through an inverted index)."""
    postings: dict[str, list[tuple[int, float]]] = {}
    for j, vec in enumerate(v.weights[n_old:]):
        for g, w in vec.items():
            postings.setdefault(g, []).append((j, w))
    n_new = len(v.weights) - n_old
    matrix = []
    for vec in v.weights[:n_old]:
        row = [0.0] * n_new
        for g, w in vec.items():
            for j, w2 in postings.get(g, ()):
                row[j] += w * w2
        matrix.append(row)
    return matrix


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
    sim = _cosines(v, len(old))
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
    joins: dict[int, list[int]] = {}
    for k in range(p.n_new if new_side else n_old):
        if k in partner:
            continue
        part = n_old + k if new_side else k
        shared = v.shared(part)
        whole = _contained_in(v, shared, part, wholes, partner, n_old, new_side)
        if whole is None:
            whole = _next_to_partner(v, shared, part, k, wholes, partner, n_old, new_side)
        if whole is not None and _rare_shared(v, part, whole) >= SPLIT_RARE_GRAMS:
            joins.setdefault(whole if new_side else whole - n_old, []).append(k)
    return joins


def _contained_in(
    v: _Vectors,
    shared: dict[int, float],
    part: int,
    wholes: range,
    partner: dict[int, int],
    n_old: int,
    new_side: bool,
) -> int | None:
    if not v.mass[part] or not wholes:
        return None
    scored = sorted(((shared.get(w, 0.0) / v.mass[part], w) for w in wholes), reverse=True)
    best, w = scored[0]
    second = scored[1][0] if len(scored) > 1 else 0.0
    paired = set(partner.values())
    index = w if new_side else w - n_old
    if best >= SPLIT_CONTAINMENT and second <= best * SPLIT_RUNNER_UP and index in paired:
        return w
    return None


def _next_to_partner(
    v: _Vectors,
    shared: dict[int, float],
    part: int,
    k: int,
    wholes: range,
    partner: dict[int, int],
    n_old: int,
    new_side: bool,
) -> int | None:
    for neighbour in (k - 1, k + 1):
        if neighbour not in partner:
            continue
        whole = partner[neighbour] if new_side else n_old + partner[neighbour]
        share = _overlap(v, shared, part, whole)
        if share >= ADJACENT_CONTAINMENT and all(
            _overlap(v, shared, part, x) < share for x in wholes if x != whole
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


# --------------------------------------------------------------------------- chapters


def _chapter_pairs(
    old: Sequence[Section], new: Sequence[Section], flow: Counter[tuple[str, str]]
) -> dict[str, str]:
    """Old chapter id → new chapter id: same heading first, then where most articles went."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    new_by_heading: dict[str, list[str]] = {}
    for c in new:
        new_by_heading.setdefault(word_key(c.heading), []).append(c.id)
    for c in old:
        free = [d for d in new_by_heading.get(word_key(c.heading), []) if d not in taken]
        if word_key(c.heading) and free:
            out[c.id] = free[0]
            taken.add(free[0])
    old_at = {c.id: k for k, c in enumerate(old)}
    new_at = {c.id: k for k, c in enumerate(new)}
    ranked = sorted(
        (
            (-n, old_at[a], new_at[b], a, b)
            for (a, b), n in flow.items()
            if a in old_at and b in new_at
        ),
    )
    for *_, a, b in ranked:
        if a not in out and b not in taken:
            out[a] = b
            taken.add(b)
    return out


def _chapter_kind(old: Section, new: Section) -> str:
    if old.heading == new.heading:
        return "未变" if old.number == new.number else "仅编号变化"
    if match_key(old.heading) == match_key(new.heading):
        return "仅格式变化"
    return "章名修改"


def _chapters(
    old: Sequence[Section], new: Sequence[Section], pairs: dict[str, str]
) -> tuple[ChapterChange, ...]:
    by_new = {d: c for c, d in pairs.items()}
    old_by_id = {c.id: c for c in old}
    rows: list[ChapterChange] = []
    for d in new:
        c = old_by_id.get(by_new.get(d.id, ""))
        if c is None:
            rows.append(ChapterChange("新增章", None, None, d.id, d.heading))
        else:
            rows.append(ChapterChange(_chapter_kind(c, d), c.id, c.heading, d.id, d.heading))
    for c in old:
        if c.id not in pairs:
            rows.append(ChapterChange("删除章", c.id, c.heading, None, None))
    return tuple(rows)


# --------------------------------------------------------------------------- quantities


def _hunks(ops: Sequence[InlineOp]) -> list[tuple[int, int, int, int]]:
    """(old start, old end, new start, new end) of every run of edits between equal runs."""
    out: list[tuple[int, int, int, int]] = []
    o = n = 0
    start: tuple[int, int] | None = None
    for op in ops:
        if op.op == "equal":
            if start is not None:
                out.append((start[0], o, start[1], n))
                start = None
            o += len(op.text)
            n += len(op.text)
            continue
        if start is None:
            start = (o, n)
        if op.op == "delete":
            o += len(op.text)
        else:
            n += len(op.text)
    if start is not None:
        out.append((start[0], o, start[1], n))
    return out


def _touching(text: str, lo: int, hi: int) -> list[str]:
    return [
        m.group().replace(" ", "")
        for m in QUANTITY_RE.finditer(text)
        if m.start() < max(hi, lo + 1) and m.end() > lo
    ]


def quantity_changes(ops: Sequence[InlineOp]) -> tuple[QuantityChange, ...]:
    """Numbers with units that an edit changed, old and new side by side (80% → 90%,
    2天 → 4天, 2024年1月1日 → 2025年1月1日)."""
    old = "".join(o.text for o in ops if o.op != "insert")
    new = "".join(o.text for o in ops if o.op != "delete")
    out: list[QuantityChange] = []
    for o_lo, o_hi, n_lo, n_hi in _hunks(ops):
        if o_lo == o_hi or n_lo == n_hi:
            continue  # a pure insertion or deletion adds or drops a clause, not a number
        olds, news = _touching(old, o_lo, o_hi), _touching(new, n_lo, n_hi)
        for a, b in zip(olds, news, strict=False):
            if a != b and _UNIT.sub("", a) == _UNIT.sub("", b):
                out.append(QuantityChange(a, b))
    return tuple(dict.fromkeys(out))


# --------------------------------------------------------------------------- the table


def _unit_kind(old: RevisionUnit, new: RevisionUnit) -> RevisionKind:
    if old.text == new.text:
        return "未变" if old.label == new.label else "仅编号变化"
    if match_key(old.text) == match_key(new.text):
        return "仅格式变化"
    return "修改"


def _row(olds: Sequence[RevisionUnit], news: Sequence[RevisionUnit], moved: bool) -> RevisionRow:
    old_text = "\n".join(u.text for u in olds)
    new_text = "\n".join(u.text for u in news)
    if not news:
        return RevisionRow("删除", tuple(olds), (), (InlineOp("delete", old_text),), edited=True)
    if not olds:
        return RevisionRow("新增", (), tuple(news), (InlineOp("insert", new_text),), edited=True)
    ops = char_diff(old_text, new_text)
    edited = match_key(old_text) != match_key(new_text)
    kind: RevisionKind
    if len(olds) > 1:
        kind = "合并"
    elif len(news) > 1:
        kind = "拆分"
    elif moved:
        kind = "移动"
    else:
        kind = _unit_kind(olds[0], news[0])
    return RevisionRow(kind, tuple(olds), tuple(news), ops, quantity_changes(ops), edited)


def _preamble_row(old: Section, new: Section) -> RevisionRow | None:
    old_text, new_text = substantive_text(old.body).strip(), substantive_text(new.body).strip()
    if not old_text and not new_text:
        return None
    olds = (RevisionUnit("", "", "", old_text),) if old_text else ()
    news = (RevisionUnit("", "", "", new_text),) if new_text else ()
    return _row(olds, news, moved=False)


def revision_table(
    old: Section, new: Section, *, old_title: str = "", new_title: str = ""
) -> RevisionTable:
    """The 新旧对照表 of two versions of one document (section trees from ``structure.parse``)."""
    old_units, old_chapters = revision_units(old)
    new_units, new_chapters = revision_units(new)
    groups = align_units(old_units, new_units)
    flow: Counter[tuple[str, str]] = Counter()
    for olds, news in groups:
        for i in olds:
            for j in news:
                flow[(old_units[i].chapter, new_units[j].chapter)] += 1
    pairs = _chapter_pairs(old_chapters, new_chapters, flow)
    rows: list[RevisionRow] = []
    preamble = _preamble_row(old, new)
    if preamble is not None:
        rows.append(preamble)
    for olds, news in groups:
        moved = bool(old_chapters) and any(
            pairs.get(old_units[i].chapter) != new_units[j].chapter for i in olds for j in news
        )
        rows.append(_row([old_units[i] for i in olds], [new_units[j] for j in news], moved))
    articles = any(ARTICLE_NUMBER.match(u.label) for u in (*old_units, *new_units))
    return RevisionTable(
        old_title=old_title or old.heading,
        new_title=new_title or new.heading,
        unit_noun="条" if articles else "节",
        rows=tuple(rows),
        chapters=_chapters(old_chapters, new_chapters, pairs),
    )


# --------------------------------------------------------------------------- stored changes

#: Row kinds that are a change of the document (renumbering and reformatting are not).
CHANGE_KINDS: dict[str, Literal["added", "removed", "changed"]] = {
    "新增": "added",
    "删除": "removed",
    "修改": "changed",
    "移动": "changed",
    "拆分": "changed",
    "合并": "changed",
    "新增章": "added",
    "删除章": "removed",
    "章名修改": "changed",
}


def table_changes(table: RevisionTable) -> tuple[SectionChange, ...]:
    """The rows and chapters that changed what the document says, as the ``SectionChange``s the
    store keeps and alerts read (未变, 仅编号变化, 仅格式变化 are left out)."""
    out: list[SectionChange] = []
    for c in table.chapters:
        kind = CHANGE_KINDS.get(c.kind)
        if kind is not None:
            ops = char_diff(c.old_heading or "", c.new_heading or "")
            out.append(
                SectionChange(
                    kind, c.old_id, c.new_id, c.new_heading or c.old_heading or "", ops, c.kind
                )
            )
    for r in table.rows:
        kind = CHANGE_KINDS.get(r.kind)
        if kind is None or (kind == "changed" and r.kind != "移动" and not has_edits(r.ops)):
            continue
        out.append(
            SectionChange(
                kind,
                r.old[0].id if r.old else None,
                r.new[0].id if r.new else None,
                (r.new or r.old)[0].heading,
                r.ops,
                r.kind,
                tuple(u.id for u in r.old),
                tuple(u.id for u in r.new),
            )
        )
    return tuple(out)
