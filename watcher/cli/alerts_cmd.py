"""Alert and digest commands: ``deliver``, ``alerts``, ``notify-test``, ``digest`` and ``feed``.

Each parses its options, calls ``watcher.outbox`` / ``watcher.notify`` / ``watcher.digest`` /
``watcher.feed`` and prints a Chinese summary; errors are ``WatcherError`` and reach the user as
one line through the command group.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from watcher.cli._app import AppContext, main, pass_app
from watcher.config import Config, Settings
from watcher.errors import NotifyError
from watcher.labels import DELIVERY_STATUS_LABEL, SEVERITY_LABEL
from watcher.periods import local_time

__all__ = ["alerts_command", "deliver", "digest", "feed", "notify_test"]


def _config_or_defaults(app: AppContext) -> tuple[Config | None, Settings]:
    """The configuration when the file exists; built-in settings when it does not."""
    if Path(app.config_arg).exists():
        config = app.config()
        return config, config.settings
    return None, Settings()


@main.command()
@click.option("--retry-now", is_flag=True, help="不等退避时间，立即重试所有待发送的提醒")
@pass_app
def deliver(app: AppContext, retry_now: bool) -> None:
    """发送待发送的提醒（运行一次发送队列）。"""
    from watcher.deliver.outbox import channels_from_config, deliver_pending

    config = app.config()
    channels = channels_from_config(config)
    if not channels:
        click.echo(
            "没有配置通知通道：请在 sources.yaml 的 settings.notify.urls 或环境变量 "
            "WATCHER_NOTIFY_URLS 中添加。"
        )
    with app.open_store() as store:
        report = deliver_pending(store, channels, config.settings.notify, retry_now=retry_now)
    click.echo(report.summary())
    for label, reason in report.errors:
        click.echo(f"  失败 {label}: {reason}")


@main.command("alerts")
@click.option("--pending", "status", flag_value="pending", help="只看尚未送达的提醒")
@click.option("--failed", "status", flag_value="failed", help="只看发送失败或已放弃的提醒")
@click.option("--limit", default=50, show_default=True, help="最多显示多少条")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def alerts_command(app: AppContext, status: str | None, limit: int, as_json: bool) -> None:
    """列出提醒及其在各通道的发送状态。"""
    from watcher.deliver.channels import redact

    _, settings = _config_or_defaults(app)
    with app.open_store() as store:
        rows = store.alerts(status=status, limit=limit)
    for row in rows:  # rows stored by older versions kept path tokens in their labels
        for d in row["deliveries"]:
            d["channel_label"] = redact(d["channel_label"])
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("没有符合条件的提醒。")
        return
    for row in rows:
        when = local_time(row["created_at"], settings.timezone)
        click.echo(
            f"#{row['id']} [{SEVERITY_LABEL.get(row['severity'], row['severity'])}] {when} {row['title']}"
        )
        for d in row["deliveries"]:
            line = (
                f"    {DELIVERY_STATUS_LABEL.get(d['status'], d['status'])} → {d['channel_label']}"
            )
            if d["attempts"]:
                line += f"（已尝试 {d['attempts']} 次）"
            if d["status"] != "sent" and d["last_error"]:
                line += f" 错误: {d['last_error']}"
            click.echo(line)


@main.command("notify-test")
@click.argument("url")
@pass_app
def notify_test(app: AppContext, url: str) -> None:
    """向通知地址 URL 发送一条测试消息，检查配置是否正确。"""
    from watcher.deliver.channels import Message, parse_channel, redact

    _, settings = _config_or_defaults(app)
    channel = parse_channel(url, secret_env=settings.notify.webhook_secret_env)
    message = Message(
        title="policy-watcher 测试消息",
        body="这是一条测试消息。收到它说明通知通道配置正确，政策提醒将发送到这里。",
        idempotency_key=f"pw-test-{int(time.time())}",
        kind="test",
    )
    try:
        channel.send(message)
    except NotifyError as exc:
        raise NotifyError(f"测试消息发送失败: {exc}") from None
    click.echo(f"测试消息已发送: {redact(url)}")


@main.command()
@click.option(
    "--week",
    default=None,
    help="ISO 周，例如 2026-W47，或这一周里的某一天，如 2026-11-20（默认：本周，按配置的时区）",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "docx"]),
    default="md",
    show_default=True,
    help="输出格式",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="写入此目录（docx 默认写入当前目录；md/html 不给时打印到屏幕）",
)
@click.option("--mail", is_flag=True, help="生成后把草稿发送到已配置的通知通道（每周只发一次）")
@pass_app
def digest(app: AppContext, week: str | None, fmt: str, out_dir: Path | None, mail: bool) -> None:
    """生成某一周的简报草稿（Markdown、HTML 或 Word）。"""
    from watcher.deliver.digest import build_digest, queue_digest
    from watcher.deliver.outbox import channels_from_config, deliver_pending
    from watcher.periods import current_week, normalize_week

    config, settings = _config_or_defaults(app)
    week = normalize_week(week) if week else current_week(settings.timezone)
    with app.open_store() as store:
        result = build_digest(store, week, settings.digest, tz=settings.timezone)
        errors: list[str] = []
        if mail:
            if config is None or not config.notify_urls():
                errors.append(
                    "没有配置推送渠道（settings.notify.urls 或 WATCHER_NOTIFY_URLS），无法发送。"
                )
            elif not queue_digest(store, config, result):
                click.echo(f"{week} 的简报草稿此前已加入发送队列，不再重复发送。", err=True)
            else:
                report = deliver_pending(store, channels_from_config(config), settings.notify)
                errors = [reason for _, reason in report.errors]
    content: str | bytes = (
        result.docx if fmt == "docx" else (result.html if fmt == "html" else result.markdown)
    )
    if out_dir is None and isinstance(content, str):
        click.echo(content, nl=False)
    else:
        target_dir = out_dir or Path(".")
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / f"digest-{week}.{fmt}"
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        click.echo(f"已生成 {week} 简报草稿（第{result.issue}期·总第{result.total}期）: {target}")
    for err in errors:
        click.echo(f"发送失败: {err}", err=True)


@main.command()
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="写入此文件（默认打印到屏幕）",
)
@click.option("--limit", default=100, show_default=True, help="最多包含多少条提醒")
@click.option("--base-url", default=None, help="网页界面的公开地址（默认取 settings.base_url）")
@pass_app
def feed(app: AppContext, out_file: Path | None, limit: int, base_url: str | None) -> None:
    """把提醒导出为 Atom 订阅源。"""
    from watcher.deliver.feed import alerts_atom

    _, settings = _config_or_defaults(app)
    with app.open_store() as store:
        xml = alerts_atom(store, base_url=base_url or settings.base_url, limit=limit)
    if out_file is None:
        click.echo(xml, nl=False)
    else:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(xml, encoding="utf-8")
        click.echo(f"已写入 Atom 订阅源: {out_file}")
