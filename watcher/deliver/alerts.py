"""Alert rules: what the pipeline saw (a new document, a new version, a comparison, a direction,
a watchlist hit, a failing or recovered source) → ``models.Alert`` values.

Pure builders: no store, no clock. Each alert carries a dedupe key that names the thing it is
about (``doc:<document id>``, ``ver:<version id>``, ``cmp:<new version>:<old document>``,
``dir:<period>:<direction>``, ``topic:<topic>:<document>:<version>``,
``health:<source>:<episode start>``, ``digest:<week>``), so storing the same alert twice is a no-op and a re-run
never repeats one. Severities are data (the tables below). Titles and bodies are Chinese plain
text with links, ready for e-mail and chat channels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from watcher.config import Topic
from watcher.labels import CHANGE_KIND_LABEL, LEVEL_LABEL
from watcher.models import (
    Alert,
    Comparison,
    Direction,
    Evidence,
    InlineOp,
    SectionChange,
    Severity,
    VersionDiff,
)
from watcher.text.clip import shorten
from watcher.text.similarity import has_edits

__all__ = [
    "DIGEST_KEY_PREFIX",
    "alert_comparison",
    "alert_digest",
    "alert_direction",
    "alert_layout_changed",
    "alert_new_document",
    "alert_new_version",
    "alert_source_health",
    "alert_source_recovered",
    "alert_topic",
    "change_summary",
    "health_key_prefix",
    "revision_kind_line",
    "should_alert_version",
]

# --------------------------------------------------------------------------- severity rules (data)

SEVERITY_ORDER: tuple[Severity, ...] = ("info", "notice", "warning", "critical")
#: A new document's severity by the level of its source.
NEW_DOCUMENT_SEVERITY: Mapping[str, Severity] = {
    "national": "warning",
    "ministry": "warning",
    "municipal": "notice",
    "district": "notice",
    "media": "info",
}
#: Title words of the documents that set policy for years: one step more severe.
MAJOR_DOCUMENT_WORDS: tuple[str, ...] = ("纲要", "规划", "条例", "法", "决定", "意见", "行动计划")
#: A new version is a warning from this many changed sections on, or when sections were added
#: or removed; otherwise a notice.
VERSION_WARNING_SECTIONS = 3
#: A comparison is a warning when the new document adds at least this many sections of its own.
COMPARISON_WARNING_NEW = 3
TOPIC_SEVERITY: Severity = "warning"
DIRECTION_SEVERITY: Severity = "notice"
HEALTH_SEVERITY: Severity = "warning"
RECOVERED_SEVERITY: Severity = "info"
DIGEST_SEVERITY: Severity = "notice"
#: Dedupe keys of the weekly digest messages start with this, then the ISO week.
DIGEST_KEY_PREFIX = "digest:"

#: How much of a diff an alert shows.
MAX_SECTIONS_LISTED = 8
CONTEXT_CHARS = 8
MAX_OP_CHARS = 40
MAX_SUMMARY_CHARS = 160
MAX_SENTENCES = 3
#: Order of the kinds in 「修订：新增 3 条，修改 5 条」.
REVISION_ORDER = ("新增", "修改", "移动", "拆分", "合并", "删除", "新增章", "章名修改", "删除章")
_ARTICLE = re.compile(r"^第.+条(?:之.+)?$")


def _bump(severity: Severity, steps: int = 1) -> Severity:
    i = min(SEVERITY_ORDER.index(severity) + steps, SEVERITY_ORDER.index("warning"))
    return SEVERITY_ORDER[max(i, 0)]


def _clip(text: str, limit: int) -> str:
    """Shortened between words, brackets closed: an alert line never ends mid-word."""
    return shorten(text, limit)


def _link(url: str | None) -> str:
    return f"链接：{url}" if url else ""


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- documents and versions


def alert_new_document(
    doc_title: str,
    url: str | None,
    source_name: str,
    level: str,
    meta: Mapping[str, str],
    document_id: int,
    *,
    attachments: Sequence[str] = (),
) -> Alert:
    """A document seen for the first time, with its attachments listed under it."""
    severity = NEW_DOCUMENT_SEVERITY.get(level, "notice")
    if any(w in doc_title for w in MAJOR_DOCUMENT_WORDS):
        severity = _bump(severity)
    facts = [
        ("来源", f"{source_name}（{LEVEL_LABEL[level]}）" if level in LEVEL_LABEL else source_name),
        ("发文字号", meta.get("doc_number", "")),
        ("发布机构", meta.get("issuer", "")),
        ("成文日期", meta.get("written_date", "")),
        ("发布日期", meta.get("published_date", "")),
    ]
    body = _join(
        f"《{doc_title}》",
        *(f"{label}：{value}" for label, value in facts if value),
        *(f"附件：{name}" for name in dict.fromkeys(n.strip() for n in attachments if n.strip())),
        _link(url),
    )
    return Alert(
        kind="new_document",
        dedupe_key=f"doc:{document_id}",
        severity=severity,
        title=f"新文件：{_clip(doc_title, 60)}",
        body=body,
        url=url,
        document_id=document_id,
    )


def should_alert_version(diff: VersionDiff, flip_flop: bool) -> bool:
    """A new version deserves an alert only when it changed something and is not a flip-flop
    back to text we already had."""
    return diff.substantive and not flip_flop


def change_summary(ops: Sequence[InlineOp]) -> str:
    """「……上下文[删]旧[增]新上下文……」 for one section's inline operations."""
    parts: list[str] = []
    pending_context = ""
    for i, op in enumerate(ops):
        if op.op == "equal":
            text = " ".join(op.text.split())
            before = i > 0
            after = i + 1 < len(ops)
            if before and after and len(text) > 2 * CONTEXT_CHARS:
                parts.append(text[:CONTEXT_CHARS] + "……")
                pending_context = text[-CONTEXT_CHARS:]
            elif before and after:
                parts.append(text)
            elif after:
                pending_context = ("……" if len(text) > CONTEXT_CHARS else "") + text[
                    -CONTEXT_CHARS:
                ]
            else:
                parts.append(text[:CONTEXT_CHARS] + ("……" if len(text) > CONTEXT_CHARS else ""))
            continue
        if pending_context:
            parts.append(pending_context)
            pending_context = ""
        tag = "[删]" if op.op == "delete" else "[增]"
        parts.append(tag + _clip(op.text, MAX_OP_CHARS))
    return _clip("".join(parts), MAX_SUMMARY_CHARS)


