"""Ingest commands: ``check``, ``sources``, ``extract``, ``import`` and ``demo``."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from watcher.cli._app import AppContext, main, pass_app
from watcher.config import Config
from watcher.errors import ConfigError, ExtractError
from watcher.labels import LEVEL_LABEL, OUTCOME_LABEL, level_code
from watcher.text.clip import shorten

__all__ = [
    "DEMO_STORE",
    "check",
    "demo",
    "extract_cmd",
    "import_cmd",
    "print_report",
    "run_cycle_with_progress",
    "sources",
]

if TYPE_CHECKING:
    from watcher.models import Level
    from watcher.pipeline.cycle import CycleReport, SourceOutcome
    from watcher.pipeline.document import IngestRules
    from watcher.store import Store

DEMO_STORE = Path("store") / "demo.db"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def run_cycle_with_progress(
    config: Config,
    store: Store,
    source_ids: list[str] | None,
    console: Console,
    label: str = "抓取",
) -> CycleReport:
    """One cycle with a progress bar (on a terminal) and the per-source outcome table."""
    from watcher.pipeline.cycle import Pipeline

    ids = source_ids or [s.id for s in config.sources if s.enabled]
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=len(ids))

        def advance(_source_id: str, _outcome: SourceOutcome) -> None:
            bar.advance(task)

        pipeline = Pipeline(config, store, progress=advance)
        report = asyncio.run(pipeline.run_cycle(source_ids))
    print_report(report, console)
    return report


def print_report(report: CycleReport, console: Console) -> None:
    table = Table(title=f"本轮抓取结果（用时 {report.seconds:.1f} 秒）")
    for col in ("来源", "新文档", "新版本", "未变化", "失败", "告警", "状态"):
        table.add_column(col, justify="left" if col in ("来源", "状态") else "right")
    for o in report.outcomes:
        status = OUTCOME_LABEL[o.status] + (f"：{shorten(o.error, 60)}" if o.error else "")
        table.add_row(
            o.name,
            str(o.new_documents),
            str(o.new_versions),
            str(o.unchanged),
            str(o.failed),
            str(o.alerts),
            status,
        )
    table.add_row(
        "合计",
        *(
            str(report.total(n))
            for n in ("new_documents", "new_versions", "unchanged", "failed", "alerts")
        ),
        "",
    )
    console.print(table)
    for o in report.outcomes:  # in full: the table cell is cut to the terminal's width
        for problem in o.layout[:3]:
            console.print(f"{o.name}：{problem}")


@main.command()
@click.option("--source", "source_ids", multiple=True, help="只抓取这个来源 (可重复)")
@pass_app
def check(app: AppContext, source_ids: tuple[str, ...]) -> None:
    """立即抓取一轮：发现新文档和新版本，并输出汇总表。"""
    from watcher.pipeline.cycle import cycle_lock

    config = app.config()
    for sid in source_ids:
        config.source(sid)  # unknown ids fail before anything runs
    with cycle_lock(app.store_path), app.open_store() as store:
        report = run_cycle_with_progress(config, store, list(source_ids) or None, _console())
    failed = report.outcomes and all(o.status == "failed" for o in report.outcomes)
    if failed or any(o.layout for o in report.outcomes):  # a redesign must not pass as 正常
        raise click.exceptions.Exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def sources(app: AppContext, as_json: bool) -> None:
    """列出配置的来源及其健康状况。"""
    config = app.config()
    with app.open_store() as store:
        store.sync_sources(config.sources)
        rows = {r.id: r for r in store.sources()}
    items = []
    for s in config.sources:
        r = rows.get(s.id)
        items.append(
            {
                "id": s.id,
                "name": s.name,
                "level": s.level,
                "enabled": s.enabled,
                "interval_minutes": s.interval_minutes,
                "lists": [spec.url for spec in s.lists],
                "tags": list(s.tags),
                "consecutive_failures": r.consecutive_failures if r else 0,
                "last_run_at": r.last_run_at if r else None,
                "last_ok_at": r.last_ok_at if r else None,
                "last_error": r.last_error if r else None,
            }
        )
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    table = Table(title="来源")
    for col in ("ID", "名称", "级别", "间隔", "上次运行", "健康"):
        table.add_column(col)
    for it in items:
        failures = int(str(it["consecutive_failures"]))
        health = (
            "正常"
            if failures == 0
            else f"连续失败 {failures} 次：{shorten(str(it['last_error'] or ''), 40)}"
        )
        if it["last_run_at"] is None:
            health = "尚未运行"
        table.add_row(
            str(it["id"]),
            str(it["name"]),
            LEVEL_LABEL[str(it["level"])],
            f"{it['interval_minutes']} 分钟",
            str(it["last_run_at"] or "—"),
            health,
        )
    _console().print(table)


@main.command("extract")
@click.argument("file_or_url")
@click.option("--url", "page_url", help="页面的原始网址 (用于解析相对链接)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def extract_cmd(file_or_url: str, page_url: str | None, as_json: bool) -> None:
    """从 HTML 文件或网址中提取标题、元数据、正文和附件。"""
    from watcher.ingest.extract import extract

    if file_or_url.startswith(("http://", "https://")):
        from watcher.config import FetchSettings
        from watcher.ingest.fetch import Fetcher

        async def get() -> bytes:
            async with Fetcher(FetchSettings(retries=1)) as fetcher:
                return (await fetcher.fetch(file_or_url)).content

        raw, page_url = asyncio.run(get()), page_url or file_or_url
    else:
        path = Path(file_or_url)
        if not path.is_file():
            raise ExtractError(f"找不到文件 {path}")
        raw = path.read_bytes()
    from watcher.ingest.decode import binary_kind

    kind = binary_kind(raw)
    if kind is not None:
        raise ExtractError(
            f"{file_or_url}：这是{kind}，不是网页，无法提取标题和正文。watcher extract 只处理 HTML；"
            "PDF、Word 文件请用 watcher normalize 查看文字，或用 watcher import 入库。"
        )
    article = extract(raw, page_url)
    if as_json:
        click.echo(json.dumps(asdict(article), ensure_ascii=False, indent=2, default=dict))
        return
    click.echo(f"标题: {article.title}")
    for key, value in article.meta.items():
        click.echo(f"{key}: {value}")
    for att in article.attachments:
        click.echo(f"附件: {att.name} <{att.url}>")
    click.echo("")
    click.echo(article.text)


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--single", is_flag=True, help="不拆分汇编，整份文件作为一个文档")
@click.option(
    "--level",
    callback=lambda _ctx, _param, value: _level_option(value),
    help="文档级别：国家/national、部委/ministry、市级/municipal、区县/district、媒体/media"
    " (用于排序和研究方向打分)",
)
@pass_app
def import_cmd(app: AppContext, files: tuple[str, ...], single: bool, level: str | None) -> None:
    """导入本地 .html/.txt/.pdf/.docx 文件；汇编文件会被拆分为各个文档。"""
    from watcher.pipeline.importer import import_file

    rules = _import_rules(app)
    with app.open_store() as store:
        for name in files:
            results = import_file(
                store, rules, Path(name), split=not single, level=cast("Level | None", level)
            )
            for title, status, doc_id in results:
                verdict = {
                    "new_document": "新文档",
                    "new_version": "新版本",
                    "unchanged": "未变化",
                }[status]
                click.echo(f"[{verdict}] #{doc_id} {title}")
            click.echo(f"{name}: 共 {len(results)} 个文档")


def _level_option(value: str | None) -> str | None:
    if value is None:
        return None
    code = level_code(value)
    if code is None:
        choices = "、".join(f"{zh}/{en}" for en, zh in LEVEL_LABEL.items())
        raise click.BadParameter(f"没有级别 {value!r}。可写 {choices}", param_hint="--level")
    return code


def _import_rules(app: AppContext) -> IngestRules:
    """Imports work without a sources.yaml: no watchlist, no configured pairs, no alerts sent."""
    from watcher.pipeline.document import IngestRules

    if not Path(app.config_arg).exists():
        return IngestRules()
    return IngestRules.from_config(app.config())


@main.command()
@click.option(
    "--serve", "keep_serving", is_flag=True, help="结束后继续运行演示网站，按 Ctrl-C 退出"
)
@click.pass_obj
def demo(app: AppContext, keep_serving: bool) -> None:
    """在本机回环地址上启动演示网站，抓取两轮（第二轮会发现修改过的页面），并报告结果。"""
    from watcher.demo.server import DemoServer, demo_config
    from watcher.pipeline.cycle import cycle_lock
    from watcher.store import Store

    console = _console()
    store_path = app.store_path if app.store_on_command_line else DEMO_STORE
    _refuse_non_demo_store(store_path)
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(store_path) + suffix).unlink(missing_ok=True)
    started = time.monotonic()
    with DemoServer() as server:
        config = demo_config(server.base_url)
        console.print(f"演示网站已启动: {server.base_url}  (数据库: {store_path})")
        with cycle_lock(store_path), Store.open(store_path) as store:
            store.mark_demo()
            console.print("[bold]第一轮[/bold]：首次抓取全部演示来源")
            run_cycle_with_progress(config, store, None, console, "第一轮")
            server.set_edition(2)
            console.print("[bold]第二轮[/bold]：演示网站发布了修订版页面")
            run_cycle_with_progress(config, store, None, console, "第二轮")
            _print_findings(store, console)
            _demo_digest(store, config, console)
        console.print(
            f"演示完成，用时 {time.monotonic() - started:.1f} 秒。"
            f"可用 `watcher --store {store_path} serve` 浏览结果。"
        )
        if keep_serving:
            console.print("演示网站继续运行，按 Ctrl-C 退出。")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


def _refuse_non_demo_store(path: Path) -> None:
    """The demo rebuilds its store from nothing; it must never do that to a user's data."""
    from watcher.store import Store

    if not path.exists() or path.stat().st_size == 0:
        return
    with Store.open(path) as store:
        if store.holds_only_demo_data():
            return
    raise ConfigError(
        f"数据库 {path} 中有非演示数据，演示不会覆盖它。"
        f"请去掉 --store（演示默认使用 {DEMO_STORE}），或用 --store 指定一个新文件。"
    )


