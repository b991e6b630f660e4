"""Candidates for research directions: the period's documents as the ranking sees them, every
sentence with where it sits (title, heading, lead, enumeration), and the terms found in them.

``collect`` finds phrases on word boundaries (``watcher.terms``), keeps vocabulary terms and
compounds that recur, then counts each kept term by substring in every sentence (jieba may bury
it inside a longer word) and records 「term + mechanism word」 extensions. ``HistoryStats`` holds
the earlier corpus for novelty and relevance. Pure; used by ``watcher.directions``.

Word boundaries are the one costly input (jieba). ``segmentation`` makes them for one document
and ``collect`` takes them ready-made, so a store can keep each version's ``Segmentation`` and a
second ranking of the same week segments nothing. A segmentation made by another analyser (the
vocabulary changed) or that no longer fits the sentences is ignored and made again.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Literal

import ahocorasick

from watcher.models import LEVEL_WEIGHT, Section, Segmentation
from watcher.text import terms as T

__all__ = [
    "ANALYSIS_VERSION",
    "DEFAULT_LEVEL_WEIGHT",
    "STATUS_WEIGHT",
    "Candidate",
    "DirectionInput",
    "HistoryStats",
    "Occurrence",
    "SectionInput",
    "SectionStatus",
    "analyser",
    "collect",
    "heading_words",
    "level_weight",
    "segmentation",
]

SectionStatus = Literal["new", "changed", "same"] | None

#: Bumped when the sentences or words a segmentation describes are made differently.
ANALYSIS_VERSION = 1
#: How much a section's comparison status counts (新增 > 调整 > unknown > 延续).
STATUS_WEIGHT: Mapping[str | None, float] = {"new": 1.0, "changed": 0.85, None: 0.7, "same": 0.35}
#: Level weight for documents of unknown level.
DEFAULT_LEVEL_WEIGHT = 0.5


def level_weight(level: str | None) -> float:
    """Authority of a document level (``models.LEVEL_WEIGHT``; unknown levels in between)."""
    return LEVEL_WEIGHT.get(level or "", DEFAULT_LEVEL_WEIGHT)


#: A compound or single word must appear in this many distinct sections to be a candidate.
MIN_SECTIONS_LEARNED = 2
#: A phrase found inside a longer candidate at least this share of the times is a fragment.
FRAGMENT_SHARE = 0.8
#: 「一是…。」 run-in headings of enumerated tasks count as headings.
_RUN_IN_HEADING = re.compile(r"^[一二三四五六七八九十]+是.{2,24}[。：:]?$")
#: Ordinals and punctuation around a heading's words (一是, （三）, 2., 。).
_HEADING_FURNITURE = re.compile(
    r"^(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|\d+[.、．])"
    r"|[\W_]+",
    re.UNICODE,
)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SectionInput:
    id: str  # section id, "" for the preamble
    text: str  # heading and body of the section
    status: SectionStatus = None


@dataclass(frozen=True)
class DirectionInput:
    """One document of the period as the ranking sees it."""

    title: str
    level: str | None
    source_id: str | None
    url: str | None
    document_id: int | None
    sections: tuple[SectionInput, ...]
    #: what the section statuses compare with, for the 推荐理由 (上位文件《…》, 上一版本), if any
    compared_with: str = ""

    @staticmethod
    def from_tree(
        root: Section,
        *,
        title: str,
        level: str | None = None,
        source_id: str | None = None,
        url: str | None = None,
        document_id: int | None = None,
        statuses: Mapping[str, SectionStatus] | None = None,
        default: SectionStatus = None,
        compared_with: str = "",
    ) -> DirectionInput:
        """One SectionInput per section of a structure tree (heading and body, children apart)."""
        statuses = statuses or {}
        secs = []
        for s in root.walk():
            text = "\n".join(p for p in (s.heading, s.body) if p and (s.id or p != title))
            if text.strip():
                secs.append(SectionInput(s.id, text, statuses.get(s.id, default)))
        return DirectionInput(title, level, source_id, url, document_id, tuple(secs), compared_with)


@dataclass
class HistoryStats:
    """The earlier corpus, for novelty: term counts by substring over whitespace-free texts."""

    texts: tuple[str, ...]
    _counts: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> HistoryStats:
        return cls(tuple(t for t in (T.matching_copy(x) for x in texts) if t))

    @property
    def n_docs(self) -> int:
        return len(self.texts)

    def share(self, term: str) -> float:
        """Share of the history documents that use ``term``."""
        return self.counts(term)[1] / self.n_docs if self.n_docs else 0.0

    @property
    def n_chars(self) -> int:
        return sum(len(t) for t in self.texts)

    def counts(self, term: str) -> tuple[int, int]:
        """(occurrences, documents containing it)."""
        if term not in self._counts:
            per_doc = [t.count(term) for t in self.texts]
            self._counts[term] = (sum(per_doc), sum(1 for c in per_doc if c))
        return self._counts[term]


# --------------------------------------------------------------------------- occurrences


@dataclass(frozen=True)
class Occurrence:
    item: int  # index into the items
    section: str
    order: int  # sentence number within the item (document order)
    sentence: str  # as written
    copy: str  # its matching copy (terms.matching_copy), made once
    lead: bool  # title, heading or the first sentence of its section
    status: SectionStatus
    #: enumerations in the sentence as (list part, category), matching copies: the members of
    #: 「A、B、C等6个未来产业」 or of 「五是人工智能。包括A、B、C」 belong to that category
    lists: tuple[tuple[str, str], ...] = ()


@dataclass
class Candidate:
    text: str
    kind: str
    occs: list[Occurrence] = field(default_factory=list)
    score: float = 0.0
    #: sentences (item, order) where the term stands on its own: not only inside a longer phrase
    #: that narrows it (科教协同育人 for 协同育人) and not only inside a cited title (《…》)
    own: set[tuple[int, int]] = field(default_factory=set)

    def own_share(self) -> float:
        """Share of the term's sentences where it stands on its own."""
        return len(self.own) / len(self.occs) if self.occs else 0.0


