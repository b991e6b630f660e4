"""The 新旧对照表 for readers: Markdown, HTML, JSON and a real Word table.

In: a ``RevisionTable`` (``revision.revision_table``). Out: a summary line first
(「共 69 条：新增 29 条、修改 31 条……」), the chapter changes, then three columns 原条文 | 新条文 |
变化 with deletions marked in the old text and insertions in the new (``~~del~~`` / ``**ins**``
in Markdown, ``<del>`` / ``<ins>`` in HTML, struck red / underlined green runs in Word) and the
quantities that changed called out (80% → 90%).

``compact=True`` (for the weekly bulletin and alerts) leaves out the rows that did not change in
substance (未变, 仅编号变化, 仅格式变化) and shortens long unchanged runs. The functions are
independent of any caller: the digest, the CLI and the web page use the same ones.

Every string from a document is escaped (HTML) or has its Markdown table specials escaped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from html import escape
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, RGBColor

from watcher.models import ChapterChange, InlineOp, RevisionRow, RevisionTable, RevisionUnit

__all__ = [
    "SUBSTANTIVE_KINDS",
    "add_revision_table",
    "revision_docx",
    "revision_html",
    "revision_json",
    "revision_markdown",
    "revision_summary",
    "revision_table_html",
    "revision_table_markdown",
]

# --------------------------------------------------------------------------- constants (data)

#: Kinds listed in the summary, in this order.
KIND_ORDER = ("新增", "修改", "移动", "拆分", "合并", "删除", "仅格式变化", "仅编号变化", "未变")
#: Kinds that change what a document says (the rest is renumbering or formatting).
SUBSTANTIVE_KINDS = frozenset({"新增", "修改", "移动", "拆分", "合并", "删除"})
CHAPTER_ORDER = ("新增章", "章名修改", "删除章", "仅编号变化", "仅格式变化", "未变")
#: Characters of unchanged text kept on each side of an edit in compact tables.
CONTEXT_CHARS = 30
#: What the preamble is called: 题注 of a statute, 前言 of a plan.
PREAMBLE_LABEL = {"条": "题注", "节": "前言"}
HEADER = ("原条文", "新条文", "变化")
_STYLE_INS = "background:#e6ffec;text-decoration:underline"
_STYLE_DEL = "background:#ffebe9;color:#82071e"
_STYLE_CELL = "border:1px solid #ccc;padding:4px 6px;vertical-align:top"
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]#<>|])")
_INS_COLOR = RGBColor(0x1A, 0x7F, 0x37)
_DEL_COLOR = RGBColor(0xCF, 0x22, 0x2E)
#: Column widths of the Word table (原条文, 新条文, 变化) on an A4 page.
_DOCX_WIDTHS = (Cm(6.8), Cm(6.8), Cm(2.9))


# --------------------------------------------------------------------------- words


def revision_summary(table: RevisionTable) -> str:
    """「共 69 条：新增 29 条、修改 31 条、删除 2 条、仅编号变化 5 条、未变 2 条」 (+ the chapters)."""
    noun = table.unit_noun
    total = sum(len(r.new) for r in table.rows if r.new and r.new[0].id)
    parts = [f"{k} {n} {noun}" for k in KIND_ORDER if (n := table.count(k))]
    line = f"共 {total} {noun}：" + ("、".join(parts) if parts else "无")
    chapters = [
        f"{k} {n} 个"
        for k in CHAPTER_ORDER[:3]
        if (n := sum(1 for c in table.chapters if c.kind == k))
    ]
    if chapters:
        line += "；章：" + "、".join(chapters)
    preamble = next((r for r in table.rows if (r.old or r.new)[0].id == ""), None)
    if preamble is not None and preamble.kind in SUBSTANTIVE_KINDS:
        line += f"；{PREAMBLE_LABEL.get(noun, '前言')}{preamble.kind}"
    return line + "。"


def _label(units: Sequence[RevisionUnit], noun: str = "条") -> str:
    if not units:
        return ""
    if units[0].id == "":
        return PREAMBLE_LABEL.get(noun, "前言")
    return "、".join(u.label + (f" {u.heading}" if u.heading and u.label else "") for u in units)


def _change_note(row: RevisionRow) -> str:
    """The 变化 column: the kind, what it means here, and the quantities that changed."""
    note: str = row.kind
    if row.kind == "仅编号变化":
        note += f"（{_label(row.old)} → {_label(row.new)}）"
    elif row.kind == "移动":
        old_ch = row.old[0].chapter or "原位置"
        new_ch = row.new[0].chapter or "新位置"
        note += f"（{old_ch} → {new_ch}{'，并修改' if row.edited else '，内容未变'}）"
    elif row.kind in ("拆分", "合并"):
        note += f"（{len(row.old)} → {len(row.new)}）"
    elif row.kind == "仅格式变化":
        note += "（标点、空白或括号写法）"
    if row.quantities:
        note += "；" + "；".join(f"{q.old} → {q.new}" for q in row.quantities)
    return note


def _chapter_line(c: ChapterChange) -> str:
    """「章名修改：第二章 甲 → 第三章 乙」, 「新增章：第四章 保障与监督」."""
    old = f"{c.old_id or ''} {c.old_heading or ''}".strip()
    new = f"{c.new_id or ''} {c.new_heading or ''}".strip()
    return f"{c.kind}：" + (f"{old} → {new}" if old and new else old or new)


def _chapters_shown(table: RevisionTable, compact: bool) -> list[ChapterChange]:
    return [
        c
        for c in table.chapters
        if c.kind != "未变" and (not compact or c.kind in CHAPTER_ORDER[:3])
    ]


def _shown(rows: Sequence[RevisionRow], compact: bool, unchanged: bool = True) -> list[RevisionRow]:
    return [
        r
        for r in rows
        if (not compact or r.kind in SUBSTANTIVE_KINDS) and (unchanged or r.kind != "未变")
    ]


def _pieces(ops: Sequence[InlineOp], side: str, compact: bool) -> Iterator[tuple[str, str]]:
    """(op, text) of one side's cell: the old side shows equal + delete, the new equal + insert."""
    hide = "insert" if side == "old" else "delete"
    kept = [o for o in ops if o.op != hide]
    for k, op in enumerate(kept):
        text = op.text
        if compact and op.op == "equal" and len(text) > 2 * CONTEXT_CHARS:
            head = "" if k == 0 else text[:CONTEXT_CHARS]
            tail = "" if k == len(kept) - 1 else text[-CONTEXT_CHARS:]
            text = f"{head}…{tail}"
        yield op.op, text


