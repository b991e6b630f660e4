"""Term extraction for research directions: text in, candidate policy terms with their sentences out.

Splits section text into sentences, segments a matching copy of each sentence with jieba (loaded
lazily with the policy vocabulary from ``watcher/data/vocabulary.txt``), and turns runs of content
words into candidate phrases of one to three words. Phrases are canonicalised as data-driven
rules: leading governing verbs and adverbs are dropped (发展低空经济 → 低空经济), nominalisable verbs
move behind their object (促进就业 → 就业促进), and mechanism/system words stay at the end
(就业促进机制). Generic words from ``watcher/data/stopterms.txt`` are never candidates on their own.

Segmenting is the only costly step and the only one that needs jieba's dictionary (~70 MB):
``segment`` gives a sentence's word lengths, which the store keeps per version, and
``phrases_of_words`` turns words into phrases without jieba. Place names and general-language
frequencies are read from jieba's dictionary file on demand (a few MB), so ranking from stored
segmentations never loads the tokenizer. ``tokenizer_calls`` counts segmentations, so callers can
check that work is not repeated. Pure apart from the one-time initialisations; no work happens at
import time.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from watcher.text.keys import squeeze
from watcher.text.sentences import split_sentences

__all__ = [
    "HEAD_NOUNS",
    "PHRASE_HEADS",
    "SLOGAN_GOALS",
    "Phrase",
    "canonical_tokens",
    "general_frequencies",
    "general_frequency",
    "is_place_or_body",
    "load_aliases",
    "load_stopterms",
    "load_vocabulary",
    "matching_copy",
    "phrases",
    "phrases_of_words",
    "release_tokenizer",
    "segment",
    "sentences",
    "split_words",
    "tokenize",
    "tokenizer_calls",
    "tokenizer_loaded",
]

# --------------------------------------------------------------------------- heuristics as data


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Leading verbs and adverbs that govern a phrase without being part of the theme: dropped from
#: the front of a phrase (发展低空经济 → 低空经济, 加快建设教育强国 → 教育强国).
STRIP_LEADING: frozenset[str] = _words(
    "发展 推进 推动 加强 加快 完善 健全 构建 建立 建设 实施 深化 打造 培育 壮大 提升 提高 强化 "
    "优化 支持 鼓励 引导 开展 落实 探索 推广 坚持 扩大 拓展 拓宽 做好 抓好 布局 聚焦 围绕 大力 "
    "积极 全面 深入 进一步 着力 持续 不断 切实 有序 稳步 加大 统筹 发挥 用好 形成 推行 优先发展 "
    "因地制宜 努力 主动 及时 有效 充分 不断 全力 加速 着眼 面向 立足 依托 结合 通过 实现 确保 "
    "塑造 筑牢 夯实 激发 增强 组织 举办 制定 研究 部署 研判 科学 改造 规范 创新 深度 广泛 逐步 重点 突出 注重 助力 服务于 "
    "包括 例如 比如 进行 开发 建成 探索发展 前瞻布局 谋划 培养 鼓励引导 积极参与 参与 参加 加入 利用 运用 应用 采用 面对 针对 适应 满足 解决 破解 防范 化解"
)
#: Verbs that name a policy area when put behind their object (促进就业 → 就业促进,
#: 保障权益 → 权益保障, 培养人才 → 人才培养). Checked before STRIP_LEADING.
INVERT_LEADING: frozenset[str] = _words(
    "促进 保障 治理 监测 评价 评估 保护 救助 帮扶 援助 培训 管理 监管 服务 认证 认定 指导"
)
#: Mechanism/system words: kept at the end of a phrase and allowed to extend a known term
#: (就业促进 + 机制 → 就业促进机制, 新一代人工智能 + 模型 → 新一代人工智能模型).
HEAD_NOUNS: frozenset[str] = _words(
    "机制 体系 制度 模式 模型 路径 平台 生态 标准 体制 格局 战略 工程 框架 范式 共同体 联合体 "
    "集群 产业链 网络 矩阵 指数 图谱"
)
#: The head nouns a direction's wording keeps (就业促进机制研究, not 老年教育平台研究).
PHRASE_HEADS: frozenset[str] = _words("机制 体系 制度 模式 模型 路径 体制 框架 范式")
#: Government bodies that prefix a phrase without being its theme (区委宣传部, 中共重庆市…);
#: place and organisation names are recognised by jieba's dictionary tags (ns, nt) as well.
ORG_WORDS: frozenset[str] = _words(
    "中共 党委 省委 市委 区委 县委 宣传部 组织部 网信办 网信 教委 教育局 人社局 办公厅 办公室 人民政府 政府"
)
_PLACE_TAGS = frozenset({"ns", "nt"})
#: National and regional strength goals (教育强国, 科技强国, 教育强市): the slogan a plan serves,
#: named in its title and preamble, never a research topic of its own; a phrase holding one
#: (教育强国建设) is not a candidate either.
SLOGAN_GOALS: tuple[str, ...] = ("强国", "强省", "强市")
#: Trailing words that add nothing to a theme (家庭教育指导工作 → 家庭教育指导).
DROP_TRAILING: frozenset[str] = _words("工作 问题 方面 等 活动 事项 任务")
#: Words that end a run of content words (function words and quantifier-like glue).
BREAK_WORDS: frozenset[str] = _words(
    "的 和 与 及 以及 或 等 等等 是 为 在 对 把 将 从 向 于 由 被 并 并且 而 且 也 都 要 应 应当 "
    "可 可以 能 能够 已 已经 还 更 更加 最 很 其 之 所 以 个 这 那 这些 那些 一个 每 各 各个 各项 "
    "我们 他们 通过 按照 根据 关于 为了 围绕 有关 相关 中 上 下 内 外 后 前 时 年 月 日 第 名 "
    "作为 成为 提供 加以 给予 使 让 使得 进行 开展 实行 具有 属于 "
    "一是 二是 三是 四是 五是 六是 七是 八是 九是 十是 包括 如何 什么 如 即 此 其中 同时 不 没有 "
    "好 新 大 多 少 高 强 优 共 同"
)
#: Sentence ends: Chinese and ASCII terminators, semicolons and line breaks.
#: Markdown and list furniture stripped before matching (**bold**, # headings, > quotes).
_FURNITURE = re.compile(r"\*\*|^#+\s*|^>\s*|^[-*]\s+", re.M)
_CONTENT = re.compile(r"^[\u3400-\u9fff0-9A-Za-z+]+$")
_HAN = re.compile(r"[\u3400-\u9fff]")

#: How many words a candidate phrase may span.
MAX_WORDS = 3
#: Frequency jieba gives vocabulary words, high enough that they survive as single words.
_VOCAB_FREQ = 20000

PhraseKind = Literal["vocab", "compound", "extension", "single"]


@dataclass(frozen=True)
class Phrase:
    """One candidate phrase found in a sentence."""

    text: str  # canonical form, e.g. 就业促进
    tokens: tuple[str, ...]  # its words after canonicalisation
    kind: PhraseKind  # vocab term, multi-word compound, term + head noun, single word


# --------------------------------------------------------------------------- data files


def _data_lines(name: str) -> list[str]:
    text = resources.files("watcher.text.data").joinpath(name).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if line:
            out.append(line)
    return out


@cache
def load_vocabulary() -> frozenset[str]:
    """Policy terms from ``watcher/data/vocabulary.txt`` (alias lines excluded)."""
    return frozenset(line for line in _data_lines("vocabulary.txt") if "=" not in line)


@cache
def load_aliases() -> tuple[tuple[re.Pattern[str], str], ...]:
    """``variant=term`` lines of the vocabulary as (pattern, replacement), longest first."""
    pairs = [line.split("=", 1) for line in _data_lines("vocabulary.txt") if "=" in line]
    pairs.sort(key=lambda p: (-len(p[0]), p[0]))
    out = []
    for variant, term in pairs:
        v = re.escape(variant.strip())
        # Latin variants must not match inside a longer Latin word (AI in MAIL).
        pattern = rf"(?<![A-Za-z]){v}(?![A-Za-z])" if variant.isascii() else v
        out.append((re.compile(pattern), term.strip()))
    return tuple(out)


@cache
def load_stopterms() -> frozenset[str]:
    """Generic terms from ``watcher/data/stopterms.txt``."""
    return frozenset(_data_lines("stopterms.txt"))


@cache
def _tokenizer() -> Any:
    """A private jieba tokenizer with the policy vocabulary (built once, on first use)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for word in sorted(load_vocabulary() | HEAD_NOUNS):
        tk.add_word(word, freq=_VOCAB_FREQ)
    return tk


