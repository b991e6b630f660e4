"""The digest's content: a week of the store → a ``DigestContext`` that every format renders.

Reads the documents stored (new or changed) in one ISO week, orders them by authority then date,
and gathers for each its lead sentence, key points (from its section structure), 【延伸阅读】
(interpretations and lineage-linked documents of the same week) and a comparison box when a plan
implements a stored parent; then the week's 本期推荐研究方向 and an operations appendix.
Everything is derived from the week and the store, never from the clock.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from watcher.analysis.directions import directions_for_period
from watcher.config import DigestSettings
from watcher.deliver.channels.redaction import redact
from watcher.labels import LEVEL_LABEL
from watcher.models import LEVELS, Direction
from watcher.periods import DEFAULT_TZ, parse_week, week_bounds, week_day
from watcher.records import ComparisonRow, DocumentRow, LinkRow
from watcher.text.numerals import cn_numeral
from watcher.text.sentences import STRONG_ENDS, split_sentences

__all__ = [
    "CompareBox",
    "DigestContext",
    "DigestStore",
    "DocEntry",
    "KeyPoint",
    "OpsInfo",
    "Related",
    "cn_date",
    "digest_context",
    "issue_numbers",
    "key_points",
    "lead_sentence",
]

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- heuristics (data)

#: A title containing one of these is an interpretation of another document (→ 【延伸阅读】).
INTERPRETATION_MARKERS: tuple[str, ...] = (
    "解读",
    "答记者问",
    "一图读懂",
    "图解",
    "政策问答",
    "问答",
    "新闻发布会",
    "权威发布",
    "负责人就",
)
#: The opening purpose sentence of an official document starts like this.
PURPOSE_OPENERS = re.compile(r"^(?:为了?|根据|按照|依据|依照|围绕|贯彻|深入贯彻|经.{1,12}同意)")
#: Lines that are not prose: salutations (「各区县人民政府：」), document numbers, dates.
NOT_PROSE = re.compile(r"(?:[：:]$)|(?:〔\d{4}〕|\[\d{4}\]|\d{4}年\d{1,2}月\d{1,2}日$)")
#: Words too common in titles to relate two documents.
TITLE_STOPWORDS: tuple[str, ...] = (
    "关于",
    "印发",
    "的通知",
    "通知",
    "的意见",
    "实施方案",
    "方案",
    "办公厅",
    "人民政府",
    "重庆市",
    "教育部",
    "国务院",
    "工作",
    "进一步",
    "加强",
    "推进",
    "解读",
    "政策",
)
RELATED_TITLE_SIMILARITY = 0.22
MAX_POINTS = 12
MAX_SENTENCE = 140
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
CN_NUMERAL_CHARS = "零一二三四五六七八九十百千"
log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class KeyPoint:
    number: str  # marker as the document writes it: 一、 /（三）/ 1.
    heading: str
    sentence: str


@dataclass(frozen=True)
class Related:
    title: str
    url: str | None
    note: str  # why it is related: 附件 / 解读 / 上位文件 / 下位文件 / 相关文件
    lead: str = ""

    @property
    def label(self) -> str:
        """The bracket the bulletin puts before it: 【附件】 for an attachment, else 【延伸阅读】."""
        return "附件" if self.note == "附件" else "延伸阅读"


@dataclass(frozen=True)
class CompareBox:
    parent_title: str
    carried_share: float
    same: int
    changed: int
    new: int
    dropped: int
    notable: tuple[str, ...]


@dataclass(frozen=True)
class DocEntry:
    ordinal: str  # 一、二、…
    date_cn: str
    issuer: str
    title: str
    url: str
    level_label: str
    lead: str
    points: tuple[KeyPoint, ...]
    related: tuple[Related, ...]
    compare: CompareBox | None

    @property
    def heading(self) -> str:
        who = "" if not self.issuer or self.title.startswith(self.issuer) else self.issuer + " "
        return f"{self.ordinal}、{self.date_cn}，{who}{self.title}："


@dataclass(frozen=True)
class OpsInfo:
    failed_sources: tuple[tuple[str, int, str], ...]  # (name, failures, last error)
    dead: tuple[tuple[str, str, str], ...]  # (alert title, channel, error)
    pending: int
    directions_error: str = ""  # why 研究方向 could not be computed this week, if so


@dataclass(frozen=True)
class DigestContext:
    name: str
    publisher: str
    week: str
    issue: int
    total: int
    date: str  # ISO date of the digest day
    date_cn: str  # 2026年11月20日
    weekday_cn: str  # 星期五
    docs: tuple[DocEntry, ...]
    directions: tuple[Direction, ...]
    ops: OpsInfo
    directions_ordinal: str = ""


class DigestStore(Protocol):
    def documents_changed_between(self, start: str, end: str) -> list[DocumentRow]: ...
    def latest_version_text(self, document_id: int) -> tuple[str, str]: ...
    def links(
        self, *, child_id: int | None = None, parent_id: int | None = None
    ) -> list[LinkRow]: ...
    def comparisons(
        self, *, new_document_id: int | None = None, since: str | None = None
    ) -> list[ComparisonRow]: ...
    def document(self, document_id: int) -> DocumentRow | None: ...
    def fetch_failures_between(self, start: str, end: str) -> list[dict[str, Any]]: ...
    def undelivered_between(self, start: str, end: str) -> list[dict[str, Any]]: ...
    def save_digest(
        self, *, week: str, issue: int, total: int, markdown: str, html: str, docx: bytes | None
    ) -> None: ...


# ----------------------------------------------------------------------------- weeks and numbers


def issue_numbers(week: str, settings: DigestSettings) -> tuple[int, int]:
    """(第N期, 总第M期) of ``week``: one issue per week counted from the configured anchor."""
    year, number = parse_week(week)
    ay, an = parse_week(settings.anchor_week)
    delta = (date.fromisocalendar(year, number, 1) - date.fromisocalendar(ay, an, 1)).days // 7
    total = settings.anchor_total + delta
    if not settings.issues_per_year_reset or year == ay:
        issue = settings.anchor_issue + delta
    else:
        issue = number  # a new year restarts at 第1期 in its first ISO week
    return max(1, issue), max(1, total)


def cn_date(iso: str) -> str:
    d = date.fromisoformat(iso[:10])
    return f"{d.year}年{d.month}月{d.day}日"


# ----------------------------------------------------------------------------- text heuristics


def _sentences(text: str) -> list[str]:
    return split_sentences(text, ends=STRONG_ENDS, breaks="none", need_word=False)


def _clip(sentence: str) -> str:
    return (
        sentence
        if len(sentence) <= MAX_SENTENCE
        else sentence[:MAX_SENTENCE].rstrip("，、；") + "……"
    )


def lead_sentence(text: str, title: str = "") -> str:
    """The opening purpose sentence (「为……，制定本方案。」), else the first prose sentence."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if lines and title and lines[0] == title.strip():
        lines = lines[1:]
    prose = [ln for ln in lines[:15] if not NOT_PROSE.search(ln) and len(ln) > 12]
    for line in prose:
        for sentence in _sentences(line):
            if PURPOSE_OPENERS.match(sentence):
                return _clip(sentence)
    for line in prose:
        sentences = _sentences(line)
        if sentences:
            return _clip(sentences[0])
    return ""


