"""Grouping a week's ranked candidates into directions: near-duplicates linked into clusters, the
facets of a document's own subject folded into its one direction, and the final list chosen so
that it spans the period's documents. Pure; used by ``watcher.analysis.directions``."""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

from watcher.analysis.candidates import Candidate, DirectionInput, Occurrence
from watcher.analysis.phrasing import near_duplicate
from watcher.models import Direction
from watcher.text import terms as T
from watcher.text.identity import unwrap_title

__all__ = ["DIVERSITY_DECAY", "cluster_candidates", "diversify", "merge_facets"]

#: Each further direction drawn mainly from the same document is discounted by this factor
#: when choosing the list (a bulletin's directions should span the period's documents).
DIVERSITY_DECAY = 0.75


def cluster_candidates(kept: Sequence[Candidate]) -> list[list[Candidate]]:
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


def merge_facets(
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
        host = [dataclasses.replace(host[0], score=best), *host[1:]]
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


def diversify(scored: Sequence[tuple[Direction, int]], limit: int) -> list[Direction]:
    """Pick best first, discounting each further direction from the same document by
    DIVERSITY_DECAY, so one long document cannot fill the whole list; each keeps the discounted
    score it was picked on, so the list is in score order. Directions phrased alike (a term and
    its head-noun extension) are kept once."""
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
        # the score shown is the one the choice was made on, so the list reads in score order
        out.append(dataclasses.replace(d, score=round(d.score * DIVERSITY_DECAY ** taken[home], 4)))
        taken[home] += 1
    return out
