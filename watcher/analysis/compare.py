"""Section-by-section comparison of a plan with the plan it implements or replaces.

In: the section trees of the old document (e.g. the national 纲要) and the new one (e.g. a
municipal 规划). Out: a ``Comparison``: each new section at the level that carries tasks (（N）,
falling back to 一、 where a chapter has no sub-sections) paired with the old section(s) it
carries and classified 延续 (same), 调整 (changed, with a character diff of its best-aligned
sentences) or 新增 (new); each old section carried or 未体现 (dropped); quantitative targets side
by side; and a summary of counts and shares. Pairing uses TF-IDF over character 2–3-grams
(``similarity``); diff-match-patch runs only on aligned sentence pairs, never on whole documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from watcher.analysis.targets import extract_targets, pair_targets
from watcher.errors import CompareError
from watcher.models import (
    Comparison,
    DroppedSection,
    InlineOp,
    Section,
    SectionMatch,
    TargetPair,
)
from watcher.text.keys import word_key
from watcher.text.sentences import split_sentences
from watcher.text.similarity import (
    char_diff,
    similarity_matrix,
    tfidf_vectors,
)

__all__ = ["compare", "comparison_units"]

# --------------------------------------------------------------------------- constants (data)
# Calibrated on the seed plans (national 纲要 vs the Chongqing 规划): sections that implement a
# national task score 0.12–0.7, purely local ones (a local brand, a district reform, regional
# cooperation) stay at or below 0.10, a section copied with light edits scores above 0.8.
# The score of a pair is max(body, (body + heading) / 2): headings are short and rephrased, so
# they only lift pairs whose bodies already share vocabulary or whose headings say the same thing.

#: Section similarity at or above which a new section carries an old one. Two plans on one narrow
#: topic (a district 方案 against the municipal one) share vocabulary everywhere, so n-gram IDF
#: is flat and every score is lower: the bar is RELATIVE × the median of the sections' best
#: scores, clamped to [PAIR_FLOOR, PAIR_MIN] (measured: the national/Chongqing plans' median best
#: is 0.25 → bar 0.12; 渝中区 方案 vs the municipal 协同育人 方案: median 0.09 → bar 0.08).
PAIR_MIN = 0.12
PAIR_FLOOR = 0.08
PAIR_RELATIVE = 0.5
#: Further old sections join a new one (many-to-one) when they score this share of the best.
EXTRA_OLD_RATIO = 0.8
#: ... and at least this much on their own.
EXTRA_OLD_MIN = 0.2
#: Nearly verbatim: 延续 rather than 调整.
SAME_MIN = 0.8
#: Sentence similarity for two sentences to be diffed against each other.
SENTENCE_MIN = 0.3
#: A chapter's own introductory text becomes a unit of its own only when it is this long.
INTRO_MIN_CHARS = 80
#: Pairing is quadratic. A national plan has ~50 comparison units and its sections a few dozen
#: sentences; past these bounds the input is not a plan (or is many plans glued together, which
#: should be split first), and a clear refusal beats minutes of work.
MAX_UNIT_PAIRS = 1_000_000
MAX_SENTENCE_PAIRS = 250_000


@dataclass(frozen=True)
class _Unit:
    id: str
    heading: str
    text: str


def comparison_units(root: Section) -> list[Section]:
    """The sections a comparison works on: level-2 sections, or a level-1 section itself when it
    has no children; a chapter's long introduction is a unit of its own."""
    units: list[Section] = []
    for top in root.children:
        if not top.children:
            units.append(top)
            continue
        if len(word_key(top.body)) >= INTRO_MIN_CHARS:
            units.append(Section(top.id, top.level, top.number, top.heading, top.body))
        units.extend(top.children)
    return units


def _unit(s: Section) -> _Unit:
    return _Unit(s.id, s.heading, s.full_text)


def _sentence_diff(old_texts: Sequence[str], new_text: str) -> tuple[InlineOp, ...]:
    """Diff of each new sentence against its most similar old sentence (among the paired old
    sections); a new sentence with no counterpart is one insertion."""
    new_sents = split_sentences(new_text)
    old_sents = [s for t in old_texts for s in split_sentences(t)]
    if not new_sents:
        return ()
    if not old_sents:
        return (InlineOp("insert", "".join(new_sents)),)
    if len(new_sents) * len(old_sents) > MAX_SENTENCE_PAIRS:
        # Too many sentences to pair (not a plan's section): keep the section's classification
        # and show its text without an inline diff rather than running for minutes.
        return (InlineOp("equal", "".join(new_sents)),)
    vecs = tfidf_vectors(new_sents + old_sents)
    matrix = similarity_matrix(vecs[: len(new_sents)], vecs[len(new_sents) :])
    ops: list[InlineOp] = []
    for k, sent in enumerate(new_sents):
        row = matrix[k]
        best = max(range(len(row)), key=row.__getitem__)
        if row[best] >= SENTENCE_MIN:
            ops.extend(char_diff(old_sents[best], sent))
        else:
            ops.append(InlineOp("insert", sent))
    return _merge(ops)


