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
    version_diff_html,
    version_diff_markdown,
)
from watcher.cli._app import AppContext, main, pass_app
from watcher.errors import CompareError
from watcher.models import Section
from watcher.serialize import comparison_to_json

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
@pass_app
def diff_command(app: AppContext, old: str, new: str, fmt: str) -> None:
    """对比同一文件的两个版本 OLD 与 NEW：逐节列出新增、删除、修改（忽略空白、全半角、访问次数等）。"""
    _, old_tree = load_document(app, old)
    _, new_tree = load_document(app, new)
    result = diff_versions(old_tree, new_tree)
    if fmt == "json":
        data = [
            {
                "kind": c.kind,
                "old_id": c.old_id,
                "new_id": c.new_id,
                "heading": c.heading,
                "ops": [{"op": o.op, "text": o.text} for o in c.ops],
            }
            for c in result.changes
        ]
        click.echo(json.dumps({"changes": data}, ensure_ascii=False, indent=2))
    elif fmt == "html":
        click.echo(version_diff_html(result))
    else:
        click.echo(version_diff_markdown(result))
