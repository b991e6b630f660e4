"""Candidates for research directions: the period's documents as the ranking sees them, every
sentence with where it sits (title, heading, lead, enumeration), and the terms found in them.

``collect`` finds phrases on word boundaries (``watcher.terms``), keeps vocabulary terms and
compounds that recur, then counts each kept term by substring in every sentence (jieba may bury
it inside a longer word) and records 「term + mechanism word」 extensions. ``HistoryStats`` holds
the earlier corpus for novelty and relevance. Pure; used by ``watcher.directions``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from watcher.models import Section
from watcher.text import terms as T

__all__ = [
    "Candidate",
    "DirectionInput",
    "HistoryStats",
    "Occurrence",
    "SectionInput",
    "SectionStatus",
    "collect",
    "heading_words",
]

SectionStatus = Literal["new", "changed", "same"] | None

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
    ) -> DirectionInput:
        """One SectionInput per section of a structure tree (heading and body, children apart)."""
        statuses = statuses or {}
        secs = []
        for s in root.walk():
            text = "\n".join(p for p in (s.heading, s.body) if p and (s.id or p != title))
            if text.strip():
                secs.append(SectionInput(s.id, text, statuses.get(s.id, default)))
        return DirectionInput(title, level, source_id, url, document_id, tuple(secs))


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


def _units(items: Sequence[DirectionInput]) -> list[Occurrence]:
    """Every sentence of the period (titles first), with where it sits."""
    units: list[Occurrence] = []
    for i, item in enumerate(items):
        order = 0
        if item.title:
            order += 1
            units.append(
                Occurrence(i, "", order, item.title, T.matching_copy(item.title), True, None)
            )
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


def collect(items: Sequence[DirectionInput]) -> tuple[list[Candidate], int]:
    """Candidates with all their occurrences.

    Pass 1 finds phrases on word boundaries and keeps vocabulary terms and compounds that recur.
    Pass 2 counts each kept term by substring in every sentence, because jieba may bury it
    inside a longer word (就业促进 inside 高质量充分就业促进机制), and records a kept term
    directly followed by a mechanism/system word as an extension (就业促进 + 机制).
    """
    units = _units(items)
    copies = [u.copy for u in units]
    found: dict[str, Candidate] = {}
    for u, copy in zip(units, copies, strict=True):
        for ph in T.phrases(copy):
            c = found.setdefault(ph.text, Candidate(ph.text, ph.kind))
            c.occs.append(u)
    vocab = T.load_vocabulary()
    kept = {t: c for t, c in found.items() if _keep(c, found, vocab)}
    heads = sorted(T.HEAD_NOUNS, key=lambda h: (-len(h), h))
    lookahead = max((len(h) for h in heads), default=0)
    out: dict[str, Candidate] = {}
    # One C-level scan per term over all sentences joined (NUL never occurs in text), positions
    # mapped back to sentences: the per-sentence Python loop was quadratic in practice.
    joined = "\x00".join(copies)
    unit_index = {(u.item, u.order): i for i, u in enumerate(units)}
    offsets = list(itertools.accumulate((len(c) + 1 for c in copies), initial=0))
    for text in sorted(kept):
        base = kept[text]
        c = out.setdefault(text, Candidate(text, base.kind))
        # canonical forms may not occur literally (促进就业 → 就业促进): keep pass-1 sentences too
        on_words = {(o.item, o.order) for o in base.occs}
        literal: set[int] = set()
        pos = joined.find(text)
        while pos >= 0:
            i = bisect.bisect_right(offsets, pos) - 1
            u = units[i]
            if i not in literal:
                literal.add(i)
                c.occs.append(u)
            end = pos + len(text)
            rest = joined[end : min(offsets[i + 1] - 1, end + lookahead)]
            head = next((h for h in heads if rest.startswith(h)), None)
            if head and not text.endswith(head):
                ext = out.setdefault(text + head, Candidate(text + head, "extension"))
                if not ext.occs or ext.occs[-1] != u:
                    ext.occs.append(u)
            pos = joined.find(text, pos + 1)
        c.occs.extend(units[i] for i in sorted(unit_index[k] for k in on_words) if i not in literal)
    chars = sum(len(c) for c in copies)
    _drop_fragments(out)
    for c in out.values():
        c.occs = sorted(set(c.occs), key=lambda o: (o.item, o.order))
        if c.kind == "extension":
            # The base may have been dropped as a fragment: then it was no vocabulary term.
            stem = c.text[: -len(_head_of(c.text))] if _head_of(c.text) else ""
            c.kind = "extension" if stem in out and out[stem].kind == "vocab" else "compound"
    return list(out.values()), max(chars, 1)


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