def _label(section_id: str) -> str:
    """「第十二条」 for an article (its number is what a reader cites), the id otherwise."""
    last = section_id.rsplit("/", 1)[-1]
    return last if _ARTICLE.match(last) else section_id


def _where(ch: SectionChange) -> str:
    new = "、".join(_label(i) for i in (ch.new_ids or ([ch.new_id] if ch.new_id else [])))
    old = "、".join(_label(i) for i in (ch.old_ids or ([ch.old_id] if ch.old_id else [])))
    if new and old and new != old:
        return f"{new}（原{old}）"
    return new or old or "正文"


def _section_line(ch: SectionChange) -> str:
    where = _where(ch)
    label = ch.revision or CHANGE_KIND_LABEL[ch.kind]
    if ch.kind == "changed" and ch.ops and has_edits(ch.ops):
        return f"{where}（{label}）：{change_summary(ch.ops)}"
    text = "".join(op.text for op in ch.ops) or ch.heading
    return f"{where}（{label}）：{_clip(ch.heading or text, 60)}"


def revision_kind_line(changes: Sequence[SectionChange]) -> str:
    """「修订：新增 3 条，修改 5 条」: what kind of revision a new version is, counted by the
    kinds of its changes (articles 条, sections 节, chapters 个). Renumbering and reformatting
    are not changes, so they are never counted."""
    counts: dict[str, int] = {}
    for ch in changes:
        kind = ch.revision or CHANGE_KIND_LABEL[ch.kind]
        counts[kind] = counts.get(kind, 0) + 1
    ids = [i for ch in changes for i in (ch.new_id, ch.old_id) if i]
    noun = "条" if any(_ARTICLE.match(i.rsplit("/", 1)[-1]) for i in ids) else "节"
    parts = [
        f"{k} {counts[k]} {'个' if k.endswith('章') else noun}"
        for k in (*REVISION_ORDER, *(k for k in counts if k not in REVISION_ORDER))
        if k in counts
    ]
    return "修订：" + "，".join(parts)


