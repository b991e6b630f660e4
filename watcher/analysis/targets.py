"""Quantitative targets of a plan and their pairing across two plans.

In: a section tree. Out: ``Target``s — a value (「90%以上」, 「4%」, 「100所」, 「1万人」,
「翻一番」), the target year in force where it appears (「到2027年」, 「2035年」, carried forward
inside a section until another year is named), the short subject phrase the value is about, and the
sentence. ``pair_targets`` lines up old and new targets by subject similarity, kind of value and year
so a reader sees 「毛入学率 60% → 65%」 side by side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from watcher.models import Section, Target, TargetPair
from watcher.text.sentences import split_sentences
from watcher.text.similarity import dice

__all__ = ["extract_targets", "pair_targets"]

# --------------------------------------------------------------------------- constants (data)

#: A target year: 「到2027年」「至2035年」「2035年前」; bare 「2035年」 counts only with those cues.
YEAR_RE = re.compile(r"(?:到|至|于|在)\s*(20\d{2})\s*年|(20\d{2})\s*年(?:前|底|末|以前)")
#: Units that make a number a count target (years and dates excluded on purpose).
COUNT_UNITS = (
    "万人次",
    "万人",
    "万名",
    "亿元",
    "万元",
    "万平方米",
    "平方米",
    "万个",
    "万所",
    "所",
    "个",
    "人",
    "名",
    "项",
    "家",
    "门",
    "本",
    "支",
    "批",
    "座",
    "处",
    "条",
    "套",
    "间",
    "部",
    "种",
    "类",
    "张",
    "台",
    "户",
    "次",
    "倍",
)
_NUM = r"\d+(?:\.\d+)?(?:[—\-～~至]\d+(?:\.\d+)?)?"
VALUE_RE = re.compile(
    rf"(?P<pct>{_NUM}\s*[%％](?:以上|左右|以下)?)"
    rf"|(?P<cnt>(?<![\d.“\"]){_NUM}\s*(?:万|亿)?\s*(?:{'|'.join(COUNT_UNITS)})(?:以上|左右)?)"
    r"|(?P<dbl>翻一番|翻两番|翻番)"
)
#: Words between a subject and its value, stripped from the subject's end.
SUBJECT_TRIM = re.compile(
    r"(?:分别|均|稳定|保持|提高|提升|增加|增长|超过|高于|不低于|不少于|突破|控制|达到|达|到|在|为|约|以上|占比|比例为|比例)+$"
)
SUBJECT_MAX = 24
#: Pairing thresholds: subject similarity (Dice of characters and bigrams).
PAIR_MIN_SUBJECT = 0.35


def _compact(text: str) -> str:
    # Hard-wrapped lines (PDF text) are joined; a line ending a sentence keeps its break.
    text = re.sub(r"(?<![。！？；：])[ \t\u3000]*\n\s*", "", text)
    # PDF text puts spaces around numbers (「2027 年」「90 %」); drop spaces next to digits.
    return re.sub(r"(?<=\d)[ \t\u3000]+|[ \t\u3000]+(?=\d)", "", text)


#: A subject this short is only a verb (「建设100所特色高中」): the words after the value say more.
SUBJECT_MIN = 3
_ASIDE_RE = re.compile(r"[（(][^（）()]*[）)]")
_CLAUSE_END = re.compile(r"[，,；;：:、。！？]")


def _subject(clause_before: str, after: str = "") -> str:
    before = _ASIDE_RE.sub("", clause_before).replace("“", "").replace("”", "").replace('"', "")
    piece = _CLAUSE_END.split(before)[-1]
    piece = YEAR_RE.sub("", SUBJECT_TRIM.sub("", piece.strip()))
    if len(piece) < SUBJECT_MIN and after:
        piece += _CLAUSE_END.split(after)[0]
        return piece[:SUBJECT_MAX]
    return piece[-SUBJECT_MAX:]


def extract_targets(section_tree: Section, side: Literal["old", "new"] = "new") -> list[Target]:
    """Every quantitative target in the tree, in document order."""
    out: list[Target] = []
    for sec in section_tree.walk():
        year: int | None = None
        text = _compact(sec.body)
        if sec.level and sec.heading:
            text = sec.heading + "。" + text
        for sentence in split_sentences(text):
            years = [int(a or b) for a, b in YEAR_RE.findall(sentence)]
            for m in VALUE_RE.finditer(sentence):
                before = sentence[: m.start()]
                ys = [int(a or b) for a, b in YEAR_RE.findall(before)]
                if ys:
                    year = ys[-1]
                elif years and year is None:
                    year = years[0]
                subject = _subject(before, sentence[m.end() :])
                out.append(Target(side, year, m.group(0), subject, sentence, sec.id))
            if years:
                year = years[-1]
    return out


def _kind(t: Target) -> str:
    if "%" in t.value or "％" in t.value:
        return "pct"
    if t.value.startswith("翻"):
        return "dbl"
    unit = re.sub(r"[\d.万亿以上左右\s]", "", t.value)
    return "cnt:" + unit


def pair_targets(old: Sequence[Target], new: Sequence[Target]) -> list[TargetPair]:
    """Old and new targets side by side: a new target is paired with the old one of the same
    kind of value whose subject is most similar (same year preferred); unpaired ones stand
    alone. New targets come in document order, then old targets nobody carried."""
    cells: list[tuple[float, int, int]] = []
    for j, t in enumerate(new):
        for i, o in enumerate(old):
            if _kind(o) != _kind(t):
                continue
            score = dice(o.subject, t.subject)
            if score < PAIR_MIN_SUBJECT:
                continue
            if o.year is not None and o.year == t.year:
                score += 0.1
            cells.append((score, i, j))
    cells.sort(key=lambda c: (-c[0], c[2], c[1]))
    by_new: dict[int, int] = {}
    used_old: set[int] = set()
    for _, i, j in cells:
        if j in by_new or i in used_old:
            continue
        by_new[j] = i
        used_old.add(i)
    pairs = [TargetPair(old[by_new[j]] if j in by_new else None, t) for j, t in enumerate(new)]
    pairs.extend(TargetPair(o, None) for i, o in enumerate(old) if i not in used_old)
    return pairs
