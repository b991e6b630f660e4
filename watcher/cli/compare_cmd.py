"""``watcher compare`` and ``watcher diff``: compare two documents from files or the store.

Each argument is a file (.txt, .html/.htm, .pdf, .docx) or a document id in the store. The text
is normalised and structured on the fly, then compared section by section (``compare``) or
diffed as two versions of one document (``diff``), and printed as Markdown (default), JSON or
HTML.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from watcher.analysis.compare import compare
from watcher.analysis.diff import diff_versions
from watcher.analysis.report import (
    comparison_html,
    comparison_markdown,
    unrelated_warning,
    version_diff_html,
    version_diff_markdown,
)
from watcher.analysis.revision import revision_table
from watcher.analysis.revision_report import (
    revision_docx,
    revision_html,
    revision_json,
    revision_markdown,
    revision_summary,
)
from watcher.cli._app import AppContext, main, pass_app
from watcher.errors import CompareError
from watcher.models import Section
from watcher.serialize import changes_to_json, comparison_to_json

__all__ = ["compare_command", "diff_command", "load_document"]


def load_document(app: AppContext, arg: str) -> tuple[str, Section]:
    """(title, section tree) of a file path or a store document id."""
    path = Path(arg)
    if path.is_file():
        from watcher.ingest.files import read_document_text

        title, text, _meta = read_document_text(path)
    elif arg.isdigit():
        with app.open_store() as store:
            title, text = store.latest_version_text(int(arg))
    else:
        raise CompareError(f"找不到文件 {arg}；参数应为文件路径或数据库中的文档编号（整数）。")
    try:
        from watcher.text.normalize import normalize  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # normalisation is optional here: structure copes with raw text
        pass
    else:
        text = normalize(text)
    from watcher.text.structure import parse

    return title, parse(text, title)


def _format_options(f: click.decorators.FC) -> click.decorators.FC:
    f = click.option("--html", "fmt", flag_value="html", help="输出 HTML 页面")(f)
    f = click.option(
        "--markdown", "fmt", flag_value="markdown", default=True, help="输出 Markdown（默认）"
    )(f)
    return click.option("--json", "fmt", flag_value="json", help="输出 JSON")(f)


@main.command("compare")
@click.argument("old")
@click.argument("new")
@_format_options
@pass_app
def compare_command(app: AppContext, old: str, new: str, fmt: str) -> None:
    """逐节对照 NEW（如市级规划）与 OLD（如其上位国家纲要）：延续、调整、新增、未体现及量化指标。

    OLD、NEW 为文件（.txt/.html/.pdf/.docx）或数据库中的文档编号。
    """
    old_title, old_tree = load_document(app, old)
    new_title, new_tree = load_document(app, new)
    result = compare(old_tree, new_tree, old_title=old_title, new_title=new_title)
    warning = unrelated_warning(result)
    if warning:
        click.echo(warning, err=True)
    if fmt == "json":
        click.echo(json.dumps(comparison_to_json(result), ensure_ascii=False, indent=2))
    elif fmt == "html":
        click.echo(comparison_html(result))
    else:
        click.echo(comparison_markdown(result))


@main.command("diff")
@click.argument("old")
@click.argument("new")
@_format_options
@click.option(
    "--table", is_flag=True, help="输出新旧对照表（原条文 | 新条文 | 变化），按内容对齐条文"
)
@click.option(
    "--docx",
    "docx_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="把新旧对照表另存为 Word 文件（.docx）",
)
@pass_app
def diff_command(
    app: AppContext, old: str, new: str, fmt: str, table: bool, docx_path: Path | None
) -> None:
    """对比同一文件的两个版本 OLD 与 NEW：逐条（逐节）列出新增、删除、修改、移动、拆分、合并。

    条文按内容对齐，编号变化、空白、全半角、访问次数等不算变化。加 --table 输出新旧对照表。
    """
    old_title, old_tree = load_document(app, old)
    new_title, new_tree = load_document(app, new)
    if table or docx_path is not None:
        revision = revision_table(old_tree, new_tree, old_title=old_title, new_title=new_title)
        if docx_path is not None:
            try:
                docx_path.write_bytes(revision_docx(revision))
            except OSError as exc:
                raise CompareError(f"无法写入 {docx_path}：{exc.strerror}；请换一个路径。") from exc
            click.echo(f"已写入 {docx_path}：{revision_summary(revision)}", err=True)
            if not table:
                return
        if fmt == "json":
            click.echo(json.dumps(revision_json(revision), ensure_ascii=False, indent=2))
        elif fmt == "html":
            click.echo(revision_html(revision))
        else:
            click.echo(revision_markdown(revision))
        return
    result = diff_versions(old_tree, new_tree)
    if fmt == "json":
        data = changes_to_json(result.changes)
        click.echo(json.dumps({"changes": data}, ensure_ascii=False, indent=2))
    elif fmt == "html":
        click.echo(version_diff_html(result))
    else:
        click.echo(version_diff_markdown(result))
