"""``watcher serve``: the web UI (read pages for everyone with access, the 编辑台 for editors)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from watcher.cli._app import AppContext, main, pass_app
from watcher.config import Settings
from watcher.errors import ConfigError
from watcher.netloc import is_loopback_host

__all__ = ["serve"]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 (默认仅本机)")
@click.option("--port", default=8080, show_default=True, type=int, help="端口")
@pass_app
def serve(app: AppContext, host: str, port: int) -> None:
    """启动网页界面：文档、版本对比、政策对照、周报、告警订阅；编辑登录后使用编辑台。"""
    import uvicorn

    from watcher.web import AuthOptions, create_app

    settings = app.config().settings if Path(app.config_arg).exists() else Settings()
    exposed = not is_loopback_host(host)
    auth = AuthOptions.from_settings(
        settings.web, os.environ, exposed=exposed, base_url=settings.base_url
    )
    if exposed and auth.env_account is None:
        with app.open_store() as store:
            if not store.users():
                raise ConfigError(
                    f"在 {host} 上对外提供网页时必须先有账号：运行 watcher user add 用户名 --role editor"
                    "（或设置环境变量 WATCHER_WEB_USER 和 WATCHER_WEB_PASSWORD），或只监听 127.0.0.1。"
                )
    click.echo(f"网页界面: http://{host}:{port}/  (数据库: {app.store_path})")
    uvicorn.run(
        create_app(app.store_path, auth=auth, timezone=settings.timezone),
        host=host,
        port=port,
        log_level="warning",
    )