def tokenizer_loaded() -> bool:
    """Whether jieba's dictionary is in memory in this process."""
    return _tokenizer.cache_info().currsize > 0


def release_tokenizer() -> None:
    """Drop the tokenizer (~70 MB): a long-running process that segments now and then (the
    daemon's ranking job) should not keep jieba's dictionary between runs."""
    _tokenizer.cache_clear()
    _run_phrases.cache_clear()
    gc.collect()


def _dictionary_lines() -> Iterator[list[str]]:
    """``word freq [tag]`` lines of jieba's stock dictionary, read as a stream (the tokenizer is
    not loaded for this)."""
    path = resources.files("jieba").joinpath("dict.txt")
    with path.open("rb") as fh:
        for line in fh:
            yield line.decode("utf-8", "replace").split()


#: General-language frequencies looked up so far (jieba's stock dictionary; 0 = not a word).
_FREQUENCIES: dict[str, int] = {}
#: Looked-up frequencies kept between calls at most (a daemon ranks new words every week).
_MAX_FREQUENCIES = 200_000


def general_frequencies(terms: Iterable[str]) -> dict[str, int]:
    """How often each term occurs in jieba's general-language dictionary (0 when it is not a
    word there): common words (核能, 同期) are familiar; new policy coinages (低空经济) are not.
    The stock frequency, before the vocabulary was added to the tokenizer. Terms not seen before
    cost one pass over the dictionary file (~0.1 s), not the tokenizer."""
    wanted = set(terms)
    missing = wanted - _FREQUENCIES.keys()
    if missing:
        if len(_FREQUENCIES) + len(missing) > _MAX_FREQUENCIES:
            _FREQUENCIES.clear()
            missing = wanted
        found = dict.fromkeys(missing, 0)
        for parts in _dictionary_lines():
            if parts and parts[0] in found and len(parts) > 1 and parts[1].isdigit():
                found[parts[0]] = int(parts[1])
        _FREQUENCIES.update(found)
    return {t: _FREQUENCIES[t] for t in wanted}