def _print_findings(store: Store, console: Console) -> None:
    from watcher.analysis.report import comparison_summary
    from watcher.text.identity import unwrap_title

    docs = store.documents(top_level=True)
    table = Table(title=f"已保存的文档（{len(docs)} 个，附件列在所属文件下）")
    for col in ("#", "级别", "标题", "发文字号", "发布日期", "版本"):
        table.add_column(col)
    for d in sorted(docs, key=lambda d: d.id):
        table.add_row(
            str(d.id),
            LEVEL_LABEL.get(d.level or "", "—"),
            shorten(d.title, 40),
            d.doc_number or "—",
            d.date or "—",
            str(len(store.versions(d.id))),
        )
        for child in store.children(d.id):
            table.add_row(str(child.id), "", "└附件：" + shorten(child.title, 34), "", "", "")
    console.print(table)
    latest = {(c.new_document_id, c.old_document_id): c for c in store.comparisons()[::-1]}
    for (new_id, old_id), c in sorted(latest.items()):  # one line per pair: its latest version
        new, old = store.document(new_id), store.document(old_id)
        if new and old:
            console.print(
                f"政策对照：《{shorten(unwrap_title(new.title), 40)}》对照"
                f"《{shorten(unwrap_title(old.title), 40)}》：{comparison_summary(c.comparison)}"
            )
    alerts = store.alerts(limit=1000)
    console.print(
        f"告警 {len(alerts)} 条："
        + "；".join(shorten(a["title"], 30) for a in alerts[:8])
        + ("……" if len(alerts) > 8 else "")
    )


def _demo_digest(store: Store, config: Config, console: Console) -> None:
    from watcher.deliver.digest import build_digest
    from watcher.periods import current_week

    tz = config.settings.timezone
    digest = build_digest(store, current_week(tz), config.settings.digest, tz=tz)
    out = Path(tempfile.gettempdir()) / "policy-watcher-demo"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / f"{digest.week}.md").write_text(digest.markdown, encoding="utf-8")
    (out / f"{digest.week}.html").write_text(digest.html, encoding="utf-8")
    if digest.docx:
        (out / f"{digest.week}.docx").write_bytes(digest.docx)
    console.print(f"周报草稿（{digest.week}）已写入 {out}/")
