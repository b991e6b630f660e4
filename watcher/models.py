"""Values passed between the pipeline stages.

Every stage takes and returns these frozen dataclasses; none of them touches the network, SQL or
the clock. Field names are the contract between modules (and the JSON the CLI prints), so add
fields with defaults rather than renaming them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "LEVELS",
    "LEVEL_WEIGHT",
    "META_KEYS",
    "Alert",
    "AlertKind",
    "Article",
    "Attachment",
    "ChapterChange",
    "Comparison",
    "DiffOp",
    "Direction",
    "DroppedSection",
    "Evidence",
    "FetchAttempt",
    "Fetched",
    "InlineOp",
    "Level",
    "LineageLink",
    "Link",
    "QuantityChange",
    "RevisionKind",
    "RevisionRow",
    "RevisionTable",
    "RevisionUnit",
    "Section",
    "SectionChange",
    "SectionMatch",
    "Segmentation",
    "Severity",
    "Target",
    "TargetPair",
    "VersionDiff",
]

Level = Literal["national", "ministry", "municipal", "district", "media"]
LEVELS: tuple[Level, ...] = ("national", "ministry", "municipal", "district", "media")
#: Authority weight used when ranking (national > ministry > municipal > district > media).
LEVEL_WEIGHT: Mapping[str, float] = {
    "national": 1.0,
    "ministry": 0.85,
    "municipal": 0.7,
    "district": 0.5,
    "media": 0.35,
}
#: Metadata keys an Article may carry (all values are strings; dates are ISO YYYY-MM-DD).
META_KEYS: tuple[str, ...] = (
    "index_no",  # 索引号
    "doc_number",  # 发文字号
    "issuer",  # 发布机构 / 发文机关
    "written_date",  # 成文日期
    "published_date",  # 发布日期
    "topic",  # 主题分类
    "validity",  # 有效性
)


# --------------------------------------------------------------------------- fetch / discover


@dataclass(frozen=True)
class FetchAttempt:
    """One HTTP attempt, as written to the fetch log."""

    url: str
    status: int | None  # None when no response arrived (DNS, refused, timeout)
    bytes: int
    duration_ms: float
    error: str | None = None  # short Chinese-or-English reason; None on success
    attempt: int = 1
    outcome: str = (
        "ok"  # ok | not_modified | blocked | too_large | offsite | http_error | network_error
    )
    source_id: str | None = None  # the source the fetch was made for, when known


@dataclass(frozen=True)
class Fetched:
    """A successful fetch: raw bytes kept exactly as received, plus the decoding decision."""

    url: str  # the URL asked for
    final_url: str  # after (allowed) redirects
    status: int  # 200, or 304 when not_modified
    headers: Mapping[str, str]
    content: bytes  # raw body (empty when not_modified)
    encoding: str | None  # codec used for .text (gb18030 for GBK/GB2312), None for binary
    text: str | None  # decoded body for text types, None for binary
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    attempts: tuple[FetchAttempt, ...] = ()

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Link:
    """An article link found on a list page or JSON endpoint."""

    url: str
    title: str = ""
    date: str | None = None  # ISO date when the list shows one
    meta: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- extract


@dataclass(frozen=True)
class Attachment:
    url: str
    name: str  # link text, e.g. 「附件1：…」
    ext: str  # lower-case without dot: pdf, docx, doc, wps, ofd, xls, …


@dataclass(frozen=True)
class Article:
    """What extraction makes of one page. Public API: ``.title``, ``.meta``, ``.text``."""

    url: str | None
    title: str
    meta: Mapping[str, str]  # subset of META_KEYS
    text: str  # main text, paragraphs separated by "\n"
    attachments: tuple[Attachment, ...] = ()
    method: str = ""  # which rule found the body: "source", "template:gov.cn", "fallback", …


# --------------------------------------------------------------------------- structure


@dataclass(frozen=True)
class Section:
    """A node of a document's section tree.

    The root has ``level == 0`` and ``id == ""``; its ``body`` is the preamble. ``id`` is the
    path of numbers from the root joined by "/", e.g. ``五/（十三）`` or ``第三章/第十二条``.
    """

    id: str
    level: int
    number: str  # marker as written, minus trailing 、/.: 五, （十三）, 1, （1）, ①, 第三章, 附件1
    heading: str  # heading text without the number
    body: str  # text directly under this heading (children excluded)
    children: tuple[Section, ...] = ()

    def walk(self) -> Iterator[Section]:
        """This section and all descendants, depth first, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def full_text(self) -> str:
        """Heading, body and all descendants' text."""
        parts = [p for p in (self.heading, self.body) if p]
        parts.extend(c.full_text for c in self.children)
        return "\n".join(parts)


# --------------------------------------------------------------------------- diff / compare


DiffOp = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class InlineOp:
    op: DiffOp
    text: str


@dataclass(frozen=True)
class SectionChange:
    """One changed section between two versions of the same document.

    ``revision`` is the 新旧对照 kind (修改, 移动, 拆分, 合并, 新增, 删除, 新增章, 章名修改, 删除章;
    empty in rows stored before it existed); a split or merge lists every unit of its group in
    ``old_ids`` / ``new_ids`` (``old_id`` / ``new_id`` are the first of each)."""

    kind: Literal["added", "removed", "changed"]
    old_id: str | None
    new_id: str | None
    heading: str
    ops: tuple[InlineOp, ...] = ()
    revision: str = ""
    old_ids: tuple[str, ...] = ()
    new_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    changes: tuple[SectionChange, ...]

    @property
    def substantive(self) -> bool:
        return bool(self.changes)


