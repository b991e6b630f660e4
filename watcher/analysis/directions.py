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

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Protocol

from watcher.analysis.candidates import (
    Candidate,
    DirectionInput,
    HistoryStats,
    Occurrence,
    SectionInput,
    SectionStatus,
    collect,
    heading_words,
)
from watcher.config import Topic
from watcher.models import LEVEL_WEIGHT, Direction, Evidence, Section
from watcher.records import ChangeRow, ComparisonRow, DocumentRow, VersionRow
from watcher.text import terms as T
from watcher.text.identity import unwrap_title
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
#: Bonus when a term sits in a title, heading or the lead sentence of a section: in full when
#: the term is the title's subject or names at least HEADING_COVERAGE of a heading (六是低空经济:
#: the section is about it), half when it is only mentioned there.
PROMINENCE_BONUS = 0.35
HEADING_COVERAGE = 0.5
#: Level weight for documents of unknown level.
DEFAULT_LEVEL_WEIGHT = 0.5
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
#: How many sentences of evidence each direction keeps.
MAX_EVIDENCE = 3
#: Evidence sentences longer than this are cut around the term.
MAX_SENTENCE_CHARS = 160
#: Only this many best candidates are checked against the history (substring counts cost time).
MAX_CANDIDATES = 400
#: Each further direction drawn mainly from the same document is discounted by this factor
#: when choosing the list (a bulletin's directions should span the period's documents).
DIVERSITY_DECAY = 0.75
#: Suffix of a direction in the bulletin's style.
DIRECTION_SUFFIX = "研究"
#: Relevance to what the watched sources already discuss: a term built on a vocabulary term that
#: many history documents use (新一代人工智能 on 人工智能) is a new turn of a standing theme and
#: counts up to (1 + RELEVANCE_WEIGHT) times; RELEVANCE_SHARE of the history using it is full.
RELEVANCE_WEIGHT = 1.0
RELEVANCE_SHARE = 0.5
#: Relative rise over the history (now vs. before) at which a known term counts as fully rising.
FULL_RISE = 50.0


# --------------------------------------------------------------------------- scoring


def _weight(level: str | None) -> float:
    return LEVEL_WEIGHT.get(level or "", DEFAULT_LEVEL_WEIGHT)


def _item_weight(item: DirectionInput) -> float:
    """Authority of a document: its level, discounted for event and list notices."""
    kind = EVENT_NOTICE_WEIGHT if _EVENT_TITLE.search(item.title or "") else 1.0
    return _weight(item.level) * kind


def _base_score(c: Candidate, items: Sequence[DirectionInput]) -> float:
    """Everything but novelty against the history: authority × repetition × status × prominence
    × frequency × spread × length × unfamiliarity × kind."""
    docs = sorted({o.item for o in c.occs})
    weights = sorted((_item_weight(items[d]) for d in docs), reverse=True)
    authority = weights[0] + 0.2 * sum(weights[1:])
    sources = {items[d].source_id or f"#{d}" for d in docs}
    repetition = 1.0 + 0.3 * (len(sources) - 1)
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
    familiar = 1.0 / (1.0 + FAMILIARITY * math.log10(1 + T.general_frequency(c.text)))
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
    """「term研究」, keeping a mechanism/system word a member adds, with the policy verb before
    it (就业促进 + 就业促进机制 → 就业促进机制研究; 高质量充分就业 + 高质量充分就业促进机制 →
    高质量充分就业促进机制研究)."""
    best = term
    for m in members:
        rest = m[len(term) :] if m.startswith(term) else ""
        head = next((h for h in T.PHRASE_HEADS if rest.endswith(h)), None)
        if head and (rest == head or rest[: -len(head)] in T.INVERT_LEADING):
            best = m
            break
    best = best.rstrip("+")
    return best if best.endswith(DIRECTION_SUFFIX) else best + DIRECTION_SUFFIX


def _first_in(copy: str, terms: Sequence[str]) -> str:
    return next((t for t in terms if t in copy), terms[-1])


