"""Daemon commands: ``run``, ``health``, ``status`` and ``reload``."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import click

from watcher.cli._app import AppContext, main, pass_app
from watcher.config import Config
from watcher.errors import StoreError, WatcherError
from watcher.labels import DELIVERY_STATUS_LABEL, LEVEL_LABEL

__all__ = ["health", "reload", "run", "status"]

_RESERVED = set(vars(logging.makeLogRecord({})))


class _JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in vars(record).items() if k not in _RESERVED}
        base = (
            f"{self.formatTime(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        )
        return base + ("  " + " ".join(f"{k}={v}" for k, v in extra.items()) if extra else "")


def _setup_logging(as_json: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if as_json else _TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("apscheduler", "httpx", "httpcore", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@main.command()
@click.option(
    "--demo", is_flag=True, help="对内置演示网站运行（在本进程内启动回环服务器，间隔很短）"
)
@click.option("--log-json", is_flag=True, help="以 JSON 行输出结构化日志")
@pass_app
def run(app: AppContext, demo: bool, log_json: bool) -> None:
    """以前台方式运行守护进程：按计划抓取、投递告警、生成周报。SIGTERM/SIGINT 优雅退出，SIGHUP 重新加载配置。"""
    from watcher.pipeline.scheduler import Daemon

    _setup_logging(log_json)
    log = logging.getLogger("watcher.daemon")
    with ExitStack() as stack:
        if demo:
            from watcher.demo.server import DemoServer, demo_config

            server = stack.enter_context(DemoServer())
            base = demo_config(server.base_url)

            def loader() -> Config:
                return base

            store_path = (
                app.store_path if app.store_arg else app.store_path.with_name("demo-daemon.db")
            )
            log.info("demo sites serving", extra={"base_url": server.base_url})
        else:
            loader = app.config
            store_path = app.store_path
        daemon = Daemon(loader, store_path)
        stop = threading.Event()

        def on_stop(signum: int, _frame: object) -> None:
            log.info(
                "signal received, shutting down", extra={"signal": signal.Signals(signum).name}
            )
            stop.set()

        def on_hup(_signum: int, _frame: object) -> None:
            daemon.reload()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_hup)
        daemon.start()
        from watcher.store import Store

        with Store.open(store_path) as store:
            store.set_meta("daemon_pid", str(os.getpid()))
        while not stop.wait(1.0):
            pass
        clean = daemon.stop(timeout=8.0)
        log.info("stopped", extra={"clean": clean, "source_runs": daemon.cycles})
    if not clean:
        os._exit(0)  # abandoned threads: every write is atomic, nothing is half-written


@main.command()
@pass_app
def health(app: AppContext) -> None:
    """健康检查：心跳新鲜且数据库可写时退出码为 0，否则为 1（供容器 HEALTHCHECK 使用）。"""
    from watcher.store import Store

    stale = _stale_seconds(app)
    try:
        with Store.open(app.store_path) as store:
            beat = store.last_heartbeat()
            store.check_writable()
    except StoreError as exc:
        click.echo(f"不健康: {exc}", err=True)
        raise click.exceptions.Exit(1) from None
    if beat is None:
        click.echo("不健康: 守护进程从未运行过（没有心跳）。", err=True)
        raise click.exceptions.Exit(1)
    age = (datetime.now(UTC) - beat).total_seconds()
    if age > stale:
        click.echo(
            f"不健康: 心跳已 {age:.0f} 秒未更新（上限 {stale} 秒）。守护进程可能已停止。", err=True
        )
        raise click.exceptions.Exit(1)
    click.echo(f"健康: 心跳 {age:.0f} 秒前，数据库可写。")


def _stale_seconds(app: AppContext) -> int:
    try:
        return app.config().settings.heartbeat_stale_seconds
    except WatcherError:
        return 300


@main.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """显示来源、上次/下次运行时间、失败次数和待投递的告警。"""
    from watcher.store import Store

    with Store.open(app.store_path) as store:
        beat = store.last_heartbeat()
        rows = store.sources()
        counts = store.delivery_counts()
        pid = store.get_meta("daemon_pid")
    data = {
        "heartbeat": beat.isoformat() if beat else None,
        "daemon_pid": pid,
        "deliveries": counts,
        "sources": [r.__dict__ for r in rows],
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"心跳: {data['heartbeat'] or '无'}    进程: {pid or '—'}")
    click.echo(
        "投递: "
        + ("，".join(f"{DELIVERY_STATUS_LABEL.get(k, k)} {v}" for k, v in counts.items()) or "无")
    )
    for r in rows:
        state = "正常" if r.consecutive_failures == 0 else f"连续失败 {r.consecutive_failures} 次"
        click.echo(
            f"- {r.name} [{LEVEL_LABEL.get(r.level, r.level)}] 上次 {r.last_run_at or '—'}"
            f"  下次 {r.next_run_at or '—'}  {state}"
        )


@main.command()
@pass_app
def reload(app: AppContext) -> None:
    """让正在运行的守护进程重新加载 sources.yaml（发送 SIGHUP）。"""
    from watcher.store import Store

    app.config()  # refuse to signal a daemon with a config that would not load
    with Store.open(app.store_path) as store:
        pid = store.get_meta("daemon_pid")
    if not pid:
        raise StoreError("没有找到正在运行的守护进程（数据库中没有进程号）。先运行 watcher run。")
    try:
        os.kill(int(pid), signal.SIGHUP)
    except ProcessLookupError:
        raise StoreError(f"守护进程 {pid} 已不在运行。") from None
    click.echo(f"已通知守护进程 {pid} 重新加载配置。")
