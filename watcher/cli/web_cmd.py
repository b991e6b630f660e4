"""``watcher serve``: the read-only web UI."""

from __future__ import annotations

from pathlib import Path

import click

from watcher.cli._app import AppContext, main, pass_app
from watcher.errors import ConfigError
from watcher.netloc import is_loopback_host
from watcher.periods import DEFAULT_TZ

__all__ = ["serve"]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 (默认仅本机)")
@click.option("--port", default=8080, show_default=True, type=int, help="端口")
@pass_app
def serve(app: AppContext, host: str, port: int) -> None:
    """启动只读网页界面：文档、版本对比、政策对照、周报、告警订阅。"""
    import uvicorn

    from watcher.web import auth_from_env, create_app

    auth = auth_from_env()
    if not is_loopback_host(host) and auth is None:
        raise ConfigError(
            f"在 {host} 上对外提供网页时必须设置登录口令：请设置环境变量 WATCHER_WEB_USER 和 "
            "WATCHER_WEB_PASSWORD，或只监听 127.0.0.1。"
        )
    click.echo(f"网页界面: http://{host}:{port}/  (数据库: {app.store_path})")
    timezone = app.config().settings.timezone if Path(app.config_arg).exists() else DEFAULT_TZ
    uvicorn.run(
        create_app(app.store_path, auth=auth, timezone=timezone),
        host=host,
        port=port,
        log_level="warning",
    )