def general_frequency(term: str) -> int:
    """``general_frequencies`` of one term."""
    return general_frequencies((term,))[term]


# --------------------------------------------------------------------------- text → sentences → words


def sentences(text: str) -> list[str]:
    """Sentences of ``text`` (split at 。！？； and line breaks), markdown furniture removed."""
    return split_sentences(_FURNITURE.sub("", text), min_han=2)


def matching_copy(text: str) -> str:
    """The form terms are matched in: whitespace removed (PDF wraps, 「AI 模型」), aliases applied."""
    text = squeeze(text)
    for pattern, term in load_aliases():
        text = pattern.sub(term, text)
    return text


_CALLS = [0]


def tokenizer_calls() -> int:
    """How many texts jieba has segmented in this process (an observable count for tests and
    benchmarks: re-ranking stored segmentations must not add to it)."""
    return _CALLS[0]


def tokenize(text: str) -> list[str]:
    """jieba words of an already matching-copied text."""
    _CALLS[0] += 1
    return [w for w in _tokenizer().cut(text, HMM=True) if w]


def segment(copy: str) -> tuple[int, ...]:
    """The lengths of the words of a matching copy: what the store keeps instead of the words."""
    return tuple(len(w) for w in tokenize(copy))


def split_words(copy: str, lengths: Sequence[int]) -> list[str] | None:
    """The words of ``copy`` from its stored ``segment`` lengths; None when they do not fit it
    (the copy changed since it was segmented)."""
    if sum(lengths) != len(copy) or any(n <= 0 for n in lengths):
        return None
    words, pos = [], 0
    for n in lengths:
        words.append(copy[pos : pos + n])
        pos += n
    return words


def _is_content(word: str) -> bool:
    if word in BREAK_WORDS or not _CONTENT.match(word):
        return False
    if word.isdigit():
        return False
    return len(word) >= 2 or not _HAN.match(word)


@cache
def _place_words() -> frozenset[str]:
    """Words jieba's dictionary tags as places or organisations (ns, nt): ~22,000 words read
    once from the dictionary file, instead of its whole tag table (~60 MB)."""
    tags: dict[str, str] = {}
    for parts in _dictionary_lines():
        if len(parts) > 2:
            tags[parts[0]] = parts[2]  # a later line wins, as in jieba's own table
    return frozenset(w for w, tag in tags.items() if tag in _PLACE_TAGS)


