"""The digest as a Word document (python-docx): the draft an editor keeps working on.

Takes the ``DigestContext`` the templates render and writes real styles (a ``Title`` masthead,
``Heading 1/2/3`` for 导读, the document sections and 【延伸阅读】) so Word's navigation pane and
style changes work. The zip is repacked with fixed timestamps so the same week gives the same
bytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from watcher.deliver.digest.context import DigestContext

__all__ = ["render_docx"]

#: East-Asian font for body text and headings (what the institute's Word templates use).
CJK_FONT = "宋体"
HEADING_FONT = "黑体"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _cjk(run_or_style: object, font: str) -> None:
    element = run_or_style.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def render_docx(ctx: DigestContext) -> bytes:  # noqa: C901 - the document written top to bottom, one branch per optional block
    doc = Document()
    styles = doc.styles
    for name, font in (
        ("Normal", CJK_FONT),
        ("Title", HEADING_FONT),
        ("Heading 1", HEADING_FONT),
        ("Heading 2", HEADING_FONT),
        ("Heading 3", HEADING_FONT),
    ):
        _cjk(styles[name], font)
    styles["Normal"].font.size = Pt(12)

    title = doc.add_paragraph(ctx.name, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in (
        f"{ctx.date_cn} {ctx.weekday_cn}",
        f"第{ctx.issue}期·总第{ctx.total}期",
        f"{ctx.publisher}主办",
        f"内部刊物·草稿（{ctx.week}）",
    ):
        p = doc.add_paragraph(line)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    doc.add_heading("本期导读", level=1)
    for entry in ctx.docs:
        doc.add_heading(f"● {entry.title}", level=3)
        if entry.lead:
            doc.add_paragraph(entry.lead)
        for r in entry.related:
            doc.add_paragraph(f"【{r.label}】{r.title}")
    if ctx.directions:
        doc.add_heading("● 本期推荐研究方向", level=3)
        for i, direction in enumerate(ctx.directions, 1):
            doc.add_paragraph(f"{i}. {direction.direction}")
    if not ctx.docs:
        doc.add_paragraph("本周没有发现新的或修改过的文件。")

    for entry in ctx.docs:
        doc.add_heading(entry.heading, level=1)
        source = doc.add_paragraph()
        note = source.add_run(
            f"（{entry.level_label + '文件，' if entry.level_label else ''}原文：{entry.url}）"
        )
        note.font.size = Pt(9)
        for point in entry.points:
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(24)
            if point.heading:
                run = p.add_run(f"{point.number}{point.heading}。")
                run.bold = True
            p.add_run(point.sentence)
        if entry.compare:
            c = entry.compare
            doc.add_heading(f"对照上位文件《{c.parent_title}》", level=3)
            doc.add_paragraph(
                f"上位文件 {c.carried_share * 100:.0f}% 的条目在本文件中有对应；本文件延续 {c.same} 条、"
                f"调整 {c.changed} 条、新增 {c.new} 条，上位文件有 {c.dropped} 条未体现。"
            )
            if c.notable:
                doc.add_paragraph(
                    "值得关注的新增内容：" + "、".join(f"「{h}」" for h in c.notable) + "。"
                )
        for r in entry.related:
            doc.add_heading(f"【{r.label}】{r.title}", level=2)
            text = f"（{r.note}{'，原文：' + r.url if r.url else ''}）{r.lead}"
            doc.add_paragraph(text)

    if ctx.directions:
        doc.add_heading(f"{ctx.directions_ordinal}、本期推荐研究方向", level=1)
        for i, direction in enumerate(ctx.directions, 1):
            p = doc.add_paragraph()
            p.add_run(f"{i}. {direction.direction}").bold = True
            p.add_run(f"（关键词：{'、'.join(direction.terms)}）")
            for e in direction.evidence[:2]:
                ev = doc.add_paragraph(f"依据：《{e.title}》{e.section}：{e.sentence}")
                ev.paragraph_format.left_indent = Pt(24)

    doc.add_heading("附：本周运行情况", level=2)
    ops = ctx.ops
    lines = [
        f"来源「{name}」本周抓取失败 {n} 次" + (f"（最近一次：{err}）" if err else "")
        for name, n, err in ops.failed_sources
    ] or ["本周所有来源抓取正常。"]
    lines += [f"未能送达：「{t}」→ {ch}（{err}）" for t, ch, err in ops.dead]
    if ops.directions_error:
        lines.append(f"本期研究方向未能生成（{ops.directions_error}），请查看日志。")
    if ops.pending:
        lines.append(f"还有 {ops.pending} 条提醒等待重试发送。")
    if not ops.dead and not ops.pending:
        lines.append("本周提醒均已送达。")
    for line in lines:
        doc.add_paragraph(line, style="List Bullet")

    props = doc.core_properties
    props.title = f"{ctx.name} 第{ctx.issue}期"
    props.author = ctx.publisher
    props.last_modified_by = "policy-watcher"
    moment = datetime.fromisoformat(ctx.date).replace(tzinfo=UTC)
    props.created = moment
    props.modified = moment
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """Repack with constant timestamps so identical content gives identical bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
