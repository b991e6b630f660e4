"""Research directions (本期推荐研究方向): the period's new and changed sections plus the history →
ranked directions with evidence, and the topic watchlist.

``rank_directions`` is pure: it takes the period's documents as ``DirectionInput`` values (title,
level, sections with their 新增/调整/延续 status) and the earlier corpus (texts or a prepared
``HistoryStats``), extracts candidate terms (``watcher.terms``), scores each by novelty against the
history, the authority of the documents it appears in, whether it sits in a new or changed
section, how many documents and sources repeat it and whether it appears in a heading or lead
sentence, merges near-duplicates and phrases each survivor as 「…研究」 with its best sentences.
``directions_for_period`` builds those inputs from the store. ``topic_hits`` matches the
configured watchlist against a text so the pipeline can alert at once.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from watcher import terms as T
from watcher.config import Topic
from watcher.models import LEVEL_WEIGHT, Direction, Evidence, Section

if TYPE_CHECKING:
    from watcher.store import Store

__all__ = [
    "DirectionInput",
    "HistoryStats",
    "SectionInput",
    "directions_for_period",
    "phrase_direction",
    "rank_directions",
    "topic_hits",
]

SectionStatus = Literal["new", "changed", "same"] | None

# --------------------------------------------------------------------------- scoring weights (data)

#: How much a section's comparison status counts (新增 > 调整 > unknown > 延续).
STATUS_WEIGHT: Mapping[str | None, float] = {"new": 1.0, "changed": 0.85, None: 0.7, "same": 0.35}
#: Trust in a candidate by how it was found: vocabulary term, term + mechanism word, recurring
#: multi-word compound, single non-vocabulary word.
KIND_WEIGHT: Mapping[str, float] = {"vocab": 1.3, "extension": 1.15, "compound": 0.8, "single": 0.5}
#: A term that is not in the vocabulary and appears in only one document is often that
#: document's own machinery (大赛组委会, 赛道) rather than a theme.
SINGLE_DOCUMENT_WEIGHT = 0.75
#: Two- and three-character terms are usually generic words; longer ones name a theme.
LENGTH_WEIGHT: Mapping[int, float] = {2: 0.75, 3: 0.9}
#: Discount for words common in general Chinese (jieba's dictionary frequency, log10 scale):
#: a theme new to the language (低空经济) beats a familiar word (核能, 同期).
FAMILIARITY = 0.25
#: Bonus when a term sits in a title, heading or the lead sentence of a section.
PROMINENCE_BONUS = 0.35
#: Level weight for documents of unknown level.
DEFAULT_LEVEL_WEIGHT = 0.5
#: A compound or single word must appear in this many distinct sections to be a candidate.
MIN_SECTIONS_LEARNED = 2
#: How many sentences of evidence each direction keeps.
MAX_EVIDENCE = 3
#: Evidence sentences longer than this are cut around the term.
MAX_SENTENCE_CHARS = 160
#: Only this many best candidates are checked against the history (substring counts cost time).
MAX_CANDIDATES = 400
#: 「一是…。」 run-in headings of enumerated tasks count as headings.
_RUN_IN_HEADING = re.compile(r"^[一二三四五六七八九十]+是.{2,24}[。：:]?$")
#: Each further direction drawn mainly from the same document is discounted by this factor
#: when choosing the list (a bulletin's directions should span the period's documents).
DIVERSITY_DECAY = 0.75
#: A phrase found inside a longer candidate at least this share of the times is a fragment.
FRAGMENT_SHARE = 0.8
#: Suffix of a direction in the bulletin's style.
DIRECTION_SUFFIX = "研究"
#: Relative rise over the history (now vs. before) at which a known term counts as fully rising.
FULL_RISE = 50.0


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SectionInput:
    id: str                     # section id, "" for the preamble
    text: str                   # heading and body of the section
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
        root: Section, *, title: str, level: str | None = None, source_id: str | None = None,
        url: str | None = None, document_id: int | None = None,
        statuses: Mapping[str, SectionStatus] | None = None, default: SectionStatus = None,
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
class _Occ:
    item: int                   # index into the items
    section: str
    order: int                  # sentence number within the item (document order)
    sentence: str               # as written
    lead: bool                  # title, heading or the first sentence of its section
    status: SectionStatus


@dataclass
class _Cand:
    text: str
    kind: str
    occs: list[_Occ] = field(default_factory=list)
    score: float = 0.0


def _units(items: Sequence[DirectionInput]) -> list[_Occ]:
    """Every sentence of the period (titles first), with where it sits."""
    units: list[_Occ] = []
    for i, item in enumerate(items):
        order = 0
        if item.title:
            order += 1
            units.append(_Occ(i, "", order, item.title, True, None))
        for sec in item.sections:
            for k, sent in enumerate(T.sentences(sec.text)):
                order += 1
                lead = k == 0 or bool(_RUN_IN_HEADING.match(sent))
                units.append(_Occ(i, sec.id, order, sent, lead, sec.status))
    return units


def _collect(items: Sequence[DirectionInput]) -> tuple[list[_Cand], int]:
    """Candidates with all their occurrences.

    Pass 1 finds phrases on word boundaries and keeps vocabulary terms and compounds that recur.
    Pass 2 counts each kept term by substring in every sentence, because jieba may bury it
    inside a longer word (就业促进 inside 高质量充分就业促进机制), and records a kept term
    directly followed by a mechanism/system word as an extension (就业促进 + 机制).
    """
    units = _units(items)
    copies = [T.matching_copy(u.sentence) for u in units]
    found: dict[str, _Cand] = {}
    for u, copy in zip(units, copies, strict=True):
        for ph in T.phrases(copy):
            c = found.setdefault(ph.text, _Cand(ph.text, ph.kind))
            c.occs.append(u)
    vocab = T.load_vocabulary()
    kept = {t: c for t, c in found.items() if _keep(c, found, vocab)}
    heads = sorted(T.HEAD_NOUNS, key=lambda h: (-len(h), h))
    lookahead = max((len(h) for h in heads), default=0)
    out: dict[str, _Cand] = {}
    # One C-level scan per term over all sentences joined (NUL never occurs in text), positions
    # mapped back to sentences: the per-sentence Python loop was quadratic in practice.
    joined = "\x00".join(copies)
    unit_index = {(u.item, u.order): i for i, u in enumerate(units)}
    offsets = list(itertools.accumulate((len(c) + 1 for c in copies), initial=0))
    for text in sorted(kept):
        base = kept[text]
        c = out.setdefault(text, _Cand(text, base.kind))
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
            rest = joined[end:min(offsets[i + 1] - 1, end + lookahead)]
            head = next((h for h in heads if rest.startswith(h)), None)
            if head and not text.endswith(head):
                ext = out.setdefault(text + head, _Cand(text + head, "extension"))
                if not ext.occs or ext.occs[-1] != u:
                    ext.occs.append(u)
            pos = joined.find(text, pos + 1)
        c.occs.extend(units[i] for i in sorted(unit_index[k] for k in on_words)
                      if i not in literal)
    chars = sum(len(c) for c in copies)
    _drop_fragments(out)
    for c in out.values():
        c.occs = sorted(set(c.occs), key=lambda o: (o.item, o.order))
        c.occs.sort(key=lambda o: (o.item, o.order))
        if c.kind == "extension":
            # The base may have been dropped as a fragment: then it was no vocabulary term.
            stem = c.text[: -len(_head_of(c.text))] if _head_of(c.text) else ""
            c.kind = "extension" if stem in out and out[stem].kind == "vocab" else "compound"
    return list(out.values()), max(chars, 1)


def _drop_fragments(cands: dict[str, _Cand]) -> None:
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


def _keep(c: _Cand, cands: Mapping[str, _Cand], vocab: frozenset[str]) -> bool:
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


def _recurs(c: _Cand | None) -> bool:
    if c is None:
        return False
    return len({(o.item, o.section) for o in c.occs if o.section or o.order > 1}) >= MIN_SECTIONS_LEARNED


# --------------------------------------------------------------------------- scoring


def _weight(level: str | None) -> float:
    return LEVEL_WEIGHT.get(level or "", DEFAULT_LEVEL_WEIGHT)


def _base_score(c: _Cand, items: Sequence[DirectionInput]) -> float:
    """Everything but novelty against the history: authority × repetition × status × prominence
    × frequency × spread × length × unfamiliarity × kind."""
    docs = sorted({o.item for o in c.occs})
    weights = sorted((_weight(items[d].level) for d in docs), reverse=True)
    authority = weights[0] + 0.2 * sum(weights[1:])
    sources = {items[d].source_id or f"#{d}" for d in docs}
    repetition = 1.0 + 0.3 * (len(sources) - 1)
    status = max(STATUS_WEIGHT.get(o.status, STATUS_WEIGHT[None]) for o in c.occs)
    prominence = 1.0 + (PROMINENCE_BONUS if any(o.lead for o in c.occs) else 0.0)
    count = len({(o.item, o.order) for o in c.occs})
    frequency = 1.0 + 0.5 * math.log(count)
    length = LENGTH_WEIGHT.get(len(c.text), 1.0)
    familiar = 1.0 / (1.0 + FAMILIARITY * math.log10(1 + T.general_frequency(c.text)))
    spread = SINGLE_DOCUMENT_WEIGHT if len(docs) == 1 and c.kind in ("compound", "single") else 1.0
    return (authority * repetition * status * prominence * frequency * spread * length * familiar
            * KIND_WEIGHT[c.kind])


def _novelty(c: _Cand, history: HistoryStats, now_chars: int) -> float:
    """1.0 for a term the history never used; for a known term, how rare it was and how much it
    rose (relative frequency now vs. before, add-half smoothed); near 0 for a term used everywhere."""
    if not history.n_docs:
        return 1.0
    hist, df = history.counts(c.text)
    if hist == 0:
        return 1.0
    n = history.n_docs
    rarity = min(1.0, max(0.0, math.log((n + 1) / (df + 0.5)) / math.log(n + 1)))
    now = len({(o.item, o.order) for o in c.occs})
    ratio = ((now + 0.5) / now_chars) / ((hist + 0.5) / max(history.n_chars, 1))
    rise = min(1.0, max(0.0, math.log(ratio) / math.log(FULL_RISE))) if ratio > 0 else 0.0
    return 0.85 * (0.4 * rarity + 0.6 * rise)


# --------------------------------------------------------------------------- merging and phrasing


def near_duplicate(a: str, b: str) -> bool:
    """Same theme written differently: containment (低空经济 / 低空经济产业) or the same characters
    reordered (促进就业 / 就业促进)."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if short in long_ and len(short) / len(long_) >= 0.5:
        return True
    return len(a) == len(b) and sorted(a) == sorted(b)