def alert_new_version(
    doc_title: str,
    url: str | None,
    diff: VersionDiff,
    document_id: int,
    version_id: int,
) -> Alert:
    """A known document changed. Call only when ``should_alert_version`` says so."""
    changes = diff.changes
    structural = any(c.kind != "changed" for c in changes)
    severity: Severity = (
        "warning" if structural or len(changes) >= VERSION_WARNING_SECTIONS else "notice"
    )
    lines = [_section_line(c) for c in changes[:MAX_SECTIONS_LISTED]]
    more = len(changes) - MAX_SECTIONS_LISTED
    body = _join(
        f"《{doc_title}》有新版本（{revision_kind_line(changes)}）：",
        *lines,
        f"……另有 {more} 处变化" if more > 0 else "",
        _link(url),
    )
    return Alert(
        kind="new_version",
        dedupe_key=f"ver:{version_id}",
        severity=severity,
        title=f"文件更新：{_clip(doc_title, 60)}",
        body=body,
        url=url,
        document_id=document_id,
    )


# --------------------------------------------------------------------------- comparisons


def alert_comparison(
    new_title: str,
    old_title: str,
    comparison: Comparison,
    new_document_id: int,
    old_document_id: int,
    new_version_id: int,
    old_version_id: int | None = None,
) -> Alert:
    """A new document compared with the document it implements or replaces."""
    by_status: dict[str, list[str]] = {"same": [], "changed": [], "new": []}
    for m in comparison.sections:
        by_status[m.status].append(m.new_id + (f" {m.new_heading}" if m.new_heading else ""))
    new_sections = by_status["new"]
    severity: Severity = "warning" if len(new_sections) >= COMPARISON_WARNING_NEW else "notice"
    changed_targets = [
        p
        for p in comparison.targets
        if p.old is None or p.new is None or p.old.value != p.new.value
    ]
    lines = [
        f"《{new_title}》对照《{old_title}》：",
        f"延续 {len(by_status['same'])} 节，调整 {len(by_status['changed'])} 节，"
        f"新增 {len(new_sections)} 节，未体现 {len(comparison.dropped)} 节。",
    ]
    if new_sections:
        lines.append(
            "新增内容：" + "；".join(_clip(s, 30) for s in new_sections[:MAX_SECTIONS_LISTED])
        )
    if comparison.dropped:
        lines.append(
            "未体现："
            + "；".join(
                _clip(f"{d.old_id} {d.old_heading}".strip(), 30)
                for d in comparison.dropped[:MAX_SECTIONS_LISTED]
            )
        )
    for pair in changed_targets[:MAX_SECTIONS_LISTED]:
        old = f"{pair.old.subject} {pair.old.value}" if pair.old else "（无）"
        new = f"{pair.new.subject} {pair.new.value}" if pair.new else "（无）"
        lines.append(f"指标：{_clip(old, 40)} → {_clip(new, 40)}")
    key = f"cmp:{new_version_id}:{old_document_id}"
    if old_version_id is not None:
        key += f":{old_version_id}"
    return Alert(
        kind="comparison",
        dedupe_key=key,
        severity=severity,
        title=f"对照上位文件：{_clip(new_title, 50)}",
        body=_join(*lines),
        document_id=new_document_id,
    )


# --------------------------------------------------------------------------- directions and topics


def alert_direction(direction: Direction, period: str) -> Alert:
    """A research direction proposed for a period (an ISO week such as 2026-W47)."""
    lines = [
        f"{period} 推荐研究方向：{direction.direction}",
        "关键词：" + "、".join(direction.terms),
    ]
    for e in direction.evidence[:MAX_SENTENCES]:
        where = f"《{e.title}》" + (f" {e.section}" if e.section else "")
        lines.append(f"· {where}：{_clip(e.sentence, 120)}" + (f"（{e.url}）" if e.url else ""))
    first = direction.evidence[0] if direction.evidence else None
    return Alert(
        kind="direction",
        dedupe_key=f"dir:{period}:{direction.direction}",
        severity=DIRECTION_SEVERITY,
        title=f"研究方向：{direction.direction}",
        body=_join(*lines),
        url=first.url if first else None,
        document_id=first.document_id if first else None,
        evidence=direction.evidence,
    )