def key_points(text: str, title: str) -> tuple[KeyPoint, ...]:
    """Headings of the document with their first sentence, as the bulletin summarises a text."""
    from watcher.text.structure import parse

    if text.strip():
        root = parse(text, title)
        top = list(root.children)
        if len(top) <= 2 and any(c.children for c in top):
            top = [g for c in top for g in c.children] or top
        points = []
        for s in top[:MAX_POINTS]:
            first = _sentences(s.body)[:1] or [
                _sentences(c.heading + "。" if c.heading else c.body)[0]
                for c in s.children[:1]
                if c.heading or c.body
            ]
            marker = s.number + ("、" if s.number and s.number[-1] in CN_NUMERAL_CHARS else "")
            points.append(
                KeyPoint(marker, s.heading.rstrip("。"), _clip(first[0]) if first else "")
            )
        if points:
            return tuple(points)
    paragraphs = [ln.strip() for ln in text.splitlines() if len(ln.strip()) > 12][:3]
    return tuple(KeyPoint("", "", _clip(p)) for p in paragraphs)


def _bigrams(title: str) -> set[str]:
    for word in TITLE_STOPWORDS:
        title = title.replace(word, " ")
    chars = re.sub(r"[\s\W\d]+", " ", title)
    return {chars[i : i + 2] for i in range(len(chars) - 1) if " " not in chars[i : i + 2]}


