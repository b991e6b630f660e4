"""``watcher user add|list|remove``: the web UI's accounts (editors and viewers) in the store.

The password is asked for twice at the terminal and only its argon2 hash is stored; every
change writes an audit row naming the operating-system user who ran the command.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click

from watcher.cli._app import AppContext, main, pass_app
from watcher.config import Settings
from watcher.errors import AccountError
from watcher.periods import local_time

__all__ = ["user", "user_add", "user_list", "user_remove"]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in a bare container
        return "cli"


@main.group()
def user() -> None:
    """网页账号：添加、列出、删除编辑（可用编辑台）和查看者（只读）。"""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["editor", "viewer"]),
    default="viewer",
    show_default=True,
    help="editor: 编辑，可使用编辑台；viewer: 查看者，只读",
)
@click.option("--update", is_flag=True, help="账号已存在时改为新的角色和口令（其原有登录随即失效）")
@pass_app
def user_add(app: AppContext, name: str, role: str, update: bool) -> None:
    """添加网页账号 NAME，口令在终端输入两次（只保存 argon2 散列）。"""
    from watcher.web.accounts import ROLE_LABEL, check_name, hash_password

    name = check_name(name)
    with app.open_store() as store:
        if store.user(name) is not None and not update:
            raise AccountError(
                f"账号 {name} 已存在。要改它的角色或口令请加 --update，要删除请用 watcher user remove {name}。"
            )
        password = click.prompt("口令", hide_input=True, err=True)
        if click.prompt("再输入一遍口令", hide_input=True, err=True) != password:
            raise AccountError("两次输入的口令不一致，账号没有改动。请重新运行这条命令。")
        created = store.save_user(name, role, hash_password(password), actor=_actor())
    what = "已添加" if created else "已修改"
    click.echo(
        f"{what}{ROLE_LABEL[role]}账号 {name}。" + ("" if created else "它原有的登录已失效。")
    )


@user.command("list")
@pass_app
def user_list(app: AppContext) -> None:
    """列出网页账号及其角色。"""
    from watcher.web.accounts import ROLE_LABEL, env_account

    settings = app.config().settings if Path(app.config_arg).exists() else Settings()
    with app.open_store() as store:
        rows = store.users()
    env = env_account(os.environ)
    if not rows and env is None:
        click.echo("还没有网页账号。用 watcher user add 用户名 --role editor 添加。")
        return
    for row in rows:
        when = local_time(row.updated_at, settings.timezone)
        click.echo(f"{row.name}\t{ROLE_LABEL[row.role]}\t修改于 {when}")
    if env is not None and env.name not in {r.name for r in rows}:
        click.echo(f"{env.name}\t{ROLE_LABEL[env.role]}\t来自环境变量 WATCHER_WEB_USER")


@user.command("remove")
@click.argument("name")
@pass_app
def user_remove(app: AppContext, name: str) -> None:
    """删除网页账号 NAME；它的登录随即失效。"""
    with app.open_store() as store:
        if not store.remove_user(name, actor=_actor()):
            raise AccountError(f"没有名为 {name} 的账号。用 watcher user list 查看现有账号。")
    click.echo(f"已删除账号 {name}，它的登录已失效。")