# --------------------------------------------------------------------------- Markdown


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", "<br>")


def _md_cell(row: RevisionRow, side: str, compact: bool, noun: str) -> str:
    units = row.old if side == "old" else row.new
    if not units:
        return "—"
    parts = [f"**{_md(_label(units, noun))}** "]
    for op, text in _pieces(row.ops, side, compact):
        if op == "equal" or not text.strip():
            parts.append(_md(text))
        else:
            mark = "~~" if op == "delete" else "**"
            parts.append(f"{mark}{_md(text.strip())}{mark}")
    return "".join(parts)


def revision_table_markdown(
    table: RevisionTable, *, compact: bool = False, unchanged: bool = True
) -> str:
    """The summary line and the three-column table as Markdown (no title), for the CLI and the
    bulletin. ``compact``: only rows that change what the document says, long runs shortened;
    ``unchanged=False``: leave out the 未变 rows only."""
    noun = table.unit_noun
    out = [revision_summary(table), ""]
    chapters = _chapters_shown(table, compact)
    if chapters:
        out += [f"- {_md(_chapter_line(c))}" for c in chapters]
        out.append("")
    rows = _shown(table.rows, compact, unchanged)
    if rows:
        out += [f"| {' | '.join(HEADER)} |", "|---|---|---|"]
        out += [
            f"| {_md_cell(r, 'old', compact, noun)} | {_md_cell(r, 'new', compact, noun)} "
            f"| {_md(_change_note(r))} |"
            for r in rows
        ]
        out.append("")
    return "\n".join(out)


def _title(table: RevisionTable) -> str:
    if table.new_title and table.old_title and table.new_title != table.old_title:
        return f"《{table.new_title}》新旧对照（原《{table.old_title}》）"
    return f"《{table.new_title or table.old_title or '文件'}》新旧对照"


def revision_markdown(table: RevisionTable) -> str:
    """The whole 新旧对照表 as a Markdown document (title, summary, chapters, table)."""
    return f"# {_md(_title(table))}\n\n" + revision_table_markdown(table)


# --------------------------------------------------------------------------- HTML


def _html_cell(row: RevisionRow, side: str, compact: bool, noun: str) -> str:
    units = row.old if side == "old" else row.new
    if not units:
        return "—"
    parts = [f"<b>{escape(_label(units, noun))}</b> "]
    for op, text in _pieces(row.ops, side, compact):
        if op == "insert":
            parts.append(f'<ins style="{_STYLE_INS}">{escape(text)}</ins>')
        elif op == "delete":
            parts.append(f'<del style="{_STYLE_DEL}">{escape(text)}</del>')
        else:
            parts.append(escape(text))
    return "".join(parts).replace("\n", "<br>")