def alert_topic(
    topic: Topic | str,
    doc_title: str,
    url: str | None,
    sentences: Sequence[str],
    document_id: int,
    version_id: int | None,
    section_id: str | None = None,
) -> Alert:
    """A watchlist topic found in a new document or a changed section."""
    name = topic if isinstance(topic, str) else topic.name
    shown = [_clip(s, 120) for s in sentences[:MAX_SENTENCES]]
    body = _join(
        f"关注主题「{name}」出现在《{doc_title}》"
        + (f" {section_id}" if section_id else "")
        + "：",
        *(f"· {s}" for s in shown),
        _link(url),
    )
    evidence = tuple(
        Evidence(
            title=doc_title, section=section_id or "", sentence=s, url=url, document_id=document_id
        )
        for s in shown
    )
    return Alert(
        kind="topic",
        dedupe_key=f"topic:{name}:{document_id}:{version_id}",
        severity=TOPIC_SEVERITY,
        title=f"关注主题「{name}」：{_clip(doc_title, 50)}",
        body=body,
        url=url,
        document_id=document_id,
        evidence=evidence,
    )


# --------------------------------------------------------------------------- source health


def health_key_prefix(source_id: str) -> str:
    """Prefix of every health alert of ``source_id`` (for ``store.resolve_alerts``). The trailing
    colon keeps source ``cq`` from resolving the alerts of ``cq2``."""
    return f"health:{source_id}:"


def alert_source_health(
    source_id: str,
    source_name: str,
    failures: int,
    last_error: str,
    *,
    episode: str | None = None,
) -> Alert:
    """A source failed ``failures`` runs in a row. Raise it once, when the count reaches the
    threshold; ``episode`` (when the failing run ended, ISO) makes the next episode a new alert."""
    key = health_key_prefix(source_id) + (episode or "open")
    body = _join(
        f"来源「{source_name}」（{source_id}）已连续 {failures} 次抓取失败。",
        f"最近的错误：{_clip(last_error, 200)}" if last_error else "",
        "请检查网站是否改版、被拦截或无法访问；用 watcher sources 查看各来源的状态。",
    )
    return Alert(
        kind="source_health",
        dedupe_key=key,
        severity=HEALTH_SEVERITY,
        title=f"来源异常：{source_name}",
        body=body,
        source_id=source_id,
    )


def alert_layout_changed(
    source_id: str,
    source_name: str,
    problems: Sequence[tuple[str, str, str]],
    *,
    episode: str | None = None,
) -> Alert:
    """Pages of a source that answered but whose selectors matched nothing, or far less than
    usual: ``problems`` are (url, selector, reason). Raised at once, once per failure streak
    (``episode`` as for ``alert_source_health``), and resolved when the source recovers."""
    listing = [f"· {url}\n  选择器「{selector}」{reason}" for url, selector, reason in problems[:5]]
    more = len(problems) - 5
    body = _join(
        f"来源「{source_name}」（{source_id}）的页面能打开，但按配置的选择器提取不到内容：",
        "\n".join(listing),
        f"……另有 {more} 个页面" if more > 0 else "",
        f"请在浏览器中打开上面的网址核对页面结构，并修改 sources.yaml 中来源 {source_id} 的"
        "选择器（lists 的 item/row，或 detail 的 body）。修好之前，这个来源的新文件会被漏掉。",
    )
    return Alert(
        kind="source_health",
        dedupe_key=health_key_prefix(source_id) + "layout:" + (episode or "open"),
        severity=HEALTH_SEVERITY,
        title=f"页面结构可能已改版：{source_name}",
        body=body,
        source_id=source_id,
    )


def alert_source_recovered(
    source_id: str, source_name: str, *, episode: str | None = None
) -> Alert:
    """A failing source works again. ``episode`` (when it recovered) keeps a later recovery
    from being deduplicated into this one."""
    return Alert(
        kind="source_recovered",
        dedupe_key=f"recovered:{source_id}:{episode or 'last'}",
        severity=RECOVERED_SEVERITY,
        title=f"来源恢复：{source_name}",
        body=f"来源「{source_name}」（{source_id}）已恢复正常抓取。",
        source_id=source_id,
    )


# --------------------------------------------------------------------------- weekly digest


def alert_digest(week: str, title: str, document_titles: Sequence[str]) -> Alert:
    """The message announcing ``week``'s bulletin draft. Chat channels get this body; e-mail
    gets the whole draft (the delivery worker adds it from the stored digest)."""
    listing = "\n".join(f"· {t}" for t in document_titles) or "本周没有新文件。"
    return Alert(
        kind="digest",
        dedupe_key=DIGEST_KEY_PREFIX + week,
        severity=DIGEST_SEVERITY,
        title=title,
        body=f"本期共 {len(document_titles)} 篇文件：\n{listing}\n"
        "完整草稿（Word）已发送到邮箱，也可用 watcher digest 导出。",
    )
