"""`yizhan unions …` and `yizhan staff …`: the union directory and the staff who act for it.
(`yizhan pii …` is in `yizhan.cli`: key rotation covers every domain's personal data.)"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.clock import CHINA_TZ
from core.notices import TELEGRAM, Recipient
from handlers import Services
from membership import (
    LINK_HOURS,
    CredentialError,
    Credentials,
    DirectoryError,
    Role,
    StaffInfo,
    check_password,
    clean_login,
    demo_unions,
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
        summary = await context.directory.import_unions(parsed.rows)
        return f"导入完成：新增 {summary.created} 个工会，更新 {summary.updated} 个。"

    try:
        click.echo(run(work))
    except DirectoryError as exc:
        raise click.ClickException(f"{exc} 未导入任何工会。") from None


@unions.command("list")
def list_() -> None:
    """List the unions in the directory."""
    for u in run(lambda c: c.directory.all_unions()):
        place = "/".join(p for p in (u.league, u.county) if p)
        chat = "有" if u.chats else "无"
        click.echo(f"{u.id}\t{u.key}\t{u.name}\t{u.level}\t{place}\t工作群：{chat}")


@click.group()
def staff() -> None:
    """Union staff: add (prints a token once), list, remove."""


def _password_from_stdin() -> str:
    """The first line of standard input, without its line ending (scripts pipe it in, so it
    never shows in the process list or the shell history)."""
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("没有从标准输入读到密码，请用 --password-stdin 并把密码传进来。")
    return line.rstrip("\r\n")


def _clean_login(login: str) -> str:
    try:
        return clean_login(login)
    except CredentialError as exc:
        raise click.ClickException(str(exc)) from None


def _link_url(context: Services, token: str) -> str:
    base = context.settings.public_url.rstrip("/")
    return f"{base}/console/password/{token}" if base else f"/console/password/{token}"


def _login_and_password(login: str | None, password_stdin: bool) -> tuple[str, str] | None:
    if login is None and not password_stdin:
        return None
    if login is None or not password_stdin:
        raise click.ClickException("--login 和 --password-stdin 要一起用。")
    password = _password_from_stdin()
    try:
        login = clean_login(login)
        check_password(password, login)
    except CredentialError as exc:
        raise click.ClickException(str(exc)) from None
    return login, password


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
@click.option("--login", default=None, help="Console login name (with --password-stdin).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the console password from standard input."
)
@click.option(
    "--role",
    type=click.Choice(["staff", "admin"]),
    default="staff",
    show_default=True,
    help="admin: also sees and acts on every union below theirs, and manages staff there.",
)
def staff_add(
    name: str,
    union_keys: tuple[str, ...],
    telegram_user: str,
    login: str | None,
    password_stdin: bool,
    role: str,
) -> None:
    """Add staff member NAME; prints their bearer token once (it is not stored). With --login
    and --password-stdin they can also sign in to the web console at /console/; with --login
    alone a one-time link to choose their password is printed instead."""
    sign_in = _login_and_password(login, password_stdin) if password_stdin else None
    link_login = _clean_login(login) if login is not None and not password_stdin else None
    # The flag is the CLI's name for a staff member's account on that channel.
    identities = [Recipient(TELEGRAM, telegram_user)] if telegram_user else []

    async def work(context: Services) -> tuple[int, str, str]:
        credentials = context.credentials
        wanted = sign_in[0] if sign_in is not None else link_login
        if wanted is not None and await credentials.login_taken(wanted):
            raise CredentialError(f"登录名“{wanted}”已有人使用，请换一个。")
        info, token = await context.directory.add_staff(
            name, list(union_keys), identities=identities, role=role
        )
        link = ""
        try:
            if sign_in is not None:
                await credentials.set_password(info.id, *sign_in)
            elif link_login is not None:
                link = _link_url(context, await credentials.make_link(info.id, link_login))
        except CredentialError:
            await context.directory.deactivate_staff(info.id)  # no half-made account is left
            raise
        return info.id, token, link

    try:
        staff_id, token, link = run(work)
    except (DirectoryError, CredentialError) as exc:
        raise click.ClickException(str(exc)) from None
    if link:
        click.echo(f"已添加工作人员 {name}（编号 {staff_id}），登录名 {link_login}。")
        click.echo(f"请把这个一次性链接交给本人，用它设置密码（{LINK_HOURS:.0f} 小时内有效）：")
        click.echo(link)
        click.echo("接口访问令牌只显示这一次，请妥善保存：")
    elif sign_in is not None:
        click.echo(
            f"已添加工作人员 {name}（编号 {staff_id}），登录名 {sign_in[0]}，可以登录工作台了。"
        )
        click.echo("接口访问令牌只显示这一次，请妥善保存：")
    else:
        click.echo(f"已添加工作人员 {name}（编号 {staff_id}）。访问令牌只显示这一次，请妥善保存：")
    click.echo(token)


@staff.command("password")
@click.argument("staff_id", type=int)
@click.option("--login", default=None, help="Console login name (default: keep the current one).")
@click.option(
    "--password-stdin", is_flag=True, required=True, help="Read the new password from stdin."
)
def staff_password(staff_id: int, login: str | None, password_stdin: bool) -> None:
    """Set (or reset) a staff member's console login and password; their open sessions end."""

    async def current_login(context: Services) -> str | None:
        return await Credentials(context.db).login_of(staff_id)

    if login is None:
        login = run(current_login)
        if login is None:
            raise click.ClickException(f"工作人员 {staff_id} 还没有登录名，请用 --login 指定一个。")
    sign_in = _login_and_password(login, password_stdin)
    assert sign_in is not None

    async def work(context: Services) -> None:
        await context.credentials.set_password(staff_id, *sign_in)

    try:
        run(work)
    except CredentialError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已为工作人员 {staff_id} 设置密码，登录名 {sign_in[0]}。之前的登录已全部退出。")


