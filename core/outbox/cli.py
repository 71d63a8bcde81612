"""`yizhan outbox run|status`."""

from __future__ import annotations

import asyncio
import contextlib

import click

from ._dispatcher import dispatcher_of
from ._enqueue import counts


@click.group()
def outbox() -> None:
    """Messages waiting to go out (staff chats, worker notifications)."""


@outbox.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
def outbox_run(once: bool) -> None:
    """Deliver outbox messages until interrupted (`yizhan serve` does this too)."""
    from ..app import create_app
    from ..context import AppContext
    from ..settings import get_settings

    async def run() -> None:
        context = AppContext.from_settings(get_settings())
        create_app(context)  # every surface registers its senders on the dispatcher
        await context.db.upgrade()
        dispatcher = dispatcher_of(context)
        try:
            if once:
                await dispatcher.drain(timeout=600)
            else:
                await dispatcher.run_forever()
        finally:
            await context.close()
        click.echo(f"已发送 {dispatcher.delivered} 条，失败 {dispatcher.failed} 次。")

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@outbox.command("status")
def outbox_status() -> None:
    """Count outbox messages by status."""
    from ..context import AppContext
    from ..settings import get_settings

    async def run() -> dict[str, int]:
        context = AppContext.from_settings(get_settings())
        try:
            return await counts(context.db)
        finally:
            await context.close()

    found = asyncio.run(run())
    labels = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "dead": "已放弃"}
    for status, label in labels.items():
        click.echo(f"{label}：{found.get(status, 0)}")