def _cut(sentence: str, term: str) -> str:
    s = sentence.strip()
    if len(s) <= MAX_SENTENCE_CHARS:
        return s
    pos = max(T.matching_copy(s).find(term), 0)
    start = max(0, min(pos - MAX_SENTENCE_CHARS // 3, len(s) - MAX_SENTENCE_CHARS))
    return ("…" if start else "") + s[start : start + MAX_SENTENCE_CHARS] + "…"


def _evidence(
    occs: Sequence[Occurrence], items: Sequence[DirectionInput], terms: Sequence[str]
) -> tuple[Evidence, ...]:
    """Up to MAX_EVIDENCE sentences, those holding the first of ``terms`` (the wording) first."""

    def key(o: Occurrence) -> tuple[int, float, int, float, int, int]:
        title_only = int(o.section == "" and o.order == 1)
        lacks_term = next((k for k, t in enumerate(terms) if t in o.copy), len(terms))
        return (
            lacks_term,
            -_weight(items[o.item].level),
            title_only,
            -STATUS_WEIGHT.get(o.status, STATUS_WEIGHT[None]),
            o.item,
            o.order,
        )

    ranked = sorted(occs, key=key)
    chosen: list[Occurrence] = []
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
        Evidence(
            title=items[o.item].title,
            section=o.section,
            sentence=_cut(o.sentence, _first_in(o.copy, terms)),
            url=items[o.item].url,
            document_id=items[o.item].document_id,
        )
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
    kept, now_chars = collect(items)
    for c in kept:
        c.score = _base_score(c, items)
    kept.sort(key=lambda c: (-c.score, c.text))
    kept = kept[:MAX_CANDIDATES]
    for c in kept:
        c.score *= _novelty(c, hist, now_chars) * _relevance(c, hist)
    kept = [c for c in kept if c.score > 0]
    kept.sort(key=lambda c: (-c.score, -len(c.text), c.text))

    clusters = _clusters(kept)

    scored: list[tuple[Direction, int]] = []
    for cl, facets, home in _merge_facets(clusters, items):
        rep = cl[0]
        members = [m.text for m in cl]
        bonus = 1.0 + min(0.5, 0.1 * (len(cl) - 1))
        wording = phrase_direction(rep.text, members[1:])
        occs = [o for m in cl for o in m.occs]
        terms = [*members[:4], *(f[0].text for f in facets)]
        scored.append(
            (
                Direction(
                    direction=wording,
                    terms=tuple(dict.fromkeys(terms))[:8],
                    score=round(rep.score * bonus, 4),
                    evidence=_evidence(
                        occs, items, (wording.removesuffix(DIRECTION_SUFFIX), rep.text)
                    ),
                ),
                home,
            )
        )
    return _diversify(scored, limit)


def _clusters(kept: Sequence[Candidate]) -> list[list[Candidate]]:
    """Near-duplicates linked transitively (协同育人 · 协同育人机制 · 学校家庭社会协同育人机制 ·
    学校家庭社会协同育人), so the grouping does not depend on which variant scored first. Each
    cluster is best first; clusters are in the order of their best member."""
    parent = list(range(len(kept)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Two-character words (合作, 成长) would chain unrelated themes (校企合作 · 交流合作), so they
    # link nothing: each joins the best cluster that holds it, once the others are linked.
    short = [i for i, c in enumerate(kept) if len(c.text) <= 2]
    longer = [i for i, c in enumerate(kept) if len(c.text) > 2]
    for i, j in itertools.combinations(longer, 2):
        if near_duplicate(kept[i].text, kept[j].text):
            parent[max(root(i), root(j))] = min(root(i), root(j))
    for i in short:
        host = next((j for j in longer if near_duplicate(kept[i].text, kept[j].text)), None)
        if host is not None:
            parent[i] = root(host)
    groups: dict[int, list[Candidate]] = {}
    for i, c in enumerate(kept):
        groups.setdefault(root(i), []).append(c)
    return sorted(groups.values(), key=lambda g: kept.index(g[0]))


def _merge_facets(
    clusters: Sequence[list[Candidate]], items: Sequence[DirectionInput]
) -> list[tuple[list[Candidate], list[list[Candidate]], int]]:
    """Fold the clusters of one document that name its subject into one direction: 就业公共服务
    and 就业促进机制 are facets of a 就业 document's leading direction, not directions of their
    own. The subject is the title word the document uses most; the direction is worded by the
    cluster that is the subject itself when there is one (学校家庭社会协同育人 of a 学校家庭社会
    协同育人 plan), else by the best. Other themes of the document stay apart. Each comes with
    its home document (``_home``)."""
    groups: dict[tuple[int, str], list[list[Candidate]]] = {}
    order: list[tuple[int, str] | int] = []
    subject_word: dict[int, str] = {}
    homes = [_home([o for m in cl for o in m.occs]) for cl in clusters]
    for k, cl in enumerate(clusters):
        home = homes[k]
        if home not in subject_word:
            subject_word[home] = _subject_word(items[home])
        word = subject_word[home]
        if word and word in cl[0].text:
            key = (home, word)
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(cl)
        else:
            order.append(k)
    out: list[tuple[list[Candidate], list[list[Candidate]], int]] = []
    for entry in order:
        if isinstance(entry, int):
            out.append((list(clusters[entry]), [], homes[entry]))
            continue
        group = groups[entry]
        subject = _title_subject(items[entry[0]].title)
        named = [cl for cl in group if cl[0].text in subject]
        host = max(named, key=lambda cl: len(cl[0].text)) if named else group[0]
        best = max(cl[0].score for cl in group)
        host = [Candidate(host[0].text, host[0].kind, host[0].occs, best), *host[1:]]
        out.append((host, [cl for cl in group if cl[0].text != host[0].text], entry[0]))
    return out


def _subject_word(item: DirectionInput) -> str:
    """The word of a document's title subject (vocabulary or generic policy word) that its
    sentences use most: 就业 for a 就业 意见."""
    words = _subject_words(item.title)
    if not words:
        return ""
    text = "".join(T.matching_copy(s.text) for s in item.sections)
    return max(sorted(words), key=lambda w: (text.count(w), len(w)))


@lru_cache(maxsize=4096)
def _title_subject(title: str) -> str:
    """What a title is about: the transmitted document's title after 关于 (matching copy)."""
    return T.matching_copy(unwrap_title(title)).rsplit("关于", 1)[-1]


@lru_cache(maxsize=4096)
def _subject_words(title: str) -> frozenset[str]:
    """Vocabulary and generic policy words (two characters or more) of what a title is about:
    the part after 关于, without the issuing body (教育 of 教育委员会 is not the subject)."""
    subject = _title_subject(title)
    words = T.load_vocabulary() | T.load_stopterms()
    return frozenset(
        subject[i:j]
        for i in range(len(subject))
        for j in range(i + 2, min(len(subject), i + 12) + 1)
        if subject[i:j] in words
    )


def _home(occs: Sequence[Occurrence]) -> int:
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
        best = min(
            range(len(pool)),
            key=lambda i: (-pool[i][0].score * DIVERSITY_DECAY ** taken[pool[i][1]], i),
        )
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
    """What ranking a period needs from the store."""

    def documents_changed_between(self, start: str, end: str) -> list[DocumentRow]: ...
    def documents(self, *, limit: int = ...) -> list[DocumentRow]: ...
    def versions(self, document_id: int) -> list[VersionRow]: ...
    def section_tree(self, version_id: int) -> Section: ...
    def comparisons(
        self, *, new_document_id: int | None = None, since: str | None = None
    ) -> list[ComparisonRow]: ...
    def changes(
        self, *, since: str | None = None, document_id: int | None = None
    ) -> list[ChangeRow]: ...


def directions_for_period(
    store: DirectionStore, start_iso: str, end_iso: str, *, limit: int = 10
) -> list[Direction]:
    """Directions of the documents stored (new or changed) in [start, end), against everything
    stored before ``start``. Section statuses come from stored version diffs and comparisons."""
    items: list[DirectionInput] = []
    # In URL order, not id order: ids follow which fetch finished first, and ties in the ranking
    # are broken by input order, so the same week must always give the same inputs.
    changed = sorted(store.documents_changed_between(start_iso, end_iso), key=lambda d: d.url)
    for doc in changed:
        versions = store.versions(doc.id)
        in_period = [v for v in versions if start_iso <= v.fetched_at < end_iso]
        if not in_period:
            continue
        current = in_period[-1]
        statuses, default = _statuses(store, doc.id, current.id, versions[0].id == in_period[0].id)
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
            )
        )
    return rank_directions(items, _history(store, start_iso), limit=limit)


def _statuses(
    store: DirectionStore, document_id: int, version_id: int, first_in_period: bool
) -> tuple[dict[str, SectionStatus], SectionStatus]:
    """Section statuses of a version: from its comparison with a parent when stored, else from
    the diff against the previous version; a brand-new document without either is all new."""
    statuses: dict[str, SectionStatus] = {}
    for row in store.comparisons(new_document_id=document_id):
        if row.new_version_id != version_id:
            continue
        for sec in row.comparison.sections:
            statuses[sec.new_id] = sec.status
        return statuses, None
    changes = [
        r
        for r in store.changes(document_id=document_id)
        if r.new_version_id == version_id and not r.flip_flop
    ]
    if changes:
        for ch in changes[-1].changes:
            if ch.new_id is not None:
                statuses[ch.new_id] = "new" if ch.kind == "added" else "changed"
        return statuses, "same"
    return statuses, "new" if first_in_period else None


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
