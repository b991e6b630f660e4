"""``watcher directions``: research directions (本期推荐研究方向) from the store or from files.

Without FILE arguments the documents stored in a period are ranked against everything stored
before it: an ISO week (``--week``, default the current one in the configured zone, the ranking
the web page and the digest show: read from the store while it is fresh) or the days from
``--since`` until now. With FILE arguments (.txt, .html, .pdf, .docx) those files are the period
and ``--background`` files are the history. ``--json`` prints ``[{"direction", "terms", "score",
"reason", "evidence": [{"title", "section", "sentence"}]}]``, best first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import click

from watcher.cli._app import AppContext, main, pass_app
from watcher.models import LEVELS, Direction

__all__ = ["directions_command", "directions_from_files", "directions_json", "read_file"]


def read_file(path: Path) -> tuple[str, str]:
    """(title, text) of a .txt/.html/.pdf/.docx file."""
    from watcher.ingest.files import read_document_text

    title, text, _meta = read_document_text(path)
    return title, text


def _normalized(text: str) -> str:
    from watcher.text.normalize import normalize

    return normalize(text)


def directions_from_files(
    files: Sequence[Path], background: Sequence[Path], *, level: str | None, limit: int
) -> list[Direction]:
    from watcher.analysis.directions import DirectionInput, rank_directions
    from watcher.text.structure import parse

    items = []
    for path in files:
        title, text = read_file(path)
        text = _normalized(text)
        items.append(
            DirectionInput.from_tree(
                parse(text, title),
                title=title,
                level=level,
                source_id=str(path),
                url=None,
            )
        )
    history = [_normalized(read_file(p)[1]) for p in background]
    return rank_directions(items, history, limit=limit)


def directions_json(directions: Sequence[Direction]) -> list[dict[str, object]]:
    return [
        {
            "direction": d.direction,
            "terms": list(d.terms),
            "score": d.score,
            "reason": d.reason,
            "evidence": [
                {"title": e.title, "section": e.section, "sentence": e.sentence}
                | ({"url": e.url} if e.url else {})
                for e in d.evidence
            ],
        }
        for d in directions
    ]


def _print_readable(directions: Sequence[Direction], heading: str) -> None:
    click.echo(heading)
    if not directions:
        click.echo(
            "（没有找到推荐研究方向：这一时期没有新增或修改的文件，或文本中没有可用的术语。）"
        )
        return
    for i, d in enumerate(directions, 1):
        click.echo(f"{i}. {d.direction}（得分 {d.score:.2f}；关键词：{'、'.join(d.terms)}）")
        if d.reason:
            click.echo(f"   推荐理由：{d.reason}")
        for e in d.evidence:
            where = f"《{e.title}》" + (f" {e.section}" if e.section else "")
            click.echo(f"   · {where}：{e.sentence}")


@main.command("directions")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--week",
    "week",
    default=None,
    help="ISO 周，如 2026-W47，或这一周里的某一天（只用于数据库模式；默认本周）",
)
@click.option("--since", "since", default=None, help="起始日期 YYYY-MM-DD（只用于数据库模式）")
@click.option(
    "--background",
    "background",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="作为历史背景的文件（可重复；只用于文件模式）",
)
@click.option(
    "--level",
    type=click.Choice(LEVELS),
    default=None,
    help="文件模式下这些文件的发文层级（影响权重）",
)
@click.option(
    "--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="最多列出几个方向"
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def directions_command(
    app: AppContext,
    files: tuple[Path, ...],
    week: str | None,
    since: str | None,
    background: tuple[Path, ...],
    level: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """推荐研究方向：从数据库中一段时间内新增或修改的文件，或从给定文件中提炼。"""
    if files:
        found = directions_from_files(files, background, level=level, limit=limit)
        heading = f"推荐研究方向（{len(files)} 个文件，背景 {len(background)} 个文件）："
    else:
        if background:
            raise click.UsageError("--background 只能和文件参数一起使用。")
        if week and since:
            raise click.UsageError("--week 和 --since 只能选一个。")
        from watcher.analysis.directions import directions_for_period

        if since:
            start = _since(since)
            end = datetime.now(UTC).isoformat(timespec="seconds")
            heading = f"推荐研究方向（{start[:10]} 起）："
        else:
            start, end, name = _week(app, week)
            heading = f"推荐研究方向（{name}）："
        with app.open_store() as store:
            found = directions_for_period(store, start, end, limit=limit)
    if as_json:
        click.echo(json.dumps(directions_json(found), ensure_ascii=False, indent=2))
    else:
        _print_readable(found, heading)


def _week(app: AppContext, week: str | None) -> tuple[str, str, str]:
    """[start, end) and the name of an ISO week in the configured zone (default: this week)."""
    from watcher.errors import WatcherError
    from watcher.periods import DEFAULT_TZ, current_week, normalize_week, week_bounds

    try:
        tz = app.config().settings.timezone
    except WatcherError:
        tz = DEFAULT_TZ  # no sources.yaml here: the store alone still answers
    try:
        name = normalize_week(week) if week else current_week(tz)
    except WatcherError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from exc
    start, end = week_bounds(name, tz)
    return start, end, name


def _since(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise click.BadParameter(
            f"日期格式应为 YYYY-MM-DD，例如 2026-01-05（收到 {value!r}）", param_hint="--since"
        ) from exc
