"""Term extraction for research directions: text in, candidate policy terms with their sentences out.

Splits section text into sentences, segments a matching copy of each sentence with jieba (loaded
lazily with the policy vocabulary from ``watcher/data/vocabulary.txt``), and turns runs of content
words into candidate phrases of one to three words. Phrases are canonicalised as data-driven
rules: leading governing verbs and adverbs are dropped (发展低空经济 → 低空经济), nominalisable verbs
move behind their object (促进就业 → 就业促进), and mechanism/system words stay at the end
(就业促进机制). Generic words from ``watcher/data/stopterms.txt`` are never candidates on their own.
Pure apart from the one-time jieba initialisation; no work happens at import time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from watcher.text.keys import squeeze
from watcher.text.sentences import split_sentences

__all__ = [
    "HEAD_NOUNS",
    "PHRASE_HEADS",
    "Phrase",
    "canonical_tokens",
    "general_frequency",
    "is_place_or_body",
    "load_aliases",
    "load_stopterms",
    "load_vocabulary",
    "matching_copy",
    "phrases",
    "sentences",
    "tokenize",
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
    "组织 举办 制定 研究 部署 研判 科学 改造 规范 创新 深度 广泛 逐步 重点 突出 注重 助力 服务于 "
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
    words = sorted(load_vocabulary() | HEAD_NOUNS)
    _STOCK_FREQ.update({w: int(tk.FREQ.get(w) or 0) for w in words})
    for word in words:
        tk.add_word(word, freq=_VOCAB_FREQ)
    return tk


#: Stock jieba frequencies of the words we overrode with the vocabulary (filled on first use).
_STOCK_FREQ: dict[str, int] = {}


def general_frequency(term: str) -> int:
    """How often ``term`` occurs in jieba's general-language dictionary (0 when it is not a word
    there): common words (核能, 同期) are familiar; new policy coinages (低空经济) are not."""
    tk = _tokenizer()
    if term in _STOCK_FREQ:
        return _STOCK_FREQ[term]
    return int(tk.FREQ.get(term) or 0)


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


def tokenize(text: str) -> list[str]:
    """jieba words of an already matching-copied text."""
    return [w for w in _tokenizer().cut(text, HMM=True) if w]


def _is_content(word: str) -> bool:
    if word in BREAK_WORDS or not _CONTENT.match(word):
        return False
    if word.isdigit():
        return False
    return len(word) >= 2 or not _HAN.match(word)


@cache
def _word_tags() -> dict[str, str]:
    """jieba's dictionary part-of-speech tags (word → tag), loaded once."""
    import jieba.posseg

    return dict(jieba.posseg.dt.word_tag_tab)


def is_place_or_body(word: str) -> bool:
    """A place or a government body (重庆市, 渝中区, 区委): it locates a theme, never is one."""
    if word in ORG_WORDS:
        return True
    return word not in load_vocabulary() and _word_tags().get(word) in _PLACE_TAGS


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
    if not core:
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


def phrases(sentence: str) -> list[Phrase]:  # noqa: C901 - one rule per way a phrase is trimmed or extended
    """Candidate phrases of one sentence (canonical, deduplicated, in first-seen order).

    ``kind`` tells the caller how much to trust it: ``vocab`` (a vocabulary term), ``extension``
    (a term followed by a mechanism/system word), ``compound`` (2–3 words that the caller keeps
    only when they recur) and ``single`` (one non-vocabulary word).
    """
    vocab, stop = load_vocabulary(), load_stopterms()
    seen: dict[str, Phrase] = {}
    for run in _runs(tokenize(matching_copy(sentence))):
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
    return list(seen.values())
