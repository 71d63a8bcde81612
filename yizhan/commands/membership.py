"""`yizhan unions …` and `yizhan staff …`: the union directory and the staff who act for it.
(`yizhan pii …` is in `yizhan.cli`: key rotation covers every domain's personal data.)"""

from __future__ import annotations

from pathlib import Path

import click

from handlers import Services
from membership import (
    DirectoryError,
    add_staff,
    all_unions,
    deactivate_staff,
    import_unions,
    list_staff,
    read_union_file,
)

from ._run import run


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

    async def work(context: Services) -> str:
        summary = await import_unions(context.db, parsed.rows)
        return f"导入完成：新增 {summary.created} 个工会，更新 {summary.updated} 个。"

    try:
        click.echo(run(work))
    except DirectoryError as exc:
        raise click.ClickException(f"{exc} 未导入任何工会。") from None


@unions.command("list")
def list_() -> None:
    """List the unions in the directory."""
    for u in run(lambda c: all_unions(c.db)):
        place = "/".join(p for p in (u.league, u.county) if p)
        chat = "有" if u.telegram_chat_id or u.wecom_robot_key else "无"
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

    async def work(context: Services) -> tuple[int, str]:
        info, token = await add_staff(
            context.db, name, list(union_keys), telegram_user_id=telegram_user
        )
        return info.id, token

    try:
        staff_id, token = run(work)
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加工作人员 {name}（编号 {staff_id}）。访问令牌只显示这一次，请妥善保存：")
    click.echo(token)


@staff.command("list")
def staff_list() -> None:
    """List active staff members and the unions they serve."""
    for s in run(lambda c: list_staff(c.db)):
        click.echo(f"{s.id}\t{s.name}\t工会 {','.join(str(i) for i in sorted(s.union_ids))}")


@staff.command("remove")
@click.argument("staff_id", type=int)
def staff_remove(staff_id: int) -> None:
    """Deactivate a staff member; their token stops working at once."""
    if not run(lambda c: deactivate_staff(c.db, staff_id)):
        raise click.ClickException(f"没有找到在岗的工作人员 {staff_id}。")
    click.echo(f"工作人员 {staff_id} 已停用，令牌随即失效。")
