"""`yizhan unions …` and `yizhan staff …`: the union directory and the staff who act for it.
(`yizhan pii …` is in `core.cli`: key rotation covers every domain's personal data.)"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from core.context import AppContext
from core.notices import TELEGRAM, Recipient
from core.settings import get_settings

from ._directory import Directory
from ._errors import DirectoryError
from ._union_file import read_union_file

T = TypeVar("T")


def _run(fn: Callable[[Directory], Awaitable[T]]) -> T:
    async def wrapper() -> T:
        context = AppContext.from_settings(get_settings())
        try:
            await context.db.upgrade()
            return await fn(Directory(context.db))
        finally:
            await context.close()

    return asyncio.run(wrapper())


@click.group()
def unions() -> None:
    """The union directory: import and list."""


@unions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Import unions from a CSV FILE (code, else name, is the key: re-import updates)."""
    parsed = read_union_file(file)
    for problem in parsed.problems:
        click.echo(f"第 {problem.row} 行：{problem.reason}", err=True)
    if parsed.problems:
        raise click.ClickException(
            f"共 {len(parsed.problems)} 处有误，未导入任何工会。改正后重试。"
        )

    async def run(directory: Directory) -> str:
        summary = await directory.import_unions(parsed.rows)
        return f"导入完成：新增 {summary.created} 个工会，更新 {summary.updated} 个。"

    try:
        click.echo(_run(run))
    except DirectoryError as exc:
        raise click.ClickException(f"{exc} 未导入任何工会。") from None


@unions.command("list")
def list_() -> None:
    """List the unions in the directory."""
    for u in _run(lambda d: d.all_unions()):
        place = "/".join(p for p in (u.league, u.county) if p)
        chat = "有" if u.chats else "无"
        click.echo(f"{u.id}\t{u.key}\t{u.name}\t{u.level}\t{place}\t工作群：{chat}")


@click.group()
def staff() -> None:
    """Union staff: add (prints a token once), list, remove."""


@staff.command("add")
@click.argument("name")
@click.option(
    "--union",
    "union_keys",
    multiple=True,
    required=True,
    help="Code or name of a union this person serves (repeat for several).",
)
@click.option("--telegram-user", default="", help="Their Telegram user id (for chat buttons).")
def staff_add(name: str, union_keys: tuple[str, ...], telegram_user: str) -> None:
    """Add staff member NAME; prints their bearer token once (it is not stored)."""

    # The flag is the CLI's name for a staff member's account on that channel.
    identities = [Recipient(TELEGRAM, telegram_user)] if telegram_user else []

    async def run(directory: Directory) -> tuple[int, str]:
        info, token = await directory.add_staff(name, list(union_keys), identities=identities)
        return info.id, token

    try:
        staff_id, token = _run(run)
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加工作人员 {name}（编号 {staff_id}）。访问令牌只显示这一次，请妥善保存：")
    click.echo(token)


@staff.command("list")
def staff_list() -> None:
    """List active staff members and the unions they serve."""
    for s in _run(lambda d: d.list_staff()):
        click.echo(f"{s.id}\t{s.name}\t工会 {','.join(str(i) for i in sorted(s.union_ids))}")


@staff.command("remove")
@click.argument("staff_id", type=int)
def staff_remove(staff_id: int) -> None:
    """Deactivate a staff member; their token stops working at once."""
    if not _run(lambda d: d.deactivate_staff(staff_id)):
        raise click.ClickException(f"没有找到在岗的工作人员 {staff_id}。")
    click.echo(f"工作人员 {staff_id} 已停用，令牌随即失效。")