def _merge(ops: Sequence[InlineOp]) -> tuple[InlineOp, ...]:
    out: list[InlineOp] = []
    for op in ops:
        if out and out[-1].op == op.op:
            out[-1] = InlineOp(op.op, out[-1].text + op.text)
        else:
            out.append(op)
    return tuple(out)


def _score_matrix(old_units: Sequence[_Unit], new_units: Sequence[_Unit]) -> list[list[float]]:
    n = len(new_units)
    body = tfidf_vectors([u.text for u in new_units] + [u.text for u in old_units])
    head = tfidf_vectors([u.heading for u in new_units] + [u.heading for u in old_units])
    b = similarity_matrix(body[:n], body[n:])
    h = similarity_matrix(head[:n], head[n:])
    return [
        [max(x, (x + y) / 2) for x, y in zip(br, hr, strict=True)]
        for br, hr in zip(b, h, strict=True)
    ]


def compare(old: Section, new: Section, *, old_title: str = "", new_title: str = "") -> Comparison:
    """Compare two plans section by section (see the module docstring)."""
    old_units = [_unit(s) for s in comparison_units(old)]
    new_units = [_unit(s) for s in comparison_units(new)]
    if not any(word_key(u.text) for u in new_units) and not word_key(new.full_text):
        raise CompareError("新文件没有可比较的正文；请确认文件内容已正确提取。")
    if not any(word_key(u.text) for u in old_units) and not word_key(old.full_text):
        raise CompareError("旧文件（上位文件）没有可比较的正文；请确认文件内容已正确提取。")
    # A document without any section heading is compared as one unit (its whole text).
    if not old_units:
        old_units = [_Unit("", old.heading, old.full_text)]
    if not new_units:
        new_units = [_Unit("", new.heading, new.full_text)]
    if len(old_units) * len(new_units) > MAX_UNIT_PAIRS:
        raise CompareError(
            f"两个文件的章节太多（{len(old_units)} × {len(new_units)}），无法逐节对照。"
            "如果这是多份文件的汇编，请先用 watcher import 拆分后再比较。"
        )

    matrix = _score_matrix(old_units, new_units)

    bests = sorted(max(row) for row in matrix if row)
    median_best = bests[len(bests) // 2] if bests else 0.0
    bar = min(PAIR_MIN, max(PAIR_FLOOR, PAIR_RELATIVE * median_best))

    matches: list[SectionMatch] = []
    carried: set[int] = set()
    for j, unit in enumerate(new_units):
        row = matrix[j]
        best = max(range(len(row)), key=row.__getitem__) if row else -1
        score = row[best] if best >= 0 else 0.0
        if score < bar:
            matches.append(SectionMatch(unit.id, unit.heading, (), (), "new", round(score, 3)))
            continue
        olds = [best] + [
            i
            for i in sorted(range(len(row)), key=lambda i: -row[i])
            if i != best and row[i] >= max(EXTRA_OLD_MIN, score * EXTRA_OLD_RATIO)
        ]
        carried.update(olds)
        status: Literal["same", "changed"] = "same" if score >= SAME_MIN else "changed"
        diff = _sentence_diff([old_units[i].text for i in olds], unit.text)
        matches.append(
            SectionMatch(
                unit.id,
                unit.heading,
                tuple(old_units[i].id for i in olds),
                tuple(old_units[i].heading for i in olds),
                status,
                round(score, 3),
                diff,
            )
        )
    for i in range(len(old_units)):
        if i not in carried and any(matrix[j][i] >= bar for j in range(len(new_units))):
            carried.add(i)
    dropped = tuple(
        DroppedSection(u.id, u.heading) for i, u in enumerate(old_units) if i not in carried
    )
    targets = tuple(pair_targets(extract_targets(old, "old"), extract_targets(new, "new")))
    summary = _summary(matches, len(old_units), len(carried), targets)
    return Comparison(old_title, new_title, tuple(matches), dropped, targets, summary)


def _summary(
    matches: Sequence[SectionMatch], old_total: int, carried: int, targets: Sequence[TargetPair]
) -> dict[str, float | int]:
    counts = {s: sum(1 for m in matches if m.status == s) for s in ("same", "changed", "new")}
    total = len(matches)
    return {
        "new_sections": total,
        "same": counts["same"],
        "changed": counts["changed"],
        "new": counts["new"],
        "new_share": round(counts["new"] / total, 3) if total else 0.0,
        "old_sections": old_total,
        "carried": carried,
        "dropped": old_total - carried,
        "carried_share": round(carried / old_total, 3) if old_total else 0.0,
        "targets_old": sum(1 for p in targets if p.old is not None),
        "targets_new": sum(1 for p in targets if p.new is not None),
        "targets_paired": sum(1 for p in targets if p.old is not None and p.new is not None),
    }
