"""Exactly once across processes, through the real Telegram sender: a staff card whose Bot API
call sleeps through a 429 longer than the outbox lease reaches the chat once, with two
dispatchers ("processes") on one database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select

from core.notices import TELEGRAM, Notice, Recipient, send_notice
from core.outbox import OutboxMessage
from handlers import Services
from tests.fakes.telegram import FakeTelegram, telegram_settings
from yizhan.wiring import build_channels, register_senders


async def test_a_429_longer_than_the_lease_gives_one_card_with_two_processes(
    backend: Callable[..., Services], fake_telegram: FakeTelegram
) -> None:
    lease = 0.4
    overrides = {
        **telegram_settings(fake_telegram),
        "outbox_lease_seconds": lease,
        "outbox_poll_seconds": 0.05,
    }
    processes = [backend(**overrides), backend(**overrides)]
    await processes[0].db.upgrade()
    for ctx in processes:
        register_senders(ctx, build_channels(ctx))
    # Telegram throttles the staff group for four leases; the client waits it out in the send.
    fake_telegram.fail_next("sendMessage", 429, retry_after=4 * lease)
    async with processes[0].db.transaction() as session:
        await send_notice(
            session, Recipient(TELEGRAM, "-100777"), Notice("新的法律援助求助 #1"), "case:1"
        )
    for ctx in processes:
        ctx.outbox.start()
    async with asyncio.timeout(10):
        while not fake_telegram.calls:
            await asyncio.sleep(0.02)
    await asyncio.sleep(3 * lease)  # room for a second send, were the row claimed again
    for ctx in processes:
        await ctx.outbox.stop()

    cards = [c for c in fake_telegram.calls if c.method == "sendMessage"]
    assert [c.params["text"] for c in cards] == ["新的法律援助求助 #1"]
    assert [c.method for c in fake_telegram.rejected] == ["sendMessage"]  # the one 429
    async with processes[0].db.session() as session:
        (row,) = (await session.execute(select(OutboxMessage))).scalars()
    assert (row.status, row.attempts) == ("sent", 1)
    assert sum(ctx.outbox.delivered for ctx in processes) == 1