def _title_similarity(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _is_interpretation(doc: DocumentRow) -> bool:
    return (doc.kind or "") == "解读" or any(m in doc.title for m in INTERPRETATION_MARKERS)


# ----------------------------------------------------------------------------- building


def _level_rank(doc: DocumentRow) -> int:
    return LEVELS.index(doc.level) if doc.level in LEVELS else len(LEVELS)


def _compare_box(store: DigestStore, doc: DocumentRow) -> CompareBox | None:
    stored = store.comparisons(new_document_id=doc.id)
    rows = [r for r in stored if r.new_version_id == doc.current_version_id] or stored
    if not rows:
        return None
    row = max(rows, key=lambda r: r.id)
    summary, result = row.comparison.summary, row.comparison
    parent = store.document(row.old_document_id)
    parent_title = result.old_title or (parent.title if parent else "")
    new_headings = [m.new_heading for m in result.sections if m.status == "new" and m.new_heading]
    notable = tuple(sorted(new_headings, key=lambda h: (-len(h), h))[:3])
    return CompareBox(
        parent_title=str(parent_title),
        carried_share=float(summary.get("carried_share", 0.0)),
        same=int(summary.get("same", 0)),
        changed=int(summary.get("changed", 0)),
        new=int(summary.get("new", 0)),
        dropped=int(summary.get("dropped", 0)),
        notable=notable,
    )


def digest_context(
    store: DigestStore,
    week: str,
    settings: DigestSettings,
    *,
    directions: Sequence[Direction] | None = None,
    tz: str = DEFAULT_TZ,
) -> DigestContext:
    """Everything the templates show, gathered from the store for ``week``."""
    start, end = week_bounds(week, tz)
    docs = sorted(
        store.documents_changed_between(start, end),
        key=lambda d: (_level_rank(d), d.date or "", d.id),
    )
    texts = {d.id: store.latest_version_text(d.id) for d in docs}
    leads, attached = _further_reading(store, docs, texts)
    entries = []
    for n, d in enumerate(leads, 1):
        title, text = texts[d.id]
        entries.append(
            DocEntry(
                ordinal=cn_numeral(n),
                date_cn=cn_date(d.date or d.first_seen),
                issuer=d.issuer or "",
                title=d.title,
                url=d.url,
                level_label=LEVEL_LABEL.get(d.level or "", ""),
                lead=lead_sentence(text, title),
                points=key_points(text, title),
                related=tuple(attached[d.id]),
                compare=_compare_box(store, d),
            )
        )
    directions_error = ""
    if directions is None:
        directions, directions_error = _directions(store, start, end, settings.max_directions)
    day = week_day(week, settings.weekday)
    issue, total = issue_numbers(week, settings)
    ops = _operations(store, start, end, directions_error)
    return DigestContext(
        name=settings.name,
        publisher=settings.publisher,
        week=week,
        issue=issue,
        total=total,
        date=day.isoformat(),
        date_cn=cn_date(day.isoformat()),
        weekday_cn=WEEKDAYS[day.weekday()],
        docs=tuple(entries),
        directions=tuple(directions[: settings.max_directions]),
        ops=ops,
        directions_ordinal=cn_numeral(len(entries) + 1),
    )


def _further_reading(
    store: DigestStore, docs: Sequence[DocumentRow], texts: dict[int, tuple[str, str]]
) -> tuple[list[DocumentRow], dict[int, list[Related]]]:
    """The lead documents and, for each, its 【附件】 and 【延伸阅读】: its attachments,
    interpretations of it, its parent and children stored the same week, and documents with a
    similar title. An attachment is listed under its page, never as a document of its own."""
    by_id = {d.id: d for d in docs}
    parts = [d for d in docs if d.attachment_of in by_id]
    docs = [d for d in docs if d.attachment_of not in by_id]
    interpretations = [d for d in docs if _is_interpretation(d)]
    leads = [d for d in docs if not _is_interpretation(d)]
    attached: dict[int, list[Related]] = {d.id: [] for d in leads}
    for item in interpretations:
        best = max(
            leads, key=lambda d: (_title_similarity(item.title, d.title), -d.id), default=None
        )
        if (
            best is not None
            and _title_similarity(item.title, best.title) >= RELATED_TITLE_SIMILARITY
        ):
            attached[best.id].append(
                Related(item.title, item.url, "解读", lead_sentence(texts[item.id][1], item.title))
            )
        else:
            leads.append(item)  # an interpretation of something we do not hold
            attached[item.id] = []
    week_ids = {d.id: d for d in docs}
    for d in leads:
        attached[d.id].extend(_lineage_related(store, d, week_ids))
        for other in leads:
            if (
                other.id != d.id
                and _title_similarity(d.title, other.title) >= RELATED_TITLE_SIMILARITY
                and not any(r.title == other.title for r in attached[d.id])
            ):
                attached[d.id].append(Related(other.title, other.url, "相关文件"))
    for part in parts:
        if part.attachment_of in attached:
            attached[part.attachment_of].insert(0, Related(part.title, part.url, "附件"))
    # A parent can be linked twice (cited in the text and configured as a pair): list it once.
    for d_id, items in attached.items():
        attached[d_id] = list({r.title: r for r in reversed(items)}.values())[::-1]
    return leads, attached


def _lineage_related(
    store: DigestStore, d: DocumentRow, week_ids: dict[int, DocumentRow]
) -> list[Related]:
    out: list[Related] = []
    for link in store.links(child_id=d.id):
        parent = week_ids.get(link.parent_id or -1)
        if parent is not None and parent.id != d.id:
            out.append(Related(parent.title, parent.url, "上位文件"))
    for link in store.links(parent_id=d.id):
        child = week_ids.get(link.child_id)
        if child is not None and child.id != d.id:
            out.append(Related(child.title, child.url, "下位文件"))
    return out


def _operations(store: DigestStore, start: str, end: str, directions_error: str) -> OpsInfo:
    failures = tuple(
        (str(r["name"]), int(r["failures"]), str(r["last_error"] or ""))
        for r in store.fetch_failures_between(start, end)
    )
    undelivered = store.undelivered_between(start, end)
    return OpsInfo(
        failed_sources=failures,
        dead=tuple(
            # redact again: labels stored by older versions kept path tokens
            (str(r["title"]), redact(str(r["channel_label"])), str(r["last_error"] or ""))
            for r in undelivered
            if r["status"] == "dead"
        ),
        pending=sum(1 for r in undelivered if r["status"] != "dead"),
        directions_error=directions_error,
    )


def _directions(store: Any, start: str, end: str, limit: int) -> tuple[list[Direction], str]:
    """Ranked directions for the week, or none and the reason when that stage fails: the
    bulletin draft is still worth having without them, and the appendix says what went wrong."""
    try:
        result: list[Direction] = directions_for_period(store, start, end, limit=limit)
    except Exception as exc:  # a bug in another stage must not cost the editors their draft
        log.exception("directions failed for the digest")
        return [], f"{type(exc).__name__}: {exc}"[:200]
    return result, ""
