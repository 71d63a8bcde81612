"""The `yizhan` command (also `python -m yizhan` and, for the deployment contract,
`python -m core`): `serve`, `db`, `pii`, and every area's group from `yizhan.commands`, each
added below by name."""

from __future__ import annotations

import logging
import sys

import click
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import membership
import referrals
from core.db import DatabaseError
from core.logging import configure_logging
from core.outbox import rotate_outbox_keys
from core.pii import PiiError, check_key_reads, generate_key, require_real_key
from core.settings import Settings, get_settings, setting_problems
from core.store import StoreError
from handlers import Services
from locations import load_demo_if_empty

from .app import create_app
from .commands import channels, regions, stations
from .commands import membership as membership_commands
from .commands._run import run
from .commands.membership import DEMO_ADMIN_LOGIN, load_demo_directory
from .wiring import build_services

# Each domain's `async (session, cipher) -> int` that re-encrypts its personal data with the
# newest key, and what it counts; `yizhan pii rotate` runs them all in one transaction.
PII_ROTATIONS = (
    (membership.rotate_enrollment_keys, "份入会申请"),
    (referrals.rotate_case_keys, "条求助（含处理记录）"),
    (rotate_outbox_keys, "条待发消息"),
)


# Exit codes of a refused start (sysexits.h), so a service manager can tell a bad setting,
# which no restart fixes (the unit file's RestartPreventExitStatus), from an outage.
EXIT_CONFIG = 78
EXIT_UNAVAILABLE = 69


@click.group()
@click.option("--verbose", "-v", is_flag=True, help="Also show schema migration steps (Alembic).")
def cli(verbose: bool = False) -> None:
    """驿站通: find an open union rest station, join the union, ask for help."""
    settings = _settings_or_exit()
    configure_logging(settings.log_level, fmt=settings.log_format)
    if not verbose:  # "Running upgrade …" on every command is noise to whoever runs it
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _settings_or_exit() -> Settings:
    """The settings, or one clear line per bad one on stderr and exit 78 — no traceback."""
    try:
        return get_settings()
    except ValidationError as exc:
        for line in setting_problems(exc):
            click.echo(line, err=True)
        sys.exit(EXIT_CONFIG)


def _unreachable(settings: Settings, exc: BaseException) -> None:
    """One line saying which service could not be reached, then exit 69 — no traceback."""
    if isinstance(exc, StoreError):
        what = "Redis（REDIS_URL）"
    else:
        what = f"数据库 {make_url(settings.database_url).render_as_string(hide_password=True)}"
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    click.echo(f"无法连接{what}：{reason}", err=True)
    sys.exit(EXIT_UNAVAILABLE)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: HOST setting).")
@click.option("--port", type=int, default=None, help="Port (default: PORT setting).")
@click.option("--demo", is_flag=True, help="Load the synthetic demo stations when none exist.")
def serve(host: str | None, port: int | None, demo: bool) -> None:
    """Upgrade the schema and serve every HTTP surface."""
    settings = get_settings()
    demo_link: list[str] = []

    async def prepare(services: Services) -> None:
        if not await services.store.ping():
            raise StoreError("连接失败")
        # Refuse a PII_KEY that cannot read what is stored, before any worker is answered.
        await check_key_reads(services.db, services.settings)
        if demo:
            await load_demo_if_empty(services.db, services.store)
            demo_link.append(await load_demo_directory(services) or "")

    try:
        require_real_key(settings)
        run(prepare)
    except PiiError as exc:
        raise click.ClickException(str(exc)) from exc
    except (DatabaseError, StoreError, SQLAlchemyError, OSError) as exc:
        _unreachable(settings, exc)
    if demo_link and demo_link[0]:
        base = (
            "" if settings.public_url else f"http://{host or settings.host}:{port or settings.port}"
        )
        click.echo(
            f"已载入演示工会目录。工作人员工作台：请在 {membership.LINK_HOURS:.0f} 小时内打开 "
            f"{base}{demo_link[0]} 为演示管理员（登录名 {DEMO_ADMIN_LOGIN}）设置密码。"
        )
    app = create_app(build_services(settings))
    # aiohttp's own banner is a bare print(); under LOG_FORMAT=json every line must be JSON.
    logging.getLogger("yizhan").info(
        "serving on http://%s:%s", host or settings.host, port or settings.port
    )
    web.run_app(
        app,
        host=host or settings.host,
        port=port or settings.port,
        access_log=None,
        print=None if settings.log_format == "json" else print,
        # aiohttp's default keeps an idle connection an hour; a proxy in front expects ~1 min.
        # It also bounds the time to send a request's headers (slow-header clients): aiohttp
        # closes a connection whose next request has not fully arrived by then.
        keepalive_timeout=settings.http_idle_timeout,
    )


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest revision."""

    async def nothing(_services: Services) -> None:
        return None

    run(nothing)
    click.echo("数据库已是最新结构。")


@cli.group()
def pii() -> None:
    """Keys for personal data (PII_KEY): generate, rotate."""


@pii.command("keygen")
def pii_keygen() -> None:
    """Print a new key; put it first in PII_KEY (comma separated, newest first)."""
    click.echo(generate_key())


@pii.command("rotate")
def pii_rotate() -> None:
    """Re-encrypt stored personal data with the newest key and recompute lookup hashes."""

    async def rotate(services: Services) -> list[str]:
        done = []
        # One transaction for every domain: a key missing half-way leaves nothing rotated.
        async with services.db.transaction() as session:
            for rotation, what in PII_ROTATIONS:
                done.append(f"{await rotation(session, services.cipher)} {what}")
        return done

    try:
        done = run(rotate)
    except PiiError as exc:
        raise click.ClickException(f"{exc}。未做任何更改。") from None
    click.echo(f"已用最新密钥重新加密 {'、'.join(done)}。现在可以从 PII_KEY 中去掉旧密钥了。")


for command in (
    stations.stations,
    stations.coverage,
    membership_commands.unions,
    membership_commands.staff,
    regions.regions,
    channels.outbox,
    channels.bot,
    channels.chat,
    channels.wechat,
):
    cli.add_command(command)


def main() -> None:
    cli()