def revision_table_html(
    table: RevisionTable, *, compact: bool = False, unchanged: bool = True
) -> str:
    """The summary and the three-column table as an HTML fragment with inline styles (survives
    email clients); each row carries ``data-kind``. ``compact`` and ``unchanged`` as in
    Markdown."""
    noun = table.unit_noun
    out = [f'<p class="revision-summary">{escape(revision_summary(table))}</p>']
    chapters = _chapters_shown(table, compact)
    if chapters:
        out.append('<ul class="revision-chapters">')
        out += [
            f'<li data-kind="{escape(c.kind)}">{escape(_chapter_line(c))}</li>' for c in chapters
        ]
        out.append("</ul>")
    rows = _shown(table.rows, compact, unchanged)
    if rows:
        out.append(
            '<table class="revision" style="border-collapse:collapse;width:100%">'
            "<thead><tr>"
            + "".join(f'<th style="{_STYLE_CELL}">{h}</th>' for h in HEADER)
            + "</tr></thead><tbody>"
        )
        for r in rows:
            cells = (
                _html_cell(r, "old", compact, noun),
                _html_cell(r, "new", compact, noun),
                escape(_change_note(r)),
            )
            out.append(
                f'<tr data-kind="{escape(r.kind)}">'
                + "".join(f'<td style="{_STYLE_CELL}">{c}</td>' for c in cells)
                + "</tr>"
            )
        out.append("</tbody></table>")
    return "\n".join(out)


def revision_html(table: RevisionTable) -> str:
    """The whole 新旧对照表 as a standalone HTML page."""
    title = escape(_title(table))
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n"
        '<body style="font-family:sans-serif;line-height:1.6;max-width:75em;margin:auto">\n'
        f"<h1>{title}</h1>\n{revision_table_html(table)}\n</body></html>\n"
    )


# --------------------------------------------------------------------------- JSON


def _unit_json(u: RevisionUnit, noun: str) -> dict[str, str]:
    label = u.label or PREAMBLE_LABEL.get(noun, "前言")
    return {"id": u.id, "label": label, "chapter": u.chapter, "text": u.text}


def revision_json(table: RevisionTable) -> dict[str, Any]:
    """The table as JSON: summary, counts per kind, chapters, rows with their edits."""
    return {
        "old": {"title": table.old_title},
        "new": {"title": table.new_title},
        "unit": table.unit_noun,
        "summary": revision_summary(table),
        "counts": {k: table.count(k) for k in KIND_ORDER},
        "chapters": [
            {
                "kind": c.kind,
                "old": None if c.old_id is None else {"id": c.old_id, "heading": c.old_heading},
                "new": None if c.new_id is None else {"id": c.new_id, "heading": c.new_heading},
            }
            for c in table.chapters
        ],
        "rows": [
            {
                "kind": r.kind,
                "edited": r.edited,
                "old": [_unit_json(u, table.unit_noun) for u in r.old],
                "new": [_unit_json(u, table.unit_noun) for u in r.new],
                "quantities": [{"old": q.old, "new": q.new} for q in r.quantities],
                "ops": [{"op": o.op, "text": o.text} for o in r.ops],
            }
            for r in table.rows
        ],
    }


# --------------------------------------------------------------------------- Word


def _docx_cell(cell: Any, row: RevisionRow, side: str, compact: bool, noun: str) -> None:
    units = row.old if side == "old" else row.new
    para = cell.paragraphs[0]
    if not units:
        para.add_run("—")
        return
    para.add_run(_label(units, noun) + " ").bold = True
    for op, text in _pieces(row.ops, side, compact):
        run = para.add_run(text)
        if op == "insert":
            run.font.underline = True
            run.font.color.rgb = _INS_COLOR
        elif op == "delete":
            run.font.strike = True
            run.font.color.rgb = _DEL_COLOR


def add_revision_table(document: Any, table: RevisionTable, *, compact: bool = False) -> Any:
    """Append the summary paragraph, the chapter changes and the 原条文 | 新条文 | 变化 table to a
    python-docx ``Document`` (a real Word table, header row repeated on every page); returns
    the table. Deletions are struck through in red, insertions underlined in green. The
    document's own styles apply (pass the bulletin's document to keep its fonts)."""
    document.add_paragraph(revision_summary(table))
    for c in _chapters_shown(table, compact):
        document.add_paragraph(_chapter_line(c), style="List Bullet")
    grid = document.add_table(rows=1, cols=3)
    grid.style = "Table Grid"
    header = grid.rows[0]
    header_pr = header._tr.get_or_add_trPr()  # repeat the header row on every page
    header_pr.append(header_pr.makeelement(qn("w:tblHeader"), {}))
    for cell, text in zip(header.cells, HEADER, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    for r in _shown(table.rows, compact):
        cells = grid.add_row().cells
        _docx_cell(cells[0], r, "old", compact, table.unit_noun)
        _docx_cell(cells[1], r, "new", compact, table.unit_noun)
        cells[2].paragraphs[0].add_run(_change_note(r))
    grid.autofit = False
    for column, width in zip(grid.columns, _DOCX_WIDTHS, strict=True):
        for cell in column.cells:
            cell.width = width
    return grid


def revision_docx(table: RevisionTable, *, compact: bool = False) -> bytes:
    """A Word document holding only the 新旧对照表 (title, summary, table), as bytes."""
    document = Document()
    for name in ("Normal", "Title"):
        fonts = document.styles[name].element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), "宋体")
    document.add_paragraph(_title(table), style="Title")
    add_revision_table(document, table, compact=compact)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