def _units(i: int, item: DirectionInput) -> list[Occurrence]:
    """Every sentence of one document (title first), with where it sits."""
    units: list[Occurrence] = []
    order = 0
    if item.title:
        order += 1
        units.append(Occurrence(i, "", order, item.title, T.matching_copy(item.title), True, None))
    for sec in item.sections:
        heading = ""
        for k, sent in enumerate(T.sentences(sec.text)):
            order += 1
            lead = k == 0 or bool(_RUN_IN_HEADING.match(sent))
            copy = T.matching_copy(sent)
            units.append(
                Occurrence(
                    i, sec.id, order, sent, copy, lead, sec.status, _enumerations(copy, heading)
                )
            )
            if lead:
                heading = copy
    return units


@cache
def analyser() -> str:
    """Names what made a segmentation: this code's version, the vocabulary and aliases (they
    change the words and the sentences' copies) and jieba's version."""
    digest = hashlib.sha256()
    for part in (
        str(ANALYSIS_VERSION),
        metadata.version("jieba"),
        *sorted(T.load_vocabulary()),
        *sorted(T.HEAD_NOUNS),
        *(f"{p.pattern}={term}" for p, term in T.load_aliases()),
    ):
        digest.update(part.encode("utf-8") + b"\x00")
    return f"{ANALYSIS_VERSION}:{digest.hexdigest()[:16]}"


def segmentation(item: DirectionInput) -> Segmentation:
    """jieba's words of every sentence of a document (the costly step, done once per version)."""
    return Segmentation(analyser(), tuple(T.segment(u.copy) for u in _units(0, item)))


def _words(units: Sequence[Occurrence], seg: Segmentation | None) -> list[list[str]] | None:
    """The words of each sentence from a stored segmentation; None when it does not fit."""
    if seg is None or seg.analyser != analyser() or len(seg.words) != len(units):
        return None
    words = [T.split_words(u.copy, n) for u, n in zip(units, seg.words, strict=True)]
    return [w for w in words if w is not None] if all(w is not None for w in words) else None


#: 「A、B、C等6个高成长未来产业」: a list closed by 等 (a count optional) and its category.
_LIST_WITH_CATEGORY = re.compile(
    r"([^，。；：,;:]*、[^，。；：,;:]*?)等(?:\d+|[一二三四五六七八九十两]+)?[个项类]?"
    r"([^，。；：,;:、]{2,16})"
)
#: 「包括A、B、C」 opening a sentence: its members belong to the heading just before.
_INCLUDES = re.compile(r"^[）)]*(?:主要)?包括")


def _enumerations(copy: str, heading: str) -> tuple[tuple[str, str], ...]:
    """Enumerations of a sentence (its matching copy) under ``heading`` (also a copy)."""
    found = [(m.group(1), m.group(2)) for m in _LIST_WITH_CATEGORY.finditer(copy)]
    if heading and _INCLUDES.match(copy):
        found.append((copy, heading_words(heading)))
    return tuple(found)


