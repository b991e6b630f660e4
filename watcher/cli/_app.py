"""The ``watcher`` command group: shared options, the app context and error handling.

Subcommands live in sibling modules (one per area) and register themselves on ``main``.
Every command parses options, calls library functions and prints; a ``WatcherError`` becomes
one clear line on stderr and the error's exit code.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from watcher.config import Config, default_store_path, load_config
from watcher.errors import WatcherError

__all__ = ["AppContext", "main", "pass_app"]


@dataclass
class AppContext:
    store_arg: str | None
    config_arg: str
    # True only when --store was typed on this command line: the demo must not take a store
    # from WATCHER_STORE (the container sets it to the production store).
    store_on_command_line: bool = False

    @property
    def store_path(self) -> Path:
        return default_store_path(self.store_arg)

    def config(self) -> Config:
        return load_config(self.config_arg)

    def open_store(self) -> Any:
        from watcher.store import Store

        return Store.open(self.store_path)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WatcherError as exc:
            click.echo(f"错误: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store_arg",
    envvar="WATCHER_STORE",
    default=None,
    help="数据库文件或目录 (默认 store/watcher.db；也可用环境变量 WATCHER_STORE)",
)
@click.option(
    "--config",
    "config_arg",
    envvar="WATCHER_CONFIG",
    default="sources.yaml",
    show_default=True,
    help="来源配置文件 (也可用环境变量 WATCHER_CONFIG)",
)
@click.version_option(package_name="policy-watcher")
@click.pass_context
def main(ctx: click.Context, store_arg: str | None, config_arg: str) -> None:
    """policy-watcher: 监测政策网站、保存每个版本、对照上位文件、生成周报。"""
    source = ctx.get_parameter_source("store_arg")
    ctx.obj = AppContext(
        store_arg=store_arg,
        config_arg=config_arg,
        store_on_command_line=source is click.core.ParameterSource.COMMANDLINE,
    )


pass_app = click.make_pass_decorator(AppContext)
