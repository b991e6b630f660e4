"""Rendering of comparisons and version diffs for readers (Markdown and HTML).

In: a ``Comparison`` or a ``VersionDiff``. Out: Chinese text for editors — a summary first (how
much of the old plan the new one carries, what it adds, what it leaves out), then each section
labelled 延续 / 调整 / 新增 / 未体现 with insertions and deletions marked (``**ins**`` /
``~~del~~`` in Markdown, ``<ins>`` / ``<del>`` in HTML). Long unchanged runs are shortened to
a little context. Every string that comes from a document is HTML-escaped; the HTML is a
self-contained fragment with inline styles so it survives email clients and the web UI.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from watcher.models import Comparison, InlineOp, SectionChange, Target, VersionDiff

__all__ = [
    "comparison_html",
    "comparison_markdown",
    "comparison_summary",
    "unrelated_warning",
    "version_diff_html",
    "version_diff_markdown",
]

# --------------------------------------------------------------------------- constants (data)

STATUS_LABEL = {"same": "延续", "changed": "调整", "new": "新增", "dropped": "未体现"}
CHANGE_LABEL = {"added": "新增", "removed": "删除", "changed": "修改"}
#: Characters of unchanged text kept on each side of an edit.
CONTEXT_CHARS = 30
#: An inserted/deleted run longer than this is shown shortened (whole new sentences, sections).
MAX_RUN_CHARS = 400
_STYLE_INS = "background:#e6ffec;text-decoration:none"
_STYLE_DEL = "background:#ffebe9;color:#82071e"
#: Below this share of the parent carried and above this share of new sections, two documents
#: share almost nothing: probably not a document and the one it implements.
UNRELATED_CARRIED_SHARE = 0.1
UNRELATED_NEW_SHARE = 0.9
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]#<>|])")


def _shorten_equal(text: str, first: bool, last: bool) -> str:
    if len(text) <= 2 * CONTEXT_CHARS:
        return text
    head = "" if first else text[:CONTEXT_CHARS]
    tail = "" if last else text[-CONTEXT_CHARS:]
    return f"{head}…{tail}"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_RUN_CHARS else text[:MAX_RUN_CHARS] + "…"


def _pieces(ops: Sequence[InlineOp]) -> list[tuple[str, str]]:
    out = []
    for k, op in enumerate(ops):
        if op.op == "equal":
            out.append(("equal", _shorten_equal(op.text, k == 0, k == len(ops) - 1)))
        else:
            out.append((op.op, _clip(op.text)))
    return out


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s*\n\s*", " ", text))


def _ops_markdown(ops: Sequence[InlineOp]) -> str:
    parts = []
    for op, text in _pieces(ops):
        if not text.strip():
            parts.append(_md(text))
        elif op == "insert":
            parts.append(f"**{_md(text.strip())}**")
        elif op == "delete":
            parts.append(f"~~{_md(text.strip())}~~")
        else:
            parts.append(_md(text))
    return "".join(parts)


def _ops_html(ops: Sequence[InlineOp]) -> str:
    parts = []
    for op, text in _pieces(ops):
        if op == "insert":
            parts.append(f'<ins style="{_STYLE_INS}">{escape(text)}</ins>')
        elif op == "delete":
            parts.append(f'<del style="{_STYLE_DEL}">{escape(text)}</del>')
        else:
            parts.append(escape(text))
    return "".join(parts)


# --------------------------------------------------------------------------- comparison


def _summary_lines(c: Comparison) -> list[str]:
    s = c.summary
    old_total, carried = int(s.get("old_sections", 0)), int(s.get("carried", 0))
    share = float(s.get("carried_share", 0.0))
    lines = [
        f"新文件共 {s.get('new_sections', 0)} 个部分：延续 {s.get('same', 0)} 个、"
        f"调整 {s.get('changed', 0)} 个、新增 {s.get('new', 0)} 个。",
        f"上位/原文件 {old_total} 个部分中有 {carried} 个在新文件中得到体现（{share:.0%}），"
        f"{s.get('dropped', 0)} 个未体现。",
    ]
    added = [m.new_heading for m in c.sections if m.status == "new" and m.new_heading]
    if added:
        lines.append("新增内容：" + "；".join(added[:12]) + ("等。" if len(added) > 12 else "。"))
    if c.dropped:
        names = [d.old_heading or d.old_id for d in c.dropped]
        lines.append("未体现：" + "；".join(names[:12]) + ("等。" if len(names) > 12 else "。"))
    paired = int(s.get("targets_paired", 0))
    if s.get("targets_new", 0) or s.get("targets_old", 0):
        lines.append(
            f"量化指标：新文件 {s.get('targets_new', 0)} 项，上位/原文件 {s.get('targets_old', 0)} 项，可对照 {paired} 项。"
        )
    return lines


def comparison_summary(c: Comparison) -> str:
    """The comparison in one Chinese line (sections kept, adjusted, added; the parent's share
    carried; targets), for a console line or a list."""
    s = c.summary
    line = (
        f"新文件 {s.get('new_sections', 0)} 个部分（延续 {s.get('same', 0)}、"
        f"调整 {s.get('changed', 0)}、新增 {s.get('new', 0)}）；"
        f"上位/原文件 {s.get('old_sections', 0)} 个部分中 {s.get('carried', 0)} 个得到体现"
        f"（{float(s.get('carried_share', 0.0)):.0%}），{s.get('dropped', 0)} 个未体现"
    )
    if s.get("targets_new", 0) or s.get("targets_old", 0):
        line += f"；量化指标可对照 {s.get('targets_paired', 0)} 项"
    return line + "。"


def unrelated_warning(c: Comparison) -> str | None:
    """A warning when the two documents share almost nothing, else None: a comparison of
    unrelated texts is all 新增 / 未体现 and says nothing about either."""
    s = c.summary
    carried, new = float(s.get("carried_share", 0.0)), float(s.get("new_share", 0.0))
    if carried >= UNRELATED_CARRIED_SHARE or new <= UNRELATED_NEW_SHARE:
        return None
    return (
        f"注意：两份文件几乎没有共同内容（上位/原文件只有 {carried:.0%} 的部分在新文件中有对应，"
        f"新文件 {new:.0%} 的部分为新增）。请确认它们确实相关：OLD 应是 NEW 所依据的上位文件或前一版。"
    )


def _target_text(t: Target | None) -> str:
    if t is None:
        return "—"
    year = f"{t.year}年 " if t.year else ""
    return f"{year}{t.subject} {t.value}".strip()


def _title_line(c: Comparison) -> str:
    old = c.old_title or "上位/原文件"
    new = c.new_title or "新文件"
    return f"《{new}》对照《{old}》"


def comparison_markdown(c: Comparison) -> str:
    """The comparison as Markdown for a reader (summary, sections, dropped, targets)."""
    out = [f"# {_md(_title_line(c))}", "", "## 概要", ""]
    out.extend(f"- {_md(line)}" for line in _summary_lines(c))
    out += ["", "## 逐节对照", ""]
    for m in c.sections:
        label = STATUS_LABEL[m.status]
        out.append(f"### 【{label}】{_md(m.new_id)} {_md(m.new_heading)}")
        if m.old_ids:
            olds = "；".join(
                f"{_md(i)} {_md(h)}" for i, h in zip(m.old_ids, m.old_headings, strict=False)
            )
            out.append(f"对应：{olds}（相似度 {m.similarity:.2f}）")
        if m.diff and m.status != "new":
            out += ["", _ops_markdown(m.diff)]
        out.append("")
    if c.dropped:
        out += ["## 未体现的部分", ""]
        out.extend(f"- 【未体现】{_md(d.old_id)} {_md(d.old_heading)}" for d in c.dropped)
        out.append("")
    if c.targets:
        out += ["## 量化指标对照", "", "| 上位/原文件 | 新文件 |", "|---|---|"]
        out.extend(
            f"| {_md(_target_text(p.old))} | {_md(_target_text(p.new))} |" for p in c.targets
        )
        out.append("")
    return "\n".join(out)


def comparison_html(c: Comparison) -> str:
    """The comparison as a standalone HTML page (inline styles; every document string escaped)."""
    body = [f"<h1>{escape(_title_line(c))}</h1>", "<h2>概要</h2>", "<ul>"]
    body.extend(f"<li>{escape(line)}</li>" for line in _summary_lines(c))
    body += ["</ul>", "<h2>逐节对照</h2>"]
    for m in c.sections:
        label = STATUS_LABEL[m.status]
        body.append(
            f'<section class="match {escape(m.status)}"><h3>【{label}】{escape(m.new_id)} {escape(m.new_heading)}</h3>'
        )
        if m.old_ids:
            olds = "；".join(
                f"{escape(i)} {escape(h)}" for i, h in zip(m.old_ids, m.old_headings, strict=False)
            )
            body.append(f"<p>对应：{olds}（相似度 {m.similarity:.2f}）</p>")
        if m.diff and m.status != "new":
            body.append(f"<p>{_ops_html(m.diff)}</p>")
        body.append("</section>")
    if c.dropped:
        body += ["<h2>未体现的部分</h2>", "<ul>"]
        body.extend(
            f"<li>【未体现】{escape(d.old_id)} {escape(d.old_heading)}</li>" for d in c.dropped
        )
        body.append("</ul>")
    if c.targets:
        body += ["<h2>量化指标对照</h2>", "<table><tr><th>上位/原文件</th><th>新文件</th></tr>"]
        body.extend(
            f"<tr><td>{escape(_target_text(p.old))}</td><td>{escape(_target_text(p.new))}</td></tr>"
            for p in c.targets
        )
        body.append("</table>")
    return _page(_title_line(c), body)


# --------------------------------------------------------------------------- version diff


def _change_title(ch: SectionChange) -> str:
    sid = ch.new_id if ch.new_id is not None else ch.old_id
    where = f"{sid} {ch.heading}".strip() if sid else (ch.heading or "正文开头")
    return f"【{CHANGE_LABEL[ch.kind]}】{where}"


def version_diff_markdown(d: VersionDiff) -> str:
    """A version diff as Markdown: one entry per added, removed or changed section."""
    if not d.changes:
        return "# 版本对比\n\n无实质性变化（仅格式、空白或页面元素不同）。\n"
    counts = {k: sum(1 for c in d.changes if c.kind == k) for k in CHANGE_LABEL}
    out = [
        "# 版本对比",
        "",
        f"共 {len(d.changes)} 处变化：新增 {counts['added']} 节、删除 {counts['removed']} 节、修改 {counts['changed']} 节。",
        "",
    ]
    for ch in d.changes:
        out += [f"## {_md(_change_title(ch))}", "", _ops_markdown(ch.ops), ""]
    return "\n".join(out)


def version_diff_html(d: VersionDiff) -> str:
    """A version diff as a standalone HTML page (every document string escaped)."""
    if not d.changes:
        return _page(
            "版本对比", ["<h1>版本对比</h1>", "<p>无实质性变化（仅格式、空白或页面元素不同）。</p>"]
        )
    body = ["<h1>版本对比</h1>", f"<p>共 {len(d.changes)} 处变化。</p>"]
    for ch in d.changes:
        body += [f"<h2>{escape(_change_title(ch))}</h2>", f"<p>{_ops_html(ch.ops)}</p>"]
    return _page("版本对比", body)


def _page(title: str, body: Sequence[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n"
        '<body style="font-family:sans-serif;line-height:1.6;max-width:60em;margin:auto">\n'
        + "\n".join(body)
        + "\n</body></html>\n"
    )
