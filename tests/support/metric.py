"""Main-text extraction metric shared by the quality-gate test and bench/bench_extract.py.

The Scrapinghub article-extraction-benchmark definition adapted to Chinese (see
../shared/extract-dev/README.md): tokens are ``\\w+`` runs except that every Han/Kana character
is its own token; shingles are runs of 4 consecutive tokens counted as a multiset; per page
P = TP/(TP+FP) and R = TP/(TP+FN); the set's P and R are page means (a page with empty output is
left out of P's mean but counts 0 in R's); F1 = 2PR/(P+R).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# One Han/Kana character per token; other word characters grouped into runs.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
SHINGLE = 4


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    toks = tokens(text)
    if len(toks) < n:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


@dataclass(frozen=True)
class PageScore:
    precision: float | None  # None when the output was empty
    recall: float


def score_page(predicted: str, gold: str) -> PageScore:
    pred = shingles(predicted)
    ref = shingles(gold)
    if not pred:
        return PageScore(None, 0.0)
    tp = sum((pred & ref).values())
    precision = tp / sum(pred.values())
    recall = tp / sum(ref.values()) if ref else 1.0
    return PageScore(precision, recall)


@dataclass(frozen=True)
class SetScore:
    precision: float
    recall: float
    f1: float
    pages: int


def score_set(scores: Iterable[PageScore]) -> SetScore:
    items = list(scores)
    ps = [s.precision for s in items if s.precision is not None]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(s.recall for s in items) / len(items) if items else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return SetScore(p, r, f1, len(items))
