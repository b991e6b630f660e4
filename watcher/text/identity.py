"""Document identity: 发文字号, title anatomy and canonical URLs.

Pure functions that take a title, a text or a URL and return the keys the store and the lineage
finder use to recognise one document wherever it is published: the 发文字号 in its canonical
〔year〕 form, the year range and 文种 of a title, the title with its 「关于印发《…》的通知」
wrapper removed, a series key that ignores editions and year ranges (to find predecessors), an
identity key that is the same for the official page, a reformatted copy and a Traditional-script
Big5 gateway copy, and a canonical URL with Big5 gateways and tracking parameters removed.
Nothing here touches the network or the store; all vocabularies are in the constants block.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from watcher.text.keys import DASHES, ascii_digits, title_key_text
from watcher.text.script import to_simplified
from watcher.text.similarity import dice

__all__ = [
    "COMMENTARY_KIND",
    "NEWS_KIND",
    "canonical_url",
    "classify_kind",
    "doc_kind",
    "doc_numbers",
    "draft_marker",
    "identity_key",
    "identity_keys",
    "is_commentary",
    "normalize_doc_number",
    "series_key",
    "strip_leading_doc_number",
    "title_key",
    "titles_agree",
    "unwrap_title",
    "year_range",
]

# --------------------------------------------------------------------------- vocabularies

#: Opening / closing brackets seen around the year of a 发文字号 on websites (§3.3 of the research).
_OPEN = "〔\\[【（(﹝［〖"
_CLOSE = "〕\\]】）)﹞］〗"
#: Characters a 机关代字 never contains; a candidate prefix is cut after the last of them, so
#: 「根据国发〔2019〕4号」 yields 国发〔2019〕4号.
_ORG_STOP_RE = re.compile(
    r"根据|依据|按照|贯彻|落实|印发|转发|参照|文号|字号|文件|(?<!共)和|[的与及见即在为以按据于是对并]"
)
#: Prefixes of an order (令) issuer that citations add or omit: 中华人民共和国国务院令 = 国令.
_ORDER_ORG_ALIASES: tuple[tuple[str, str], ...] = (("中华人民共和国", ""), ("国务院", "国"))
#: 文种 recognised at the end of a core title; the longest one that matches wins.
DOC_KINDS: tuple[str, ...] = (
    "纲要",
    "规划",
    "方案",
    "实施方案",
    "行动方案",
    "工作方案",
    "意见",
    "实施意见",
    "指导意见",
    "通知",
    "计划",
    "行动计划",
    "办法",
    "决定",
    "条例",
    "规定",
    "细则",
    "实施细则",
    "指南",
    "纪要",
    "公告",
    "通告",
    "函",
    "批复",
    "报告",
    "通报",
    "决议",
    "公报",
    "要点",
    "工作要点",
    "措施",
    "若干措施",
    "标准",
)
#: Verbs of a transmitting notice: 「关于印发《X》的通知」 is a wrapper around X.
_WRAP_VERBS = "印发|转发|颁布|发布|公布|下发|修订印发|联合印发|重新印发"
#: 文种 of the wrapper itself (the part after 「的」).
_WRAP_KINDS = "通知|决定|函|批复|公告|通告|意见|命令"
#: Words marking a draft; the text in brackets is returned by draft_marker().
DRAFT_MARKERS: tuple[str, ...] = (
    "征求意见稿",
    "讨论稿",
    "送审稿",
    "草案",
    "草稿",
    "初稿",
    "修改稿",
)
#: Bracketed notes dropped by series_key(): drafts, trial editions, revision notes.
_SERIES_NOTES = re.compile(
    r"[（(](?:[^（）()]*?(?:征求意见稿|讨论稿|送审稿|草案|草稿|初稿|修改稿|试行|暂行|修订|修正|节选|摘要)[^（）()]*)[）)]"
)
#: Query parameters that only track a click, never select content.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "spm",
        "from",
        "isappinstalled",
        "scene",
        "clicktime",
        "enterid",
        "share_token",
        "sharer_shareid",
        "sharer_sharetime",
        "wxshare_count",
        "share_from",
        "_share",
        "fbclid",
        "gclid",
        "ref",
        "source",
        "timestamp",
        "tt_from",
        "utm",
    }
)
_TRACKING_PREFIXES = ("utm_", "share_", "wxshare")
#: The five-year-plan periods written as 「十四五」.
_FIVE_YEAR_DIGITS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

_CJK = "\u3400-\u9fff\uf900-\ufaff"

_DOC_NUMBER_RE = re.compile(
    rf"(?P<org>[{_CJK}]{{1,16}}?)\s*[{_OPEN}]\s*(?P<year>(?:19|20)\d{{2}})\s*"
    rf"(?:[{_CLOSE}]\s*(?:第\s*)?(?P<seq>\d{{1,5}})|(?P<glued>\d{{1,4}}))\s*号"
)
_ORDER_NUMBER_RE = re.compile(rf"(?P<org>[{_CJK}]{{1,16}}?)令\s*第\s*(?P<seq>\d{{1,5}})\s*号")
_YEAR_RANGE_RE = re.compile(
    rf"(?P<a>(?:19|20)\d{{2}})\s*年?\s*[{DASHES}]+\s*(?P<b>(?:19|20)\d{{2}})\s*年?"
)
_FIVE_YEAR_RE = re.compile(r"十([一二三四五六七八九])五")
_YEAR_RANGE_BRACKETED_RE = re.compile(
    rf"[（(]\s*(?:19|20)\d{{2}}\s*年?\s*[{DASHES}]+\s*(?:19|20)\d{{2}}\s*年?\s*[）)]"
)
_EDITION_RE = re.compile(
    r"第[一二三四五六七八九十\d]+(?:期|轮|批|届|版|次)|新一(?:轮|期)|[“\"]?十[一二三四五六七八九]五[”\"]?(?:时期|期间)?"
)
_LEADING_YEAR_RE = re.compile(r"^(?:(?:19|20)\d{2}\s*年度?|[（(](?:19|20)\d{2}\s*年?[）)])")
_SPACE_RE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


# --------------------------------------------------------------------------- 发文字号


def _trim_org(org: str) -> str:
    cut = 0
    for m in _ORG_STOP_RE.finditer(org):
        cut = m.end()
    return org[cut:]


def _order_org(org: str) -> str:
    for prefix, replacement in _ORDER_ORG_ALIASES:
        if org.startswith(prefix):
            org = replacement + org[len(prefix) :]
    return org


def doc_numbers(text: str) -> list[str]:
    """All 发文字号 in ``text`` in order of appearance, normalised to ``代字〔年〕序号号``.

    Brackets 〔〕[]【】（）()﹝﹞ are accepted, full-width digits and stray spaces tolerated,
    leading zeros and a 「第」 before the sequence dropped. 「国令第707号」 forms are kept as
    ``代字令第N号`` (「中华人民共和国国务院令」 and 「国务院令」 become 「国令」). A number whose closing bracket was lost (「教基〔20227号」) is read as
    year 2022, sequence 7.
    """
    src = ascii_digits(text)
    found: list[tuple[int, str]] = []
    for m in _DOC_NUMBER_RE.finditer(src):
        org = _trim_org(m.group("org"))
        seq = m.group("seq") or m.group("glued")
        if not org or not seq:
            continue
        found.append(
            (
                m.start("org") + len(m.group("org")) - len(org),
                f"{org}〔{m.group('year')}〕{int(seq)}号",
            )
        )
    for m in _ORDER_NUMBER_RE.finditer(src):
        org = _order_org(_trim_org(m.group("org")))
        if org:
            found.append((m.start(), f"{org}令第{int(m.group('seq'))}号"))
    out: list[str] = []
    for _, number in sorted(found):
        if number not in out:
            out.append(number)
    return out


_LEADING_NUMBER_RE = re.compile(
    rf"^\s*[{_CJK}]{{1,16}}?\s*[{_OPEN}]\s*(?:19|20)\d{{2}}\s*[{_CLOSE}]\s*第?\s*\d{{1,5}}\s*号[\s、：:.-]*"
)


def strip_leading_doc_number(title: str) -> str:
    """A title without the 发文字号 a file name puts before it: 「渝中府办〔2024〕13号重庆市…的通知」
    → 「重庆市…的通知」. A title that is only a number is returned unchanged."""
    rest = _LEADING_NUMBER_RE.sub("", ascii_digits(title), count=1)
    if rest == ascii_digits(title) or not rest.strip():
        return title
    return title[len(title) - len(rest) :]


def normalize_doc_number(value: str) -> str | None:
    """The canonical form of one 发文字号 as given in a metadata field, or None if unreadable."""
    numbers = doc_numbers(value)
    return numbers[0] if numbers else None


# --------------------------------------------------------------------------- title anatomy


def year_range(title: str) -> tuple[int, int] | None:
    """The planning period of a title: 「（2024—2035年）」 → (2024, 2035); 「十四五」 → (2021, 2025)."""
    src = ascii_digits(title)
    m = _YEAR_RANGE_RE.search(src)
    if m:
        a, b = int(m.group("a")), int(m.group("b"))
        if a <= b <= a + 50:
            return a, b
    f = _FIVE_YEAR_RE.search(src)
    if f:
        n = 10 + _FIVE_YEAR_DIGITS[f.group(1)]  # 十四五 is the 14th plan: 2021–2025
        start = 2006 + 5 * (n - 11)  # the 11th began in 2006 (there was a gap in the 1960s)
        return start, start + 4
    return None


def draft_marker(title: str) -> str | None:
    """「讨论稿」/「征求意见稿」/… when the title marks a draft, else None."""
    for m in re.finditer(r"[（(【\[]([^（）()【】\[\]]{1,20})[）)】\]]", title):
        for marker in DRAFT_MARKERS:
            if marker in m.group(1):
                return marker
    tail = title.rstrip()
    for marker in DRAFT_MARKERS:
        if tail.endswith(marker):
            return marker
    return None


_WRAPPED_RE = re.compile(
    rf"^(?P<pre>.*?)(?:关于)?(?:{_WRAP_VERBS})(?P<x>.+?)的(?:{_WRAP_KINDS})"
    rf"(?P<note>(?:[（(][^（）()]*[）)])*)$"
)
_NEWS_WRAPPED_RE = re.compile(rf"^.{{0,40}}?(?:{_WRAP_VERBS}|出台)了?(?P<x>《[^《》]+》)$")


def _strip_book_marks(x: str) -> str:
    x = x.strip()
    if x.startswith("《") and x.endswith("》") and x.count("《") == 1:
        return x[1:-1].strip()
    return x


def unwrap_title(title: str) -> str:
    """The document a transmitting notice carries: 「关于印发《X》的通知」 → 「X」.

    Also 「XX办公室关于印发X的通知」 → X, 「关于转发…关于印发《X》的通知的通知」 → X and the news
    form 「中共中央 国务院印发《X》」 → X. 「关于X的通知」 (no transmitting verb) is kept, and so
    are 「（试行）」 and draft markers; a draft note after the wrapper (「…的通知（讨论稿）」)
    moves onto X.
    """
    cur = _SPACE_RE.sub(" ", title).strip()
    for _ in range(4):  # nested 转发 wrappers; four levels is more than any real title
        m = _WRAPPED_RE.match(cur)
        if m and len(m.group("pre")) <= 40:
            nxt = _strip_book_marks(m.group("x")) + (m.group("note") or "")
        else:
            n = _NEWS_WRAPPED_RE.match(cur)
            if not n:
                break
            nxt = _strip_book_marks(n.group("x"))
        if not nxt or nxt == cur:
            break
        cur = nxt
    return cur


def _core_title(title: str) -> str:
    core = unwrap_title(title)
    while True:
        stripped = re.sub(r"\s*[（(][^（）()]*[）)]\s*$", "", core).rstrip("》」”\"' 。")
        if stripped == core or not stripped:
            return core
        core = stripped


def _own_kind(title: str) -> str | None:
    """The 文种 the title itself ends with, wrapper included (no unwrapping)."""
    core = re.sub(r"(?:\s*[（(][^（）()]*[）)])+\s*$", "", _SPACE_RE.sub(" ", title).strip())
    return max((k for k in DOC_KINDS if core.endswith(k)), key=len, default=None)


def doc_kind(title: str) -> str | None:
    """The 文种 of the document a title names (after unwrapping), longest match at the end."""
    core = _core_title(title)
    best: str | None = None
    for kind in DOC_KINDS:
        if core.endswith(kind) and (best is None or len(kind) > len(best)):
            best = kind
    return best


# --------------------------------------------------------------------------- keys


# Lineage matches every stored title against every new document: the keys are pure functions of
# the title, so cache them (the full-size load run fell from 34 to 5 pages/s recomputing them).
@functools.lru_cache(maxsize=65536)
def title_key(title: str) -> str:
    """The unwrapped title in key form (Simplified, no spaces, unified punctuation and dashes)."""
    return title_key_text(unwrap_title(title))


@functools.lru_cache(maxsize=65536)
def series_key(title: str) -> str:
    """A key shared by every edition of a plan series.

    Drops the year range, 「十四五」, edition words (第二期, 新一轮), a leading 「2025年」,
    and draft / trial / revision notes, so 「…行动计划（2021—2023年）」 and
    「…行动计划（2024—2027年）（征求意见稿）」 have the same key.
    """
    s = unwrap_title(title)
    s = _SERIES_NOTES.sub("", s)
    s = _YEAR_RANGE_BRACKETED_RE.sub("", s)
    s = _YEAR_RANGE_RE.sub("", s)
    s = _EDITION_RE.sub("", s)
    s = _LEADING_YEAR_RE.sub("", s.strip())
    s = re.sub(r"[（(]\s*[）)]", "", s)
    return title_key_text(s)


#: Titles this alike (Dice of character 1-2-grams of their keys) name the same document.
TITLES_AGREE_DICE = 0.8


def titles_agree(a: str, b: str) -> bool:
    """Whether two titles can name the same document: equal keys, one inside the other (a
    copy that drops the 「关于印发…的通知」 wrapper, the issuer or the years), or nearly the same
    characters. Two pages sharing a 发文字号 but not a title are two documents (a wrong or reused
    number on a page), never merged on the number alone."""
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb or ka == kb:
        return True
    sa, sb = series_key(a), series_key(b)
    for x, y in ((ka, kb), (sa, sb)):
        if x and y and (x in y or y in x):
            return True
    return dice(ka, kb) >= TITLES_AGREE_DICE


def identity_keys(
    title: str, doc_number: str | None = None, index_no: str | None = None
) -> tuple[str, ...]:
    """Every key that identifies the document, strongest first (doc number, index number, title)."""
    keys: list[str] = []
    number = normalize_doc_number(to_simplified(doc_number)) if doc_number else None
    if number:
        keys.append("doc:" + number)
    if index_no:
        idx = _SPACE_RE.sub("", ascii_digits(index_no)).upper()
        idx = "".join(chr(ord(c) - 0xFEE0) if "Ａ" <= c <= "ｚ" else c for c in idx)
        if idx:
            keys.append("idx:" + idx.upper())
    t = title_key(title)
    if t:
        keys.append("title:" + t)
    return tuple(keys)


def identity_key(title: str, doc_number: str | None = None, index_no: str | None = None) -> str:
    """One key for the same document wherever it appears.

    The normalised 发文字号 when one is given and readable, else the 索引号, else the unwrapped
    title in key form. Note that a copy without metadata only meets the official page on the title
    key; callers that hold both should match on any of :func:`identity_keys`.
    """
    keys = identity_keys(title, doc_number, index_no)
    return keys[0] if keys else "title:"


# --------------------------------------------------------------------------- URLs


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The URL of the original page: Big5 gateways undone, fragment and tracking params dropped.

    ``https://big5.mee.gov.cn/gate/big5/www.mee.gov.cn/x.html`` → ``https://www.mee.gov.cn/x.html``;
    a bare ``big5.`` host loses the prefix (``big5.www.gov.cn`` → ``www.gov.cn``,
    ``big5.moe.gov.cn`` → ``www.moe.gov.cn``). Scheme and host are lower-cased, default ports
    removed; path and the remaining query keep their case and order.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    path = parts.path
    gate = re.match(r"^/gate/big5/([^/]+)(/.*)?$", path, flags=re.IGNORECASE)
    if gate:
        host = gate.group(1).lower()
        port = None
        if ":" in host:
            host, _, p = host.partition(":")
            port = int(p) if p.isdigit() else None
        path = gate.group(2) or "/"
    elif host.startswith("big5."):
        host = host[len("big5.") :]
        if not host.startswith("www.") and host.count(".") <= 2:
            host = "www." + host
    netloc = host
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        netloc = f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    return urlunsplit((scheme, netloc, path or "/", query, ""))


#: Titles of pieces that talk about a document rather than being one (解读, 答记者问, reports).
#: They are never a parent or a child in lineage: a plan implements a plan, not its interview.
_COMMENTARY_RE = re.compile(
    r"解读|答记者问|记者问|问答|一图读懂|图解|新闻发布会|负责人就|答问|访谈|述评|综述|评论"
)


def is_commentary(title: str) -> bool:
    """True for interpretations, interviews and reports about a document."""
    return bool(_COMMENTARY_RE.search(title))


#: The kinds of pieces about documents (not documents): 解读 (interpretations, interviews,
#: Q&As) and 新闻 (news reports, briefings). Neither is a 规划 because its title names one.
COMMENTARY_KIND = "解读"
NEWS_KIND = "新闻"
#: Title words that make a piece a news report even when it names a 规划 (「报道：…印发《…规划》」).
_NEWS_TITLE_STRONG_RE = re.compile(r"报道|新闻|快讯|侧记|纪实|探访|速递|直击")
#: Title words of a news report when the title names no 文种 (「教育动态监测方案」 is a 方案).
_NEWS_TITLE_RE = re.compile(r"简报|动态|走进|记者|通讯")
#: Phrases near the top of a news text: the byline, the wire, the briefing number.
_NEWS_OPENING_RE = re.compile(
    r"简报[〔\[【（(]|记者|通讯员|新华社|人民网|中新网|日电|讯[（(）)]|[（(]来源[：:]|本报讯|来源[：:]\S{0,20}(?:报|网|社|台)"
)
#: Characters of the text searched for a news opening.
NEWS_OPENING_CHARS = 200


def classify_kind(
    title: str, text: str = "", *, media: bool = False, has_number: bool = False
) -> str | None:
    """The kind of a stored piece: 解读 for commentary (「市教委负责人解读《…规划》」 is not a
    规划), 新闻 for a news report, else the 文种 of the document the title names.

    A piece is news when its title says so (报道, 新闻, 快讯, …), or when it names no 文种 and
    carries no 发文字号 and comes from a media source (``media``), has weaker news words
    (简报, 动态) or opens like a report (a byline, a wire, 「简报〔2024〕第61期」)."""
    if is_commentary(title):
        return COMMENTARY_KIND
    if _NEWS_TITLE_STRONG_RE.search(title):
        return NEWS_KIND
    # 「关于公布…名单的通知」 carries no document of a kind: it is itself a 通知.
    kind = doc_kind(unwrap_title(title)) or _own_kind(title)
    if kind is not None or has_number:
        return kind
    if media or _NEWS_TITLE_RE.search(title) or _NEWS_OPENING_RE.search(text[:NEWS_OPENING_CHARS]):
        return NEWS_KIND
    return None
