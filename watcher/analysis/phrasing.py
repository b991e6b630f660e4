"""How a ranked theme is put to the editors: its wording as a research topic (「…研究」), the terms
listed with it, its evidence sentences and its 推荐理由.

- The wording is the cluster's best member (a term that mostly stands inside a longer phrase,
  such as 协同育人 inside 学校家庭社会协同育人, scores below that phrase), with a
  mechanism/system word a member adds (就业促进 + 机制 → 就业促进机制研究).
- Listed terms leave out short fragments of longer listed ones (产教 and 融合 of 产教融合).
- Evidence sentences hold the wording's term, standing on its own where any sentence has it so
  (not only inside 《…》 or a narrower phrase), one per document first, most authoritative first.
- The 推荐理由 says which new document and which part of it, what is new there (against the
  parent document or the previous version, and against the history), and who else says it.

Pure; used by ``watcher.analysis.directions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from watcher.analysis.candidates import (
    STATUS_WEIGHT,
    Candidate,
    DirectionInput,
    HistoryStats,
    Occurrence,
    level_weight,
)
from watcher.labels import LEVEL_LABEL
from watcher.models import Evidence
from watcher.text import terms as T
from watcher.text.numerals import cn_numeral

__all__ = [
    "DIRECTION_SUFFIX",
    "MAX_EVIDENCE",
    "MAX_SENTENCE_CHARS",
    "evidence",
    "evidence_values",
    "listed_terms",
    "near_duplicate",
    "phrase_direction",
    "reason",
]

#: How many sentences of evidence each direction keeps.
MAX_EVIDENCE = 3
#: Evidence sentences longer than this are cut around the term.
MAX_SENTENCE_CHARS = 160
#: Suffix of a direction in the bulletin's style.
DIRECTION_SUFFIX = "研究"
#: Listed terms this short are left out when a longer listed term contains them, even when
#: they are vocabulary terms.
FRAGMENT_CHARS = 2
#: A quoted clause of the 推荐理由 is cut to about this many characters around the term.
MAX_CLAUSE_CHARS = 40
#: A term that this share of the history uses at most is called rare in the 推荐理由.
RARE_SHARE = 0.2

_CLAUSE_END = re.compile(r"(?<=[，；：,;:。！？])")


# --------------------------------------------------------------------------- wording


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


def listed_terms(terms: Sequence[str], limit: int = 8) -> tuple[str, ...]:
    """The terms shown with a direction, without fragments of longer ones: 产教融合, not 产教 and
    融合 as well; 义务教育优质均衡, not 教育优质. A vocabulary term stays, and so does the base of
    a listed 「term + mechanism word」 (就业促进 beside 就业促进机制)."""
    unique = list(dict.fromkeys(terms))
    vocab = T.load_vocabulary()

    def fragment(t: str) -> bool:
        containers = [o for o in unique if t in o and t != o]
        if not containers or (t in vocab and len(t) > FRAGMENT_CHARS):
            return False
        return not any(o.startswith(t) and o[len(t) :] in T.HEAD_NOUNS for o in containers)

    return tuple([t for t in unique if not fragment(t)][:limit])


# --------------------------------------------------------------------------- evidence


def _first_in(copy: str, terms: Sequence[str]) -> str:
    return next((t for t in terms if t in copy), terms[-1])


def _cut(sentence: str, term: str) -> str:
    s = sentence.strip()
    if len(s) <= MAX_SENTENCE_CHARS:
        return s
    pos = max(T.matching_copy(s).find(term), 0)
    start = max(0, min(pos - MAX_SENTENCE_CHARS // 3, len(s) - MAX_SENTENCE_CHARS))
    return ("…" if start else "") + s[start : start + MAX_SENTENCE_CHARS] + "…"


def evidence(
    cluster: Sequence[Candidate],
    items: Sequence[DirectionInput],
    terms: Sequence[str],
    framing: Callable[[Occurrence], bool] = lambda o: False,
) -> list[Occurrence]:
    """Up to MAX_EVIDENCE sentences that hold one of ``terms`` (the wording first), preferring
    those where it stands on its own and those that set tasks over ``framing`` ones (goals,
    guiding ideas, closing calls); one per document first (evidence should show the
    repetition), the most authoritative first."""
    own: set[tuple[int, int]] = set()
    for m in cluster:
        if m.text in terms:
            own |= m.own
    occs = {(o.item, o.order): o for m in cluster for o in m.occs}.values()
    holding = [o for o in occs if any(t in o.copy for t in terms)]
    pool = [o for o in holding if (o.item, o.order) in own] or holding or list(occs)

    def key(o: Occurrence) -> tuple[int, int, float, int, float, int, int]:
        title_only = int(o.section == "" and o.order == 1)
        lacks_term = next((k for k, t in enumerate(terms) if t in o.copy), len(terms))
        return (
            lacks_term,
            int(framing(o)),
            -level_weight(items[o.item].level),
            title_only,
            -STATUS_WEIGHT.get(o.status, STATUS_WEIGHT[None]),
            o.item,
            o.order,
        )

    ranked = sorted(pool, key=key)
    chosen: list[Occurrence] = []
    seen: set[str] = set()
    for per_doc in (True, False):
        for o in ranked:
            if len(chosen) >= MAX_EVIDENCE:
                break
            if o.sentence in seen or (per_doc and any(c.item == o.item for c in chosen)):
                continue
            chosen.append(o)
            seen.add(o.sentence)
    return chosen


def evidence_values(
    chosen: Sequence[Occurrence], items: Sequence[DirectionInput], terms: Sequence[str]
) -> tuple[Evidence, ...]:
    """The chosen sentences as ``Evidence`` (cut around the term when long)."""
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


# --------------------------------------------------------------------------- 推荐理由


def reason(
    term: str,
    chosen: Sequence[Occurrence],
    cluster: Sequence[Candidate],
    items: Sequence[DirectionInput],
    history: HistoryStats,
) -> str:
    """Two or three sentences: where the new document says it, what is new there, and who else
    says it (「《A》（国家文件）在「（二）…」部分提出“…”。与上位文件相比，这部分是新增内容。本期另有《B》
    也提到这一主题。」)."""
    if not chosen:
        return ""
    first = chosen[0]
    item = items[first.item]
    said = f"《{_short_title(item.title)}》（{_level(item.level)}）{_where(item, first)}提出“{_clause(first, term)}”。"
    more = [s for s in (_what_is_new(item, first), _novelty(term, history)) if s]
    others = sorted({o.item for m in cluster for o in m.occs} - {first.item})
    if others:
        k = len(others)
        name = _short_title(items[others[0]].title)
        more.append(f"本期另有《{name}》{f'等{_count(k)}份文件' if k > 1 else ''}也提到这一主题。")
    return said + "".join(more[:2])


def _short_title(title: str) -> str:
    """A title without the 《》 of a transmitted document, cut when very long."""
    t = title.strip()
    return t if len(t) <= 48 else t[:46] + "…"


def _level(level: str | None) -> str:
    label = LEVEL_LABEL.get(level or "", "")
    if not label:
        return "文件"
    return f"{label}{'报道' if level == 'media' else '文件'}"


def _where(item: DirectionInput, o: Occurrence) -> str:
    """「在「heading」部分」: the part the sentence comes from, named by its heading, or by the
    enclosing part's heading when the sentence is the heading itself."""
    if not o.section:
        return "在标题中" if o.order == 1 else "在开头"
    own = _heading(item, o.section)
    if own and T.matching_copy(own) != o.copy.rstrip("。：:"):
        return f"在「{own}」部分"
    parent = _heading(item, o.section.rpartition("/")[0]) if "/" in o.section else ""
    return f"在「{parent}」部分" if parent else f"在第{o.section}部分"


