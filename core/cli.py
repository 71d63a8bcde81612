"""The `yizhan` command (also `python -m core`).

Core commands live here; each domain and channel adds its own group from its package, listed in
`COMMANDS` (this module, like `core.app`, is part of the composition root).
"""

from __future__ import annotations

import asyncio
import importlib
import logging

import click
from aiohttp import web

from .app import create_app
from .context import AppContext
from .logging import configure_logging
from .pii import PiiError, cipher_for, generate_key, require_real_key
from .settings import get_settings

log = logging.getLogger(__name__)

# (module, attribute): click commands or groups that other packages contribute.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("locations.cli", "stations"),
    ("locations.cli", "coverage"),
    ("membership.cli", "unions"),
    ("membership.cli", "staff"),
    ("core.outbox", "outbox"),
    ("referrals.cli", "regions"),
    ("bot.telegram.cli", "bot"),
    ("bot.console", "chat"),
)


@click.group()
def cli() -> None:
    """驿站通: find an open union rest station, join the union, ask for help."""
    configure_logging(get_settings().log_level)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: HOST setting).")
@click.option("--port", type=int, default=None, help="Port (default: PORT setting).")
@click.option("--demo", is_flag=True, help="Load the synthetic demo stations when none exist.")
def serve(host: str | None, port: int | None, demo: bool) -> None:
    """Upgrade the schema and serve every HTTP surface."""
    settings = get_settings()
    try:
        require_real_key(settings)
    except PiiError as exc:
        raise click.ClickException(str(exc)) from exc

    async def prepare() -> None:
        context = AppContext.from_settings(settings)
        await context.db.upgrade()
        if demo:
            from locations.cli import load_demo_if_empty

            await load_demo_if_empty(context)
        await context.close()

    asyncio.run(prepare())
    app = create_app(AppContext.from_settings(settings))
    web.run_app(app, host=host or settings.host, port=port or settings.port, access_log=None)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest revision."""

    async def run() -> None:
        context = AppContext.from_settings(get_settings())
        await context.db.upgrade()
        await context.close()

    asyncio.run(run())
    click.echo("数据库已是最新结构。")


# (package, function, what it counts): each domain's `async (session, cipher) -> int` that
# re-encrypts its personal data with the newest key; `yizhan pii rotate` runs them all.
PII_ROTATIONS: tuple[tuple[str, str, str], ...] = (
    ("membership", "rotate_enrollment_keys", "份入会申请"),
    ("referrals", "rotate_case_keys", "条求助（含处理记录）"),
)


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

    async def run() -> list[str]:
        context = AppContext.from_settings(get_settings())
        try:
            await context.db.upgrade()
            cipher, done = cipher_for(context.settings), []
            # One transaction for every domain: a key missing half-way leaves nothing rotated.
            async with context.db.transaction() as session:
                for package, name, what in PII_ROTATIONS:
                    rotate = getattr(importlib.import_module(package), name)
                    done.append(f"{await rotate(session, cipher)} {what}")
            return done
        finally:
            await context.close()

    try:
        done = asyncio.run(run())
    except PiiError as exc:
        raise click.ClickException(f"{exc}。未做任何更改。") from None
    click.echo(f"已用最新密钥重新加密 {'、'.join(done)}。现在可以从 PII_KEY 中去掉旧密钥了。")


def _register() -> None:
    for module, attr in COMMANDS:
        try:
            command = getattr(importlib.import_module(module), attr)
        except (
            ImportError,
            AttributeError,
        ) as exc:  # a channel not installed must not break the CLI
            log.debug("command %s.%s unavailable: %s", module, attr, exc)
            continue
        cli.add_command(command)


_register()


def main() -> None:
    cli()