def collect(
    items: Sequence[DirectionInput],
    segmentations: Sequence[Segmentation | None] = (),
    segmented: Callable[[int, Segmentation], None] | None = None,
) -> tuple[list[Candidate], int]:
    """Candidates with all their occurrences. ``segmentations`` (by item, may be shorter or hold
    None) are used where they fit; the other documents are segmented here, and ``segmented``
    is told each one made (item index, segmentation), so a store can keep it.

    Pass 1 finds phrases on word boundaries and keeps vocabulary terms and compounds that recur.
    Pass 2 counts each kept term by substring in every sentence, because jieba may bury it
    inside a longer word (就业促进 inside 高质量充分就业促进机制), and records a kept term
    directly followed by a mechanism/system word as an extension (就业促进 + 机制).
    """
    units, found = _phrases(items, segmentations, segmented)
    copies = [u.copy for u in units]
    vocab = T.load_vocabulary()
    kept = {t: c for t, c in found.items() if _keep(c, found, vocab)}
    heads = sorted(T.HEAD_NOUNS, key=lambda h: (-len(h), h))
    lookahead = max((len(h) for h in heads), default=0)
    out: dict[str, Candidate] = {}
    # All sentences joined (NUL never occurs in text), every kept term found in one pass of an
    # Aho-Corasick automaton, positions mapped back to sentences: a scan per term grew with
    # terms × text (bench_directions: the 200-document week).
    joined = "\x00".join(copies)
    unit_index = {(u.item, u.order): i for i, u in enumerate(units)}
    offsets = list(itertools.accumulate((len(c) + 1 for c in copies), initial=0))
    positions = _positions(joined, kept)
    standing = _Standing(units, found, unit_index)
    for text in sorted(kept):
        base = kept[text]
        c = out.setdefault(text, Candidate(text, base.kind))
        # canonical forms may not occur literally (促进就业 → 就业促进): keep pass-1 sentences too
        on_words = {(o.item, o.order) for o in base.occs}
        literal: set[int] = set()
        for pos in positions.get(text, ()):
            i = bisect.bisect_right(offsets, pos) - 1
            u = units[i]
            if i not in literal:
                literal.add(i)
                c.occs.append(u)
            on_own = standing.alone(i, pos - offsets[i], text)
            if on_own:
                c.own.add((u.item, u.order))
            end = pos + len(text)
            rest = joined[end : min(offsets[i + 1] - 1, end + lookahead)]
            head = next((h for h in heads if rest.startswith(h)), None)
            if head and not text.endswith(head):
                ext = out.setdefault(text + head, Candidate(text + head, "extension"))
                if not ext.occs or ext.occs[-1] != u:
                    ext.occs.append(u)
                if on_own:
                    ext.own.add((u.item, u.order))
        c.occs.extend(units[i] for i in sorted(unit_index[k] for k in on_words) if i not in literal)
        c.own.update(k for k in on_words if unit_index[k] not in literal)
    chars = sum(len(c) for c in copies)
    _drop_fragments(out)
    for c in out.values():
        c.occs = sorted(set(c.occs), key=lambda o: (o.item, o.order))
        if c.kind == "extension":
            # The base may have been dropped as a fragment: then it was no vocabulary term.
            stem = c.text[: -len(_head_of(c.text))] if _head_of(c.text) else ""
            c.kind = "extension" if stem in out and out[stem].kind == "vocab" else "compound"
    return list(out.values()), max(chars, 1)


def _phrases(
    items: Sequence[DirectionInput],
    segmentations: Sequence[Segmentation | None],
    segmented: Callable[[int, Segmentation], None] | None,
) -> tuple[list[Occurrence], dict[str, Candidate]]:
    """Pass 1: every sentence, and the phrases on its word boundaries with their sentences."""
    units: list[Occurrence] = []
    found: dict[str, Candidate] = {}
    for i, item in enumerate(items):
        mine = _units(i, item)
        words_of = _words(mine, segmentations[i] if i < len(segmentations) else None)
        if words_of is None:
            words_of = [T.tokenize(u.copy) for u in mine]
            if segmented is not None:
                segmented(i, Segmentation(analyser(), tuple(tuple(map(len, w)) for w in words_of)))
        for u, words in zip(mine, words_of, strict=True):
            for ph in T.phrases_of_words(words):
                c = found.setdefault(ph.text, Candidate(ph.text, ph.kind))
                c.occs.append(u)
        units.extend(mine)
    return units, found