RevisionKind = Literal[
    "未变", "仅编号变化", "仅格式变化", "修改", "移动", "拆分", "合并", "新增", "删除"
]


@dataclass(frozen=True)
class RevisionUnit:
    """One article (第X条), section or item of a version, as the revision alignment sees it."""

    id: str  # section id, e.g. 第三章/第十二条 or 二/（一）; "" for the preamble
    label: str  # what a reader calls it: 第十二条, 二/（一）; "" for the preamble
    chapter: str  # id of the enclosing 编/章/节, "" when none
    text: str  # heading and body, page furniture removed (children are units of their own)
    heading: str = ""


@dataclass(frozen=True)
class QuantityChange:
    """A number that changed inside a pair: 「80%」 → 「90%」, 「2天」 → 「4天」."""

    old: str
    new: str


@dataclass(frozen=True)
class RevisionRow:
    """One line of a 新旧对照表: the old unit(s), the new unit(s), the kind and the edits."""

    kind: RevisionKind
    old: tuple[RevisionUnit, ...]
    new: tuple[RevisionUnit, ...]
    ops: tuple[InlineOp, ...] = ()  # joined old text → joined new text
    quantities: tuple[QuantityChange, ...] = ()
    edited: bool = False  # the text changed (also for 移动, 拆分, 合并)
    similarity: float = 0.0


@dataclass(frozen=True)
class ChapterChange:
    """How a chapter (编/章/节) fared: 未变, 仅编号变化, 仅格式变化, 章名修改, 新增章, 删除章."""

    kind: str
    old_id: str | None
    old_heading: str | None
    new_id: str | None
    new_heading: str | None


@dataclass(frozen=True)
class RevisionTable:
    """The 新旧对照表 of two versions: rows in new order (a deletion after its predecessor)."""

    old_title: str
    new_title: str
    unit_noun: str  # 条 for statutes, 节 for plans
    rows: tuple[RevisionRow, ...]
    chapters: tuple[ChapterChange, ...] = ()

    def count(self, kind: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind and (r.old or r.new)[0].id)


@dataclass(frozen=True)
class SectionMatch:
    """A section of the new document and the old section(s) it carries."""

    new_id: str
    new_heading: str
    old_ids: tuple[str, ...]
    old_headings: tuple[str, ...]
    status: Literal["same", "changed", "new"]  # 延续 / 调整 / 新增
    similarity: float
    diff: tuple[InlineOp, ...] = ()


@dataclass(frozen=True)
class DroppedSection:
    """An old section with no counterpart in the new document (未体现)."""

    old_id: str
    old_heading: str


@dataclass(frozen=True)
class Target:
    """A quantitative target, e.g. 「到2027年…达到90%」."""

    side: Literal["old", "new"]
    year: int | None
    value: str  # "90%", "4%", "100所"
    subject: str  # short phrase the value is about
    sentence: str
    section_id: str


@dataclass(frozen=True)
class TargetPair:
    old: Target | None
    new: Target | None


@dataclass(frozen=True)
class Comparison:
    old_title: str
    new_title: str
    sections: tuple[SectionMatch, ...]
    dropped: tuple[DroppedSection, ...]
    targets: tuple[TargetPair, ...]
    summary: Mapping[str, float | int]


@dataclass(frozen=True)
class LineageLink:
    """Why one document is the predecessor or parent of another."""

    relation: Literal["implements", "supersedes", "configured"]
    cited_title: str  # the title as cited, e.g. 教育强国建设规划纲要（2024—2035年）
    evidence: str  # the sentence that shows it
    doc_number: str | None = None


# --------------------------------------------------------------------------- directions / alerts


@dataclass(frozen=True)
class Evidence:
    title: str
    section: str  # section id, "" for the preamble
    sentence: str
    url: str | None = None
    document_id: int | None = None


@dataclass(frozen=True)
class Direction:
    direction: str  # 「低空经济研究」
    terms: tuple[str, ...]
    score: float
    evidence: tuple[Evidence, ...]
    reason: str = ""  # 推荐理由: which new document, which section, what is new in it


@dataclass(frozen=True)
class Segmentation:
    """jieba's words of each sentence of one version (title first), as their lengths: all that
    ranking research directions needs of a version besides its text, made once and stored.
    ``analyser`` names the code and vocabulary that made it; another one's is made again."""

    analyser: str
    words: tuple[tuple[int, ...], ...]


AlertKind = Literal[
    "new_document",
    "new_version",
    "comparison",
    "direction",
    "topic",
    "source_health",
    "source_recovered",
    "digest",
]
Severity = Literal["info", "notice", "warning", "critical"]


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    dedupe_key: str  # a re-run producing the same key never creates a second alert
    severity: Severity
    title: str  # Chinese
    body: str  # Chinese, plain text with links
    url: str | None = None
    source_id: str | None = None
    document_id: int | None = None
    evidence: tuple[Evidence, ...] = ()