def is_place_or_body(word: str) -> bool:
    """A place or a government body (重庆市, 渝中区, 区委): it locates a theme, never is one."""
    if word in ORG_WORDS:
        return True
    return word not in load_vocabulary() and word in _place_words()


def canonical_tokens(tokens: Sequence[str]) -> tuple[str, ...]:
    """Apply the phrase rules: drop leading places and bodies and leading governors, move
    nominalisable verbs, drop trailers."""
    toks = list(tokens)
    while toks and is_place_or_body(toks[0]):
        toks.pop(0)
    moved: list[str] = []
    while toks:
        head = toks[0]
        # only 「verb + object (+ head noun)」 is inverted; longer runs are clauses, not themes
        short = len(toks) == 2 or (len(toks) == 3 and toks[2] in HEAD_NOUNS)
        if head in INVERT_LEADING and short and toks[1] not in HEAD_NOUNS and not moved:
            moved.append(toks.pop(0))
        elif head in STRIP_LEADING:
            toks.pop(0)
        else:
            break
    if toks and moved:
        # 促进就业 → 就业促进; a head noun after the object stays last (促进就业机制 → 就业促进机制)
        tail = [toks.pop()] if len(toks) > 1 and toks[-1] in HEAD_NOUNS else []
        toks = toks + moved[-1:] + tail
    while toks and toks[-1] in DROP_TRAILING:
        toks.pop()
    return tuple(toks)


def _substantive(toks: Sequence[str], stop: frozenset[str]) -> bool:
    """A phrase needs a non-generic word, or a generic one made specific by a nominalised verb
    (就业促进 is a theme; 就业, 就业机制 and 促进机制 are not)."""
    core = [t for t in toks if t not in INVERT_LEADING and t not in HEAD_NOUNS]
    if not core or any(g in t for t in toks for g in SLOGAN_GOALS):
        return False
    if all(t in stop for t in core):
        return any(t in INVERT_LEADING for t in toks[1:])
    return True


def _runs(words: Sequence[str]) -> Iterator[list[str]]:
    run: list[str] = []
    for w in words:
        if _is_content(w):
            run.append(w)
        elif run:
            yield run
            run = []
    if run:
        yield run


def phrases(sentence: str) -> list[Phrase]:
    """Candidate phrases of one sentence (canonical, deduplicated, in first-seen order); see
    ``phrases_of_words``."""
    return phrases_of_words(tokenize(matching_copy(sentence)))


def phrases_of_words(words: Sequence[str]) -> list[Phrase]:
    """Candidate phrases of one segmented sentence (canonical, deduplicated, in first-seen order).

    ``kind`` tells the caller how much to trust it: ``vocab`` (a vocabulary term), ``extension``
    (a term followed by a mechanism/system word), ``compound`` (2–3 words that the caller keeps
    only when they recur) and ``single`` (one non-vocabulary word).
    """
    seen: dict[str, Phrase] = {}
    for run in _runs(words):
        for ph in _run_phrases(tuple(run)):
            seen.setdefault(ph.text, ph)
    return list(seen.values())


@lru_cache(maxsize=65536)
def _run_phrases(run: tuple[str, ...]) -> tuple[Phrase, ...]:
    """The phrases of one run of content words (runs recur: quoted and reprinted sentences)."""
    vocab, stop = load_vocabulary(), load_stopterms()
    seen: dict[str, Phrase] = {}
    for i in range(len(run)):
        for n in range(1, MAX_WORDS + 1):
            if i + n > len(run):
                break
            toks = canonical_tokens(run[i : i + n])
            if not toks:
                continue
            text = "".join(toks)
            if text in seen or len(text) < 2 or text in stop:
                continue
            if not _substantive(toks, stop):
                continue
            kind: PhraseKind
            if text in vocab:
                kind = "vocab"
            elif len(toks) == 1:
                kind = "single"
            elif toks[-1] in HEAD_NOUNS and len(toks) >= 2:
                kind = "extension"
            else:
                kind = "compound"
            seen[text] = Phrase(text, toks, kind)
    return tuple(seen.values())
