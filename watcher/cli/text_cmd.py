"""Text commands: ``normalize`` and ``outline`` over local files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from watcher.cli._app import main

__all__ = ["normalize_cmd", "outline"]


@main.command("normalize")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--flags", is_flag=True, help="在标准错误输出中报告做了哪些处理")
def normalize_cmd(file: Path, flags: bool) -> None:
    """输出 .txt/.html/.pdf/.docx 文件规范化后的正文（繁转简、去拼音注音、去页眉页脚、合并断行）。"""
    from watcher.ingest.files import read_document_text
    from watcher.text.normalize import normalize_report

    _title, text, _meta = read_document_text(file)
    result = normalize_report(text)
    click.echo(result.text)
    if flags:
        click.echo("处理: " + ("、".join(sorted(result.flags)) or "无"), err=True)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 树")
def outline(file: Path, as_json: bool) -> None:
    """输出文件的章节结构（一、/（一）/1./（1）/①，第X章/第X条，附件）。"""
    from watcher.ingest.files import read_document_text
    from watcher.text.normalize import normalize
    from watcher.text.structure import parse, render_outline, to_outline_json

    title, text, _meta = read_document_text(file)
    tree = parse(normalize(text), title)
    if as_json:
        click.echo(json.dumps(to_outline_json(tree), ensure_ascii=False, indent=2))
    else:
        click.echo(render_outline(tree))
