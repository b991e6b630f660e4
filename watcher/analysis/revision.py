"""Revision alignment (新旧对照): which old unit became which new unit, and how.

In: the section trees of two versions of one document (``structure.parse`` output). Out: a
``RevisionTable`` — one row per old/new group of units (articles 第X条 in a statute, sections and
items in a plan) with its kind (未变 / 仅编号变化 / 仅格式变化 / 修改 / 移动 / 拆分 / 合并 / 新增 /
删除), the character diff inside the pair and the quantities that changed (80% → 90%), plus one
row per chapter (未变 / 仅编号变化 / 仅格式变化 / 章名修改 / 新增章 / 删除章).

Units are paired by their text, never by their number (``alignment.align_units``: identical
texts, clear pairs, weak pairs where the order of the pairs around them puts them, moves,
splits and merges); numbers and positions are evidence, used to break ties.

Chapters (第X章; 编 and 节 too) are containers: paired by heading, then by where most of their
articles went; an article whose chapter's counterpart is not its new chapter is 移动.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from watcher.analysis.alignment import align_units
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
from watcher.text.similarity import char_diff, has_edits

__all__ = [
    "quantity_changes",
    "revision_table",
    "revision_units",
    "table_changes",
]

# --------------------------------------------------------------------------- constants (data)

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
