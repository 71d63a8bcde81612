"""The `yizhan` command (also `python -m yizhan` and, for the deployment contract,
`python -m core`): `serve`, `db`, `pii`, and every area's group from `yizhan.commands`, each
added below by name."""

from __future__ import annotations

import logging

import click
from aiohttp import web

import membership
import referrals
from core.logging import configure_logging
from core.pii import PiiError, check_key_reads, generate_key, require_real_key
from core.settings import get_settings
from handlers import Services
from locations import load_demo_if_empty

from .app import create_app
from .commands import channels, regions, stations
from .commands import membership as membership_commands
from .commands._run import run
from .wiring import build_services

# Each domain's `async (session, cipher) -> int` that re-encrypts its personal data with the
# newest key, and what it counts; `yizhan pii rotate` runs them all in one transaction.
PII_ROTATIONS = (
    (membership.rotate_enrollment_keys, "份入会申请"),
    (referrals.rotate_case_keys, "条求助（含处理记录）"),
)


@click.group()
@click.option("--verbose", "-v", is_flag=True, help="Also show schema migration steps (Alembic).")
def cli(verbose: bool = False) -> None:
    """驿站通: find an open union rest station, join the union, ask for help."""
    configure_logging(get_settings().log_level)
    if not verbose:  # "Running upgrade …" on every command is noise to whoever runs it
        logging.getLogger("alembic").setLevel(logging.WARNING)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: HOST setting).")
@click.option("--port", type=int, default=None, help="Port (default: PORT setting).")
@click.option("--demo", is_flag=True, help="Load the synthetic demo stations when none exist.")
def serve(host: str | None, port: int | None, demo: bool) -> None:
    """Upgrade the schema and serve every HTTP surface."""
    settings = get_settings()

    async def prepare(services: Services) -> None:
        # Refuse a PII_KEY that cannot read what is stored, before any worker is answered.
        await check_key_reads(services.db, services.settings)
        if demo:
            await load_demo_if_empty(services.db, services.store)

    try:
        require_real_key(settings)
        run(prepare)
    except PiiError as exc:
        raise click.ClickException(str(exc)) from exc
    app = create_app(build_services(settings))
    web.run_app(
        app,
        host=host or settings.host,
        port=port or settings.port,
        access_log=None,
        # aiohttp's default keeps an idle connection an hour; a proxy in front expects ~1 min.
        keepalive_timeout=75,
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