def phrase_direction(term: str, members: Sequence[str] = ()) -> str:
    """「term研究」, keeping a mechanism/system word a member adds (就业促进 + 就业促进机制 →
    就业促进机制研究)."""
    best = term
    for m in members:
        if m.startswith(term) and m[len(term):] in T.PHRASE_HEADS:
            best = m
            break
    best = best.rstrip("+")
    return best if best.endswith(DIRECTION_SUFFIX) else best + DIRECTION_SUFFIX


def _cut(sentence: str, term: str) -> str:
    s = sentence.strip()
    if len(s) <= MAX_SENTENCE_CHARS:
        return s
    pos = max(T.matching_copy(s).find(term), 0)
    start = max(0, min(pos - MAX_SENTENCE_CHARS // 3, len(s) - MAX_SENTENCE_CHARS))
    return ("…" if start else "") + s[start:start + MAX_SENTENCE_CHARS] + "…"


def _evidence(occs: Sequence[_Occ], items: Sequence[DirectionInput], term: str) -> tuple[Evidence, ...]:
    def key(o: _Occ) -> tuple[int, float, int, float, int, int]:
        title_only = int(o.section == "" and o.order == 1)
        lacks_term = int(term not in T.matching_copy(o.sentence))
        return (lacks_term, -_weight(items[o.item].level), title_only,
                -STATUS_WEIGHT.get(o.status, STATUS_WEIGHT[None]), o.item, o.order)

    ranked = sorted(occs, key=key)
    chosen: list[_Occ] = []
    seen: set[str] = set()
    # first one sentence per document, then fill: evidence should show the repetition
    for per_doc in (True, False):
        for o in ranked:
            if len(chosen) >= MAX_EVIDENCE:
                break
            if o.sentence in seen or (per_doc and any(c.item == o.item for c in chosen)):
                continue
            chosen.append(o)
            seen.add(o.sentence)
    return tuple(
        Evidence(title=items[o.item].title, section=o.section, sentence=_cut(o.sentence, term),
                 url=items[o.item].url, document_id=items[o.item].document_id)
        for o in chosen
    )


# --------------------------------------------------------------------------- ranking


def rank_directions(
    items: Sequence[DirectionInput],
    history: Sequence[str] | HistoryStats,
    *,
    limit: int = 10,
) -> list[Direction]:
    """The period's research directions, best first (deterministic for the same inputs)."""
    hist = history if isinstance(history, HistoryStats) else HistoryStats.from_texts(history)
    kept, now_chars = _collect(items)
    for c in kept:
        c.score = _base_score(c, items)
    kept.sort(key=lambda c: (-c.score, c.text))
    kept = kept[:MAX_CANDIDATES]
    for c in kept:
        c.score *= _novelty(c, hist, now_chars)
    kept = [c for c in kept if c.score > 0]
    kept.sort(key=lambda c: (-c.score, -len(c.text), c.text))

    clusters: list[list[_Cand]] = []
    for c in kept:
        for cl in clusters:
            if near_duplicate(cl[0].text, c.text):
                cl.append(c)
                break
        else:
            clusters.append([c])

    scored: list[tuple[Direction, int]] = []
    for cl in clusters:
        rep = cl[0]
        members = [m.text for m in cl]
        bonus = 1.0 + min(0.5, 0.1 * (len(cl) - 1))
        occs = [o for m in cl for o in m.occs]
        scored.append((Direction(
            direction=phrase_direction(rep.text, members[1:]),
            terms=tuple(members[:6]),
            score=round(rep.score * bonus, 4),
            evidence=_evidence(occs, items, rep.text),
        ), _home(occs)))
    return _diversify(scored, limit)


def _home(occs: Sequence[_Occ]) -> int:
    """The document a direction comes from: where it occurs most (earliest on ties)."""
    per_doc: dict[int, int] = defaultdict(int)
    for o in occs:
        per_doc[o.item] += 1
    return min(per_doc, key=lambda d: (-per_doc[d], d))


def _diversify(scored: Sequence[tuple[Direction, int]], limit: int) -> list[Direction]:
    """Pick best first, discounting each further direction from the same document by
    DIVERSITY_DECAY, so one long document cannot fill the whole list. Scores stay as computed;
    directions phrased alike (a term and its head-noun extension) are kept once."""
    pool = sorted(scored, key=lambda p: (-p[0].score, p[0].direction))
    taken: dict[int, int] = defaultdict(int)
    out: list[Direction] = []
    seen: set[str] = set()
    while pool and len(out) < limit:
        best = min(range(len(pool)), key=lambda i: (
            -pool[i][0].score * DIVERSITY_DECAY ** taken[pool[i][1]], i))
        d, home = pool.pop(best)
        if d.direction in seen:
            continue
        seen.add(d.direction)
        taken[home] += 1
        out.append(d)
    return out


# --------------------------------------------------------------------------- topic watchlist


def topic_hits(topics: Sequence[Topic], text: str) -> list[tuple[Topic, list[str]]]:
    """Watchlist topics whose keywords occur in ``text``, each with the sentences (up to 5) that
    contain a keyword. Sentences end only at 。！？；, and line breaks inside them are removed, so
    a PDF line wrap does not hide a keyword (本科层\n次职业教育)."""
    sents = [_TOPIC_WRAP.sub("", p).strip() for p in _TOPIC_SENTENCE.split(text)]
    sents = [s for s in sents if s]
    copies = [_TOPIC_SPACE.sub("", s) for s in sents]
    out: list[tuple[Topic, list[str]]] = []
    for topic in topics:
        keys = [_TOPIC_SPACE.sub("", k) for k in topic.keywords if k.strip()]
        found = [s for s, c in zip(sents, copies, strict=True) if any(k in c for k in keys)]
        if found:
            out.append((topic, found[:MAX_TOPIC_SENTENCES]))
    return out


_TOPIC_SENTENCE = re.compile(r"(?<=[。！？；!?;])|\n\s*\n")
_TOPIC_WRAP = re.compile(r"\s*\n\s*")
_TOPIC_SPACE = re.compile(r"\s+")
MAX_TOPIC_SENTENCES = 5


# --------------------------------------------------------------------------- store-backed wrapper


def directions_for_period(
    store: Store, start_iso: str, end_iso: str, *, limit: int = 10
) -> list[Direction]:
    """Directions of the documents stored (new or changed) in [start, end), against everything
    stored before ``start``. Section statuses come from stored version diffs and comparisons."""
    from watcher import structure

    items: list[DirectionInput] = []
    for doc in store.documents_changed_between(start_iso, end_iso):
        versions = store.versions(doc.id)
        in_period = [v for v in versions if start_iso <= v.fetched_at < end_iso]
        if not in_period:
            continue
        current = in_period[-1]
        statuses, default = _statuses(store, doc.id, current.id, versions[0].id == in_period[0].id)
        tree = structure.parse(current.text, current.title)
        items.append(DirectionInput.from_tree(
            tree, title=current.title, level=doc.level, source_id=doc.source_id, url=doc.url,
            document_id=doc.id, statuses=statuses, default=default,
        ))
    return rank_directions(items, _history(store, start_iso), limit=limit)


def _statuses(
    store: Store, document_id: int, version_id: int, first_in_period: bool
) -> tuple[dict[str, SectionStatus], SectionStatus]:
    """Section statuses of a version: from its comparison with a parent when stored, else from
    the diff against the previous version; a brand-new document without either is all new."""
    statuses: dict[str, SectionStatus] = {}
    for row in store.comparisons(new_document_id=document_id):
        if row["new_version_id"] != version_id:
            continue
        result: Mapping[str, Any] = json.loads(row["result_json"])
        for sec in result.get("sections", []):
            if sec.get("status") in ("new", "changed", "same"):
                statuses[str(sec["new_id"])] = sec["status"]
        return statuses, None
    changes = [r for r in store.changes(document_id=document_id)
               if r["new_version_id"] == version_id and not r["flip_flop"]]
    if changes:
        for ch in json.loads(changes[-1]["diff_json"]):
            if ch.get("new_id") is not None:
                statuses[str(ch["new_id"])] = "new" if ch.get("kind") == "added" else "changed"
        return statuses, "same"
    return statuses, "new" if first_in_period else None


def _history(store: Store, start_iso: str) -> HistoryStats:
    """Texts of the latest version of every document as it stood before ``start``."""
    texts: list[str] = []
    for doc in store.documents(limit=1_000_000):
        if doc.first_seen >= start_iso:
            continue
        before = [v for v in store.versions(doc.id) if v.fetched_at < start_iso]
        if before:
            texts.append(before[-1].text)
    return HistoryStats.from_texts(texts)