def _heading(item: DirectionInput, section_id: str) -> str:
    section = next((s for s in item.sections if s.id == section_id), None)
    if section is None or not section.text.strip():
        return ""
    heading = (
        T.sentences(section.text)[0].strip().rstrip("。：:") if T.sentences(section.text) else ""
    )
    return heading if len(heading) <= 30 else heading[:28] + "…"


def _clause(o: Occurrence, term: str) -> str:
    """The clause of the sentence that holds the term (cut around it when long)."""
    parts = [p for p in _CLAUSE_END.split(o.sentence.strip()) if p.strip()]
    clause = next((p for p in parts if term in T.matching_copy(p)), o.sentence.strip())
    clause = clause.strip().rstrip("，；：,;:。！？")
    if len(clause) <= MAX_CLAUSE_CHARS:
        return clause
    pos = max(T.matching_copy(clause).find(term), 0)
    start = max(0, min(pos - MAX_CLAUSE_CHARS // 3, len(clause) - MAX_CLAUSE_CHARS))
    return ("…" if start else "") + clause[start : start + MAX_CLAUSE_CHARS] + "…"


def _what_is_new(item: DirectionInput, o: Occurrence) -> str:
    """What is new in the part the evidence comes from, against what the document was compared
    with (its parent document or its previous version)."""
    against = item.compared_with
    if not against or o.status not in ("new", "changed"):
        return ""
    return f"与{against}相比，这部分{'是新增内容' if o.status == 'new' else '有调整'}。"


def _novelty(term: str, history: HistoryStats) -> str:
    """How new the term is to the documents stored before the period."""
    if not history.n_docs:
        return ""
    _, df = history.counts(term)
    n = _count(history.n_docs)
    if df == 0:
        return f"「{term}」在此前收录的{n}份文件中没有出现过。"
    if df <= RARE_SHARE * history.n_docs:
        return f"此前收录的{n}份文件中只有{_count(df)}份提到「{term}」。"
    return ""


def _count(n: int) -> str:
    """A count in Chinese numerals (两份, not 二份)."""
    return "两" if n == 2 else cn_numeral(n)