@staff.command("list")
def staff_list() -> None:
    """List active staff members and the unions they serve (by name)."""

    async def work(c: Services) -> tuple[list[StaffInfo], dict[int, str]]:
        names = {u.id: u.name for u in await c.directory.all_unions()}
        return await c.directory.list_staff(), names

    people, names = run(work)
    for s in people:
        held = s.held_union_ids or s.union_ids
        unions = "、".join(names.get(i, f"已停用的工会 #{i}") for i in sorted(held))
        click.echo(f"{s.id}\t{s.name}\t{unions}")


@staff.command("remove")
@click.argument("staff_id", type=int)
def staff_remove(staff_id: int) -> None:
    """Deactivate a staff member; their token and console sessions stop working at once."""
    if not run(lambda c: c.directory.deactivate_staff(staff_id)):
        raise click.ClickException(f"没有找到在岗的工作人员 {staff_id}。")
    click.echo(f"工作人员 {staff_id} 已停用，令牌和工作台登录随即失效。")


@staff.command("token")
@click.argument("staff_id", type=int)
def staff_token(staff_id: int) -> None:
    """Make a new /admin/v1 bearer token for a staff member (the old one stops working)."""

    async def work(context: Services) -> tuple[str, str]:
        token, expires = await context.directory.rotate_token(staff_id)
        until = expires.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if expires else "长期"
        return token, until

    try:
        token, until = run(work)
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已为工作人员 {staff_id} 换发令牌，旧令牌随即失效；有效期至 {until}。")
    click.echo("新令牌只显示这一次，请妥善保存：")
    click.echo(token)


@staff.command("role")
@click.argument("staff_id", type=int)
@click.argument("role", type=click.Choice(["staff", "admin"]))
def staff_role(staff_id: int, role: str) -> None:
    """Make a staff member an admin (sees and manages everything below their unions) or not."""
    try:
        run(lambda c: c.directory.set_role(staff_id, role))
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    label = "管理员（可查看和管理下级工会）" if role == "admin" else "工作人员"
    click.echo(f"工作人员 {staff_id} 的角色已改为{label}。")


@staff.command("link")
@click.argument("staff_id", type=int)
@click.option("--login", default=None, help="Console login name (default: keep the current one).")
@click.option("--send", is_flag=True, help="Also send the link to their chat accounts.")
def staff_link(staff_id: int, login: str | None, send: bool) -> None:
    """Print a one-time link with which a staff member sets their own console password
    (the alternative to `staff password --password-stdin`)."""

    async def work(context: Services) -> tuple[str, str, int]:
        credentials = context.credentials
        chosen = login if login is not None else await credentials.login_of(staff_id)
        if chosen is None:
            raise CredentialError(f"工作人员 {staff_id} 还没有登录名，请用 --login 指定一个。")
        url = _link_url(context, await credentials.make_link(staff_id, chosen))
        sent = 0
        if send:
            sent = await credentials.send_link(staff_id, url)
        return clean_login(chosen), url, sent

    try:
        chosen, url, sent = run(work)
    except (DirectoryError, CredentialError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"登录名 {chosen}。一次性设置密码链接（{LINK_HOURS:.0f} 小时内有效，用后作废）：")
    click.echo(url)
    if send:
        if sent:
            click.echo(f"已发到本人的 {sent} 个聊天账号。")
        else:
            click.echo("本人没有登记聊天账号，没有发送；请把链接交给本人。", err=True)


DEMO_ADMIN_LOGIN = "demo"


async def load_demo_directory(context: Services) -> str | None:
    """`yizhan serve --demo`: into an empty directory, the demo unions (the region, its leagues
    and counties) and an admin of the region's union with a one-time set-password link for the
    console login `demo`. Returns that link's path, or None when unions or staff already exist
    (a real directory is never touched)."""
    directory = context.directory
    if await directory.all_unions() or await directory.list_staff():
        return None
    demo = demo_unions()
    await directory.import_unions(demo.rows)
    info, _token = await directory.add_staff("演示管理员", [demo.rows[0].key], role=Role.ADMIN)
    return _link_url(context, await context.credentials.make_link(info.id, DEMO_ADMIN_LOGIN))
