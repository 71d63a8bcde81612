"""A call Telegram rejects for good (400) gives its outbox row up as dead, with the error, and
visible in `yizhan outbox status` — never "sent" with the rest of the delivery lost. The calls
that went out before it stay remembered, so delivering the row again sends only the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from click.testing import CliRunner
from yizhan.cli import cli
from sqlalchemy import select, update

from core import get_settings
from core.outbox import OutboxMessage, counts, utcnow
from handlers import SERVICES_KEY, Services
from tests.fakes.telegram import WEBHOOK_HEADERS, FakeTelegram, telegram_settings
from tests.stations import HOHHOT, add_stations, station
from yizhan.app import create_app

LAT, LNG = HOHHOT


@pytest.fixture
async def tg(
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
) -> TestClient:
    ctx = backend(**telegram_settings(fake_telegram))
    client: TestClient = await aiohttp_client(create_app(ctx))
    await add_stations(ctx, station("NEAR", LAT + 0.001, LNG, name="新华广场驿站"))
    return client


async def share_location(client: TestClient, update_id: int) -> None:
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1764000000,
            "from": {"id": 42, "is_bot": False, "first_name": "师傅", "language_code": "zh"},
            "chat": {"id": 42, "type": "private"},
            "location": {"latitude": LAT, "longitude": LNG},
        },
    }
    resp = await client.post("/telegram/webhook", json=update, headers=WEBHOOK_HEADERS)
    assert resp.status == 200


async def settled(ctx: Services) -> dict[str, int]:
    for _ in range(200):
        found = await counts(ctx.db)
        if found and not set(found) - {"sent", "dead"}:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(await counts(ctx.db))


async def only_row(ctx: Services) -> OutboxMessage:
    async with ctx.db.session() as session:
        [row] = (await session.execute(select(OutboxMessage))).scalars().all()
    return row


async def test_rejected_call_makes_the_row_dead_and_keeps_what_was_sent(
    tg: TestClient,
    fake_telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = tg.app[SERVICES_KEY]
    fake_telegram.fail_next("sendMessage", 400, description="Bad Request: can't parse entities")
    await share_location(tg, 1)
    assert await settled(ctx) == {"dead": 1}
    row = await only_row(ctx)
    assert "400" in row.last_error and "can't parse entities" in row.last_error
    assert "call 2 of 2" in row.last_error
    # The pin went, the details did not.
    assert [c.method for c in fake_telegram.calls] == ["sendVenue"]

    if ctx.settings.database_url.startswith("sqlite"):  # the CLI reads the same file
        monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
        monkeypatch.delenv("REDIS_URL", raising=False)
        get_settings.cache_clear()
        try:
            # A thread: the command runs its own event loop, as from a shell.
            shown = await asyncio.to_thread(CliRunner().invoke, cli, ["outbox", "status"])
        finally:
            get_settings.cache_clear()
        assert shown.exit_code == 0, shown.output
        assert "已放弃：1" in shown.output and "已发送：0" in shown.output

    # Staff put the row back once the cause is fixed: only the missing call goes out.
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    async with ctx.db.transaction() as session:
        await session.execute(update(table).values(status="pending", next_attempt_at=utcnow()))
    assert await settled(ctx) == {"sent": 1}
    assert [c.method for c in fake_telegram.calls] == ["sendVenue", "sendMessage"]


async def test_transient_failures_still_retry(tg: TestClient, fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendMessage", 502)
    await share_location(tg, 2)
    assert await settled(tg.app[SERVICES_KEY]) == {"sent": 1}
    assert [c.method for c in fake_telegram.calls] == ["sendVenue", "sendMessage"]
