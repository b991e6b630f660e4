"""Stored documents and identity decisions: ``documents`` (``--aliases``) and ``unmerge``.

``documents`` lists what the store holds, each attachment under the page it belongs to;
``documents --aliases`` lists every identity decision (a URL merged into a document as a copy,
or kept apart although it shares a 发文字号) with its reason; ``unmerge`` undoes a wrong merge,
splitting the page back into a document of its own.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from watcher.cli._app import AppContext, main, pass_app
from watcher.labels import LEVEL_LABEL
from watcher.text.clip import shorten

if TYPE_CHECKING:
    from watcher.store import Store

__all__ = ["documents_command", "unmerge_command"]

#: How each identity decision reads in a table.
DECISION_LABEL = {"merged": "合并为副本", "separate": "分开保存", "undone": "已拆分"}


@main.command("documents")
@click.option(
    "--aliases", is_flag=True, help="列出身份判定：哪些网址被合并为副本、哪些分开保存，及理由"
)
@click.option("--source", "source_id", help="只看这个来源的文档")
@click.option("--limit", default=200, show_default=True, help="最多显示多少条")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def documents_command(
    app: AppContext, aliases: bool, source_id: str | None, limit: int, as_json: bool
) -> None:
    """列出已保存的文档（附件列在所属文件下）；--aliases 列出合并与分开保存的判定。"""
    with app.open_store() as store:
        if aliases:
            _print_aliases(store, limit, as_json)
            return
        docs = store.documents(source_id=source_id, limit=limit, top_level=True)
        rows = [(d, store.children(d.id)) for d in docs]
    if as_json:
        items = [{**asdict(d), "attachments": [asdict(c) for c in kids]} for d, kids in rows]
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"文档（{len(rows)} 个，附件列在所属文件下）")
    for col in ("#", "级别", "文种", "标题", "发文字号", "日期"):
        table.add_column(col, overflow="fold")
    for d, kids in rows:
        table.add_row(
            str(d.id),
            LEVEL_LABEL.get(d.level or "", "—"),
            d.kind or "—",
            shorten(d.title, 60),
            d.doc_number or "—",
            d.date or "—",
        )
        for c in kids:
            table.add_row(str(c.id), "", c.kind or "", "└附件：" + shorten(c.title, 56), "", "")
    Console(highlight=False, soft_wrap=True).print(table)


def _print_aliases(store: Store, limit: int, as_json: bool) -> None:
    decisions = store.alias_decisions(limit=limit)
    if as_json:
        click.echo(json.dumps([asdict(d) for d in decisions], ensure_ascii=False, indent=2))
        return
    if not decisions:
        click.echo("还没有身份判定：没有网址被合并为其他文件的副本。")
        return
    table = Table(title=f"身份判定（{len(decisions)} 条，撤销合并：watcher unmerge 编号）")
    for col in ("编号", "判定", "网址", "文件", "理由", "时间"):
        table.add_column(col, overflow="fold")
    for d in decisions:
        doc = store.document(d.split_document_id or d.document_id)
        target = f"#{doc.id} {shorten(doc.title, 30)}" if doc else f"#{d.document_id}"
        table.add_row(
            str(d.id),
            DECISION_LABEL.get(d.decision, d.decision),
            d.url,
            target,
            d.reason,
            (d.undone_at or d.decided_at)[:16].replace("T", " "),
        )
    Console(highlight=False, soft_wrap=True).print(table)


@main.command("unmerge")
@click.argument("decision_id", type=int)
@pass_app
def unmerge_command(app: AppContext, decision_id: int) -> None:
    """撤销一次合并：把编号为 DECISION_ID 的网址拆回为单独的文件（编号见 documents --aliases）。"""
    with app.open_store() as store:
        new_id = store.unmerge(decision_id)
        doc = store.document(new_id) if new_id is not None else None
    if doc is None:
        click.echo(
            f"已撤销合并 {decision_id}。这次合并发生在升级之前，没有保存那个页面的内容；"
            "下一轮抓取时它会作为单独的文件保存。"
        )
        return
    click.echo(f"已撤销合并 {decision_id}：{doc.url} 现在是单独的文件 #{doc.id}「{doc.title}」。")
