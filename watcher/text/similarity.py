"""Text similarity and alignment helpers shared by ``diff`` and ``compare``.

Chinese has no spaces, so texts are compared as bags of character 2- and 3-grams taken from their
match keys (width and whitespace folded), weighted by TF-IDF and scored by cosine similarity.
Everything is plain Python dicts: sparse vectors are ``dict[str, float]`` and a similarity matrix
is computed through an inverted index so only shared n-grams cost time. The module also wraps
diff-match-patch into ``InlineOp`` tuples, diffing the folded forms (``keys.fold_char``) so
cosmetic variants never show as changes. In: strings; out: vectors, scores and ``InlineOp``s.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

from diff_match_patch import diff_match_patch

from watcher.models import InlineOp
from watcher.text.keys import fold_char, word_key

__all__ = [
    "Vector",
    "best_pairs",
    "char_diff",
    "dice",
    "document_frequencies",
    "has_edits",
    "ngrams",
    "similarity_matrix",
    "tfidf_vectors",
]

Vector = dict[str, float]

# --------------------------------------------------------------------------- constants (data)

#: n-gram sizes used for similarity (2-grams carry most words, 3-grams reward longer runs).
NGRAM_SIZES: tuple[int, ...] = (2, 3)


# --------------------------------------------------------------------------- TF-IDF


def ngrams(text: str, sizes: Sequence[int] = NGRAM_SIZES) -> Counter[str]:
    """Character n-grams of the word key of ``text`` (never spanning punctuation)."""
    grams: Counter[str] = Counter()
    for run in word_key(text).split("|"):
        for n in sizes:
            for i in range(len(run) - n + 1):
                grams[run[i : i + n]] += 1
    return grams


def document_frequencies(counts: Sequence[Counter[str]]) -> tuple[Counter[str], dict[str, float]]:
    """How many of the texts each n-gram occurs in, and its smoothed idf."""
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    n = len(counts)
    return df, {g: math.log((n + 1) / (d + 1)) + 1.0 for g, d in df.items()}


def tfidf_vectors(
    texts: Sequence[str], *, counts: Sequence[Counter[str]] | None = None
) -> list[Vector]:
    """L2-normalised TF-IDF vectors (sublinear tf, smoothed idf) over the given texts (or over
    their ``ngrams`` counts, when the caller already has them)."""
    if counts is None:
        counts = [ngrams(t) for t in texts]
    _, idf = document_frequencies(counts)
    vectors: list[Vector] = []
    for c in counts:
        vec = {g: (1.0 + math.log(k)) * idf[g] for g, k in c.items()}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        vectors.append({g: w / norm for g, w in vec.items()} if norm else {})
    return vectors


def similarity_matrix(rows: Sequence[Vector], cols: Sequence[Vector]) -> list[list[float]]:
    """``m[i][j]`` = cosine of ``rows[i]`` and ``cols[j]``, computed through an inverted index of ``cols``."""
    postings: dict[str, list[tuple[int, float]]] = {}
    for j, vec in enumerate(cols):
        for g, w in vec.items():
            postings.setdefault(g, []).append((j, w))
    matrix: list[list[float]] = []
    for vec in rows:
        scores = [0.0] * len(cols)
        for g, w in vec.items():
            for j, w2 in postings.get(g, ()):
                scores[j] += w * w2
        matrix.append(scores)
    return matrix


def dice(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two short phrases (used for target subjects)."""
    ga, gb = ngrams(a, (1, 2)), ngrams(b, (1, 2))
    if not ga or not gb:
        return 0.0
    shared = sum((ga & gb).values())
    return 2.0 * shared / (sum(ga.values()) + sum(gb.values()))


# --------------------------------------------------------------------------- character diff


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    chars: list[str] = []
    positions: list[int] = []
    for i, ch in enumerate(text):
        for out in fold_char(ch):
            chars.append(out)
            positions.append(i)
    return "".join(chars), positions


def char_diff(old: str, new: str, *, timeout: float = 1.0) -> tuple[InlineOp, ...]:
    """Character-level diff of two short texts with semantic cleanup.

    The diff runs on the folded forms (so width, whitespace and dash variants never show as
    changes) and the result is mapped back onto the original characters: equal and inserted runs
    come from ``new``, deleted runs from ``old``. Call it on aligned sections or sentences only.
    """
    fold_old, pos_old = _folded_with_positions(old)
    fold_new, pos_new = _folded_with_positions(new)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    diffs = dmp.diff_main(fold_old, fold_new)
    dmp.diff_cleanupSemantic(diffs)
    ops: list[InlineOp] = []
    i_old = i_new = 0
    last_old = last_new = 0  # original offsets already emitted

    def take(text: str, positions: list[int], start: int, end: int, last: int) -> tuple[str, int]:
        # Original slice covering folded chars [start, end), extended over dropped whitespace.
        if start >= end:
            return "", last
        lo = last
        hi = positions[end] if end < len(positions) else len(text)
        return text[lo:hi], hi

    for op, chunk in diffs:
        n = len(chunk)
        if op == 0:
            piece, last_new = take(new, pos_new, i_new, i_new + n, last_new)
            _, last_old = take(old, pos_old, i_old, i_old + n, last_old)
            i_old += n
            i_new += n
            _append(ops, "equal", piece)
        elif op == 1:
            piece, last_new = take(new, pos_new, i_new, i_new + n, last_new)
            i_new += n
            _append(ops, "insert", piece)
        else:
            piece, last_old = take(old, pos_old, i_old, i_old + n, last_old)
            i_old += n
            _append(ops, "delete", piece)
    if last_new < len(new):  # trailing whitespace after the last folded char
        _append(ops, "equal", new[last_new:])
    return tuple(ops)


def _append(ops: list[InlineOp], op: str, text: str) -> None:
    if not text:
        return
    if op in ("insert", "delete") and not text.strip():
        op = "equal" if op == "insert" else ""
        if not op:
            return  # removed whitespace is cosmetic: nothing to show
    if ops and ops[-1].op == op:
        ops[-1] = InlineOp(ops[-1].op, ops[-1].text + text)
    else:
        ops.append(InlineOp(op, text))  # type: ignore[arg-type]


def has_edits(ops: Sequence[InlineOp]) -> bool:
    """True when ``ops`` contain an insertion or deletion of a non-blank character."""
    return any(o.op != "equal" and o.text.strip() for o in ops)


def best_pairs(
    matrix: Sequence[Sequence[float]],
    threshold: float,
    *,
    allowed: Callable[[int, int], bool] | None = None,
) -> list[tuple[int, int, float]]:
    """Greedy one-to-one pairing: highest score first, each row and column used once, scores
    below ``threshold`` never paired."""
    cells = [
        (s, i, j)
        for i, row in enumerate(matrix)
        for j, s in enumerate(row)
        if s >= threshold and (allowed is None or allowed(i, j))
    ]
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    out: list[tuple[int, int, float]] = []
    for s, i, j in cells:
        if i in used_rows or j in used_cols:
            continue
        used_rows.add(i)
        used_cols.add(j)
        out.append((i, j, s))
    return out