_CITED_TITLE = re.compile(r"《[^《》]*》")
#: A sentence that is only the name of a document (a list of annexes or of companion plans:
#: 「教育开放互鉴共赢行动方案（2025—2027年）」) cites it without 《》.
_DOCUMENT_NAME = re.compile(
    r"^.{2,40}?(?:方案|规划|纲要|计划|意见|通知|办法|决定|规定|细则|指南)(?:[（(][^）)]*[）)])?[。；]?$"
)


class _Standing:
    """Whether a term found at a place in a sentence stands on its own there: not inside a
    cited title (《教育强国建设规划纲要》 cites a plan; it does not discuss 教育强国) and not
    the tail of a longer phrase of the sentence that narrows it (科教协同育人机制 is about
    science-education collaboration, not about 协同育人 in general)."""

    def __init__(
        self,
        units: Sequence[Occurrence],
        found: Mapping[str, Candidate],
        unit_index: Mapping[tuple[int, int], int],
    ) -> None:
        self.units = units
        self.phrases: dict[int, list[str]] = {}
        for text, cand in found.items():
            for o in cand.occs:
                self.phrases.setdefault(unit_index[(o.item, o.order)], []).append(text)
        self.quotes: dict[int, list[tuple[int, int]]] = {}

    def alone(self, unit: int, pos: int, term: str) -> bool:
        u = self.units[unit]
        copy = u.copy
        if (u.section or u.order > 1) and _DOCUMENT_NAME.match(copy):
            return False
        if "《" in copy:
            if unit not in self.quotes:
                self.quotes[unit] = [m.span() for m in _CITED_TITLE.finditer(copy)]
            if any(a < pos < b for a, b in self.quotes[unit]):
                return False
        for p in self.phrases.get(unit, ()):
            k = p.find(term, 1)
            while k > 0:
                if k <= pos and copy.startswith(p, pos - k):
                    return False
                k = p.find(term, k + 1)
        return True


def _positions(text: str, terms: Iterable[str]) -> dict[str, list[int]]:
    """Where each term starts in ``text``, overlaps included, in increasing order."""
    automaton = ahocorasick.Automaton()
    for term in terms:
        automaton.add_word(term, term)
    if not len(automaton):
        return {}
    automaton.make_automaton()
    found: dict[str, list[int]] = {}
    for end, term in automaton.iter(text):
        found.setdefault(term, []).append(end - len(term) + 1)
    return found


def _drop_fragments(cands: dict[str, Candidate]) -> None:
    """Drop a non-vocabulary phrase whose sentences nearly all also hold one longer candidate
    containing it (教育国际 inside 教育国际合作): the longer one is the real term (C-value idea)."""
    where = {t: {(o.item, o.order) for o in c.occs} for t, c in cands.items()}
    # Index every candidate under each of its substrings, so a phrase meets only the longer
    # candidates that contain it (not every candidate: that was quadratic).
    containing: dict[str, list[str]] = {}
    for longer in cands:
        for i in range(len(longer)):
            for j in range(i + 1, len(longer) + 1):
                if j - i < len(longer):
                    containing.setdefault(longer[i:j], []).append(longer)
    for t in sorted(cands, key=lambda t: (len(t), t)):
        # vocabulary terms stand on their own; 「term + 机制」 forms are kept for the wording
        if cands[t].kind == "vocab" or not where[t] or t.endswith(tuple(T.PHRASE_HEADS)):
            continue
        for longer in sorted(set(containing.get(t, ())), key=lambda x: (-len(x), x)):
            if longer in cands and (
                len(where[t] & where[longer]) >= FRAGMENT_SHARE * len(where[t])
            ):
                del cands[t]
                break


def _keep(c: Candidate, cands: Mapping[str, Candidate], vocab: frozenset[str]) -> bool:
    if c.kind == "vocab":
        return True
    if c.kind == "extension":
        head = _head_of(c.text)
        base = c.text[: -len(head)] if head else c.text
        if base in vocab or _recurs(cands.get(base)):
            return True
    return _recurs(c)


def _head_of(text: str) -> str:
    return next((h for h in sorted(T.HEAD_NOUNS, key=len, reverse=True) if text.endswith(h)), "")


def _recurs(c: Candidate | None) -> bool:
    if c is None:
        return False
    return (
        len({(o.item, o.section) for o in c.occs if o.section or o.order > 1})
        >= MIN_SECTIONS_LEARNED
    )


def heading_words(copy: str) -> str:
    """A heading's words (its matching copy) without its ordinal and punctuation
    (「六是低空经济。」 → 低空经济)."""
    return _HEADING_FURNITURE.sub("", copy)
