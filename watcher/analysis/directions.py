"""Research directions (本期推荐研究方向): the period's new and changed sections plus the history →
ranked directions with evidence, and the topic watchlist.

``rank_directions`` is pure: it takes the period's documents as ``DirectionInput`` values (title,
level, sections with their 新增/调整/延续 status) and the earlier corpus (texts or a prepared
``HistoryStats``), takes the candidate terms of ``watcher.candidates`` and scores each by:

- novelty against the history (never seen, or rising);
- relevance to what the history discusses (a new term built on a term many history documents
  use, or a member of an enumeration whose category they use: 低空经济 of 「…等6个未来产业」);
- the authority of its documents (level; notices that organise an event count for less);
- whether it sits in a new or changed section, how many documents and sources repeat it, in how
  many passages, and whether a title or heading is about it.

It then merges near-duplicates, folds the facets of a document's own subject into one direction
(就业公共服务 and 灵活就业 of a 就业 意见), phrases each as 「…研究」 with its best sentences and
keeps the list spread over the period's documents. ``directions_for_period`` builds the inputs
from the store. ``topic_hits`` matches the configured watchlist against a text so the pipeline can
alert at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Protocol

from watcher.analysis.candidates import (
    STATUS_WEIGHT,
    Candidate,
    DirectionInput,
    HistoryStats,
    Occurrence,
    SectionInput,
    SectionStatus,
    analyser,
    collect,
    heading_words,
    level_weight,
)
from watcher.analysis.clusters import cluster_candidates, diversify, merge_facets
from watcher.analysis.phrasing import (
    DIRECTION_SUFFIX,
    evidence,
    evidence_values,
    listed_terms,
    near_duplicate,
    phrase_direction,
    reason,
)
from watcher.config import Topic
from watcher.models import Direction, Section, Segmentation
from watcher.records import ChangeRow, ComparisonRow, DocumentRow, VersionRow
from watcher.text import terms as T
from watcher.text.keys import squeeze
from watcher.text.sentences import split_sentences

__all__ = [
    "DirectionInput",
    "DirectionStore",
    "HistoryStats",
    "SectionInput",
    "SectionStatus",
    "directions_for_period",
    "near_duplicate",
    "phrase_direction",
    "rank_directions",
    "topic_hits",
]

# --------------------------------------------------------------------------- scoring weights (data)

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
#: Bonus when a term sits in a title, heading or the lead sentence of a section: in full when
#: the term is the title's subject or names at least HEADING_COVERAGE of a heading (六是低空经济:
#: the section is about it), half when it is only mentioned there.
PROMINENCE_BONUS = 0.35
HEADING_COVERAGE = 0.5
#: Titles of notices that organise an event or publish a list (举办…大赛的通知, 公布…名单):
#: their words are the event's machinery (赛道, 组委会), so their terms count for less than a
#: policy's (意见, 规划, 方案).
_EVENT_TITLE = re.compile(
    r"关于(?:举办|召开|组织|开展|公布|公示|做好|遴选|评选|推荐|征集|申报).{0,40}?"
    r"(?:大赛|竞赛|比赛|会议|论坛|活动|评选|遴选|申报|报名|名单|结果|征集)"
)
EVENT_NOTICE_WEIGHT = 0.6
#: A document with at least this many sections counts a term's frequency by section.
MIN_STRUCTURED = 3
#: Only this many best candidates are checked against the history (substring counts cost time).
MAX_CANDIDATES = 400
#: Relevance to what the watched sources already discuss: a term built on a vocabulary term that
#: many history documents use (新一代人工智能 on 人工智能) is a new turn of a standing theme and
#: counts up to (1 + RELEVANCE_WEIGHT) times; RELEVANCE_SHARE of the history using it is full.
RELEVANCE_WEIGHT = 1.0
RELEVANCE_SHARE = 0.5
#: Relative rise over the history (now vs. before) at which a known term counts as fully rising.
FULL_RISE = 50.0
#: Further documents and sources beyond the first that add to a term's score.
MAX_REPEATS = 2
#: A term that stands on its own in none of its sentences (only inside narrower phrases, such as
#: 协同育人 in 科教协同育人, or inside cited titles) keeps this share of its score.
OWN_FLOOR = 0.5
#: Headings of the parts of a policy document that frame it rather than set tasks: its goals and
#: guiding ideas up front, its organisation and guarantees at the end. Slogans (教育强国,
#: 立德树人根本任务) and boilerplate (经费投入) live there; research topics live in the tasks.
FRAMING_HEADINGS: tuple[str, ...] = (
    "总体要求", "指导思想", "基本原则", "工作原则", "主要目标", "总体目标", "发展目标",
    "工作目标", "重要意义", "保障措施", "组织实施", "组织保障", "组织领导", "实施保障",
    "工作要求", "保障机制",
)  # fmt: skip
#: Sentences that frame a document wherever they stand: its purpose and guiding ideas
#: (为深入贯彻…，制定本方案; 以…为指导; 落实…根本任务) and its closing calls (形成…强大合力,
#: 营造良好氛围). Goals named there are slogans of the document, not its tasks.
_FRAMING_SENTENCE = re.compile(
    r"^为(?:深入|全面|认真|进一步|更好|加快|切实)?(?:贯彻|落实|推动|推进|实施|加快|建设)"
    r"|以.{2,40}?为(?:指导|引领|统领)"
    r"|贯彻(?:落实)?.{0,40}?(?:精神|部署|要求|论述|指示|方针)"
    r"|根本任务|战略目标|战略部署|决策部署|重大决策|强大合力|良好氛围|良好环境|舆论引导"
)
#: A term used only in framing parts or sentences keeps this share of its score.
#: Longer "headings" are paragraphs (the first line of a section without one).
MAX_HEADING_CHARS = 30
FRAMING_FLOOR = 0.4


# --------------------------------------------------------------------------- scoring


def _item_weight(item: DirectionInput) -> float:
    """Authority of a document: its level, discounted for event and list notices."""
    kind = EVENT_NOTICE_WEIGHT if _EVENT_TITLE.search(item.title or "") else 1.0
    return level_weight(item.level) * kind


def _framing(item: DirectionInput) -> frozenset[str]:
    """Ids of a structured document's framing parts (FRAMING_HEADINGS and their subsections;
    not the preamble, which often states the subject: 「优先发展低空经济等6个未来产业」); none
    for a flat text such as a news report."""
    if len(item.sections) < MIN_STRUCTURED:
        return frozenset()
    tops = [s.id for s in item.sections if s.id and _frames(s.text.split("\n", 1)[0])]
    return frozenset(
        s.id for s in item.sections if any(s.id == t or s.id.startswith(f"{t}/") for t in tops)
    )


def _frames(heading: str) -> bool:
    """A heading (not a paragraph) that names a framing part: 「一、总体要求」."""
    words = heading_words(T.matching_copy(heading))
    return len(words) <= MAX_HEADING_CHARS and any(h in words for h in FRAMING_HEADINGS)


@lru_cache(maxsize=65536)
def _framing_sentence(copy: str) -> bool:
    return bool(_FRAMING_SENTENCE.search(copy))


def _framed(o: Occurrence, framing: Sequence[frozenset[str]]) -> bool:
    """A sentence in a framing part or itself a framing sentence."""
    return o.section in framing[o.item] or _framing_sentence(o.copy)


def _substance(c: Candidate, framing: Sequence[frozenset[str]]) -> float:
    """FRAMING_FLOOR to 1 by the share of a term's sentences (titles aside) that set tasks:
    outside framing parts and framing sentences."""
    body = [o for o in c.occs if o.section or o.order > 1]
    if not body:
        return 1.0
    tasks = sum(1 for o in body if not _framed(o, framing))
    return FRAMING_FLOOR + (1.0 - FRAMING_FLOOR) * tasks / len(body)


def _base_score(
    c: Candidate,
    items: Sequence[DirectionInput],
    frequency_of: int,
    framing: Sequence[frozenset[str]],
) -> float:
    """Everything but novelty against the history: authority × repetition × status × prominence
    × frequency × spread × length × unfamiliarity × kind × standing on its own × substance."""
    docs = sorted({o.item for o in c.occs})
    weights = sorted((_item_weight(items[d]) for d in docs), reverse=True)
    # Repetition saturates: a theme in three documents of three sources is repeated; one in
    # nearly all of a busy week's documents is the field's common language (产教融合, 立德树人),
    # which a linear count would put first every week.
    authority = weights[0] + 0.2 * sum(weights[1 : 1 + MAX_REPEATS])
    sources = {items[d].source_id or f"#{d}" for d in docs}
    repetition = 1.0 + 0.3 * min(len(sources) - 1, MAX_REPEATS)
    status = max(STATUS_WEIGHT.get(o.status, STATUS_WEIGHT[None]) for o in c.occs)
    prominence = 1.0 + PROMINENCE_BONUS * max((_prominence(o, c.text) for o in c.occs), default=0)
    # Passages, not sentences: a heading's term repeated in the list under it (光子与量子技术。
    # 包括光子技术、量子技术) is one passage. A flat text (news) counts by sentence.
    count = len(
        {
            (o.item, o.section if len(items[o.item].sections) >= MIN_STRUCTURED else o.order)
            for o in c.occs
        }
    )
    frequency = 1.0 + 0.5 * math.log(count)
    length = LENGTH_WEIGHT.get(len(c.text), 1.0)
    familiar = 1.0 / (1.0 + FAMILIARITY * math.log10(1 + frequency_of))
    spread = SINGLE_DOCUMENT_WEIGHT if len(docs) == 1 and c.kind in ("compound", "single") else 1.0
    return (
        authority
        * repetition
        * status
        * prominence
        * frequency
        * spread
        * length
        * familiar
        * KIND_WEIGHT[c.kind]
        * (OWN_FLOOR + (1.0 - OWN_FLOOR) * c.own_share())
        * _substance(c, framing)
    )


def _prominence(o: Occurrence, term: str) -> float:
    """1 when the term is what a title or heading is about, 0.5 when a lead only mentions it."""
    if not o.lead:
        return 0.0
    if not o.section and o.order == 1:
        return 1.0
    words = heading_words(o.copy)
    return 1.0 if words and len(term) >= HEADING_COVERAGE * len(words) else 0.5


def _novelty(c: Candidate, history: HistoryStats, now_chars: int) -> float:
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


def _relevance(c: Candidate, history: HistoryStats) -> float:
    """How central the term's policy concepts are to the history: 1 for a term no history
    document touches, up to 1 + RELEVANCE_WEIGHT for one built on a term most of them use
    (新一代人工智能 on 人工智能). A member of an enumeration shares its category's relevance
    (低空经济 in 「…低空经济等6个高成长未来产业」 is as relevant as 未来产业)."""
    if not history.n_docs:
        return 1.0
    texts = {c.text}
    texts.update(cat for o in c.occs for part, cat in o.lists if c.text in part)
    share = max(_anchor_share(t, history) for t in texts)
    return 1.0 + RELEVANCE_WEIGHT * min(1.0, share / RELEVANCE_SHARE)


def _anchor_share(text: str, history: HistoryStats) -> float:
    """The largest history share of a vocabulary term inside ``text`` (the text included)."""
    vocab, stop = T.load_vocabulary(), T.load_stopterms()
    parts = {text[i:j] for i in range(len(text)) for j in range(i + 2, len(text) + 1)}
    return max((history.share(p) for p in parts if p in vocab and p not in stop), default=0.0)


# --------------------------------------------------------------------------- ranking


def rank_directions(
    items: Sequence[DirectionInput],
    history: Sequence[str] | HistoryStats,
    *,
    limit: int = 10,
    segmentations: Sequence[Segmentation | None] = (),
    segmented: Callable[[int, Segmentation], None] | None = None,
) -> list[Direction]:
    """The period's research directions, best first (deterministic for the same inputs).
    ``segmentations`` are the items' stored word boundaries, where known; ``segmented`` hears of
    each one made here (see ``collect``)."""
    hist = history if isinstance(history, HistoryStats) else HistoryStats.from_texts(history)
    kept, now_chars = collect(items, segmentations, segmented)
    familiarity = T.general_frequencies(c.text for c in kept)
    framing = [_framing(item) for item in items]
    for c in kept:
        c.score = _base_score(c, items, familiarity[c.text], framing)
    kept.sort(key=lambda c: (-c.score, c.text))
    kept = kept[:MAX_CANDIDATES]
    for c in kept:
        c.score *= _novelty(c, hist, now_chars) * _relevance(c, hist)
    kept = [c for c in kept if c.score > 0]
    kept.sort(key=lambda c: (-c.score, -len(c.text), c.text))

    clusters = cluster_candidates(kept)

    scored: list[tuple[Direction, int]] = []
    for cl, facets, home in merge_facets(clusters, items):
        word = cl[0]
        others = [m.text for m in cl if m is not word]
        wording = phrase_direction(word.text, others)
        bonus = 1.0 + min(0.5, 0.1 * (len(cl) - 1))
        terms = (wording.removesuffix(DIRECTION_SUFFIX), word.text)
        chosen = evidence(cl, items, terms, lambda o: _framed(o, framing))
        scored.append(
            (
                Direction(
                    direction=wording,
                    terms=listed_terms([word.text, *others[:4], *(f[0].text for f in facets)]),
                    score=round(cl[0].score * bonus, 4),
                    evidence=evidence_values(chosen, items, terms),
                    reason=reason(word.text, chosen, cl, items, hist),
                ),
                home,
            )
        )
    return diversify(scored, limit)


# --------------------------------------------------------------------------- topic watchlist


def topic_hits(topics: Sequence[Topic], text: str) -> list[tuple[Topic, list[str]]]:
    """Watchlist topics whose keywords occur in ``text``, each with the sentences (up to 5) that
    contain a keyword. Sentences end only at 。！？；, and line breaks inside them are removed, so
    a PDF line wrap does not hide a keyword (本科层\n次职业教育)."""
    pieces = split_sentences(text, breaks="paragraph", need_word=False)
    sents = [s for s in (_TOPIC_WRAP.sub("", p).strip() for p in pieces) if s]
    copies = [squeeze(s) for s in sents]
    out: list[tuple[Topic, list[str]]] = []
    for topic in topics:
        keys = [squeeze(k) for k in topic.keywords if k.strip()]
        found = [s for s, c in zip(sents, copies, strict=True) if any(k in c for k in keys)]
        if found:
            out.append((topic, found[:MAX_TOPIC_SENTENCES]))
    return out


_TOPIC_WRAP = re.compile(r"\s*\n\s*")
MAX_TOPIC_SENTENCES = 5


# --------------------------------------------------------------------------- store-backed wrapper


class DirectionStore(Protocol):
    """What ranking a period needs from the store (segmentations: each version's words, kept
    so that a version is segmented once)."""

    def documents_changed_between(self, start: str, end: str) -> list[DocumentRow]: ...
    def documents(self, *, limit: int = ...) -> list[DocumentRow]: ...
    def document(self, document_id: int) -> DocumentRow | None: ...
    def versions(self, document_id: int) -> list[VersionRow]: ...
    def section_tree(self, version_id: int) -> Section: ...
    def comparisons(
        self, *, new_document_id: int | None = None, since: str | None = None
    ) -> list[ComparisonRow]: ...
    def changes(
        self, *, since: str | None = None, document_id: int | None = None
    ) -> list[ChangeRow]: ...
    def segmentations(self, version_ids: Iterable[int]) -> dict[int, Segmentation]: ...
    def save_segmentations(self, segmentations: Mapping[int, Segmentation]) -> None: ...
    def stored_ranking(
        self, bounds: tuple[str, str], *, analyser: str, limit: int
    ) -> list[Direction] | None: ...


def directions_for_period(
    store: DirectionStore, start_iso: str, end_iso: str, *, limit: int = 10
) -> list[Direction]:
    """Directions of the documents stored (new or changed) in [start, end), against everything
    stored before ``start``. Section statuses come from stored version diffs and comparisons.

    The stored ranking of exactly these bounds is returned while it is fresh (the pipeline's
    ranking job made it and nothing was stored since), so readers (the digest, the CLI) do not
    rank again. Otherwise each version is segmented once: segmentations made here are stored
    for the next ranking."""
    stored = store.stored_ranking((start_iso, end_iso), analyser=analyser(), limit=limit)
    if stored is not None:
        return stored
    items: list[DirectionInput] = []
    version_ids: list[int] = []
    # In URL order, not id order: ids follow which fetch finished first, and ties in the ranking
    # are broken by input order, so the same week must always give the same inputs.
    changed = sorted(store.documents_changed_between(start_iso, end_iso), key=lambda d: d.url)
    for doc in changed:
        versions = store.versions(doc.id)
        in_period = [v for v in versions if start_iso <= v.fetched_at < end_iso]
        if not in_period:
            continue
        current = in_period[-1]
        statuses, default, against = _statuses(
            store, doc.id, current.id, versions[0].id == in_period[0].id
        )
        tree = store.section_tree(current.id)
        items.append(
            DirectionInput.from_tree(
                tree,
                title=current.title,
                level=doc.level,
                source_id=doc.source_id,
                url=doc.url,
                document_id=doc.id,
                statuses=statuses,
                default=default,
                compared_with=against,
            )
        )
        version_ids.append(current.id)
    known = store.segmentations(version_ids)
    made: dict[int, Segmentation] = {}
    found = rank_directions(
        items,
        _history(store, start_iso),
        limit=limit,
        segmentations=[known.get(v) for v in version_ids],
        segmented=lambda i, seg: made.__setitem__(version_ids[i], seg),
    )
    if made:
        store.save_segmentations(made)
    return found


def _statuses(
    store: DirectionStore, document_id: int, version_id: int, first_in_period: bool
) -> tuple[dict[str, SectionStatus], SectionStatus, str]:
    """Section statuses of a version and what they compare with: its comparison with a parent
    when stored, else the diff against the previous version; a brand-new document without
    either is all new (compared with nothing)."""
    statuses: dict[str, SectionStatus] = {}
    for row in store.comparisons(new_document_id=document_id):
        if row.new_version_id != version_id:
            continue
        for sec in row.comparison.sections:
            statuses[sec.new_id] = sec.status
        parent = store.document(row.old_document_id)
        return statuses, None, f"上位文件《{parent.title}》" if parent else "上位文件"
    changes = [
        r
        for r in store.changes(document_id=document_id)
        if r.new_version_id == version_id and not r.flip_flop
    ]
    if changes:
        for ch in changes[-1].changes:
            if ch.new_id is not None:
                statuses[ch.new_id] = "new" if ch.kind == "added" else "changed"
        return statuses, "same", "上一版本"
    return statuses, "new" if first_in_period else None, ""


def _history(store: DirectionStore, start_iso: str) -> HistoryStats:
    """Texts of the latest version of every document as it stood before ``start``."""
    texts: list[str] = []
    for doc in store.documents(limit=1_000_000):
        if doc.first_seen >= start_iso:
            continue
        before = [v for v in store.versions(doc.id) if v.fetched_at < start_iso]
        if before:
            texts.append(before[-1].text)
    return HistoryStats.from_texts(texts)
