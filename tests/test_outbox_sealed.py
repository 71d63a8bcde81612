"""Outbox payloads are sealed at rest: the table holds a token, never the card; dead rows drop
even that after the retention; SQLite's write-ahead log is emptied after rows are marked."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from core.outbox import Dispatcher, OutboxMessage, enqueue, rotate_outbox_keys, utcnow
from core.pii import PiiCipher, PiiError, generate_key
from handlers import Services

TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]
CARD = {"text": "新求助：工地欠薪，联系电话 13912345678"}


async def _raw(ctx: Services) -> list[tuple[object, str, str]]:
    async with ctx.db.session() as session:
        query = select(TABLE.c.payload, TABLE.c.payload_enc, TABLE.c.status).order_by(TABLE.c.id)
        return [(r[0], r[1], r[2]) for r in await session.execute(query)]


async def test_a_queued_card_is_stored_sealed_and_delivered_as_written(
    backend: Callable[..., Services],
) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    async with ctx.db.transaction() as session:
        await enqueue(session, "chat", "-100", CARD, "case:1")
    ((payload, sealed, _),) = await _raw(ctx)
    assert payload == {} and sealed and "13912345678" not in sealed and "欠薪" not in sealed
    got: list[dict[str, object]] = []

    async def sender(message: OutboxMessage) -> None:
        got.append(message.payload)

    dispatcher = Dispatcher(ctx.db)
    dispatcher.register("chat", sender)
    await dispatcher.drain(timeout=10)
    assert got == [CARD]
    assert await _raw(ctx) == [({}, "", "sent")]  # nothing of it is left once sent


async def test_a_card_sealed_with_another_key_waits_for_that_key(
    backend: Callable[..., Services],
) -> None:
    old = backend(pii_key=SecretStr(generate_key()))
    await old.db.upgrade()
    async with old.db.transaction() as session:
        await enqueue(session, "chat", "-100", CARD, "case:1")
    new = backend(pii_key=SecretStr(generate_key()))
    sent: list[object] = []

    async def sender(message: OutboxMessage) -> None:
        sent.append(message.payload)

    new.outbox.register("chat", sender)
    await new.outbox.run_once()
    assert sent == []
    async with new.db.session() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert row.status == "pending" and "PII_KEY" in row.last_error  # kept, not lost


async def test_dead_rows_lose_their_contents_after_the_retention(
    backend: Callable[..., Services],
) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    async with ctx.db.transaction() as session:
        await enqueue(session, "chat", "-100", CARD, "old")
        await enqueue(session, "chat", "-200", CARD, "recent")
        await session.execute(update(TABLE).values(status="dead", last_error="chat not found"))
        await session.execute(
            update(TABLE)
            .where(TABLE.c.dedupe_key == "old")
            .values(next_attempt_at=utcnow() - timedelta(days=31))
        )
    dispatcher = Dispatcher(ctx.db, dead_retention_days=30)
    await dispatcher.housekeep(force=True)
    old, recent = await _raw(ctx)
    assert old == ({}, "", "dead") and recent[1]  # the recent one is still there to inspect
    if ctx.db.is_sqlite:  # and the write-ahead log was emptied after the purge
        wal = f"{ctx.db.url.split('///', 1)[1]}-wal"
        assert os.path.getsize(wal) == 0


async def test_key_rotation_reseals_waiting_cards_for_the_new_key(
    backend: Callable[..., Services],
) -> None:
    old_key, new_key = generate_key(), generate_key()
    before = backend(pii_key=SecretStr(old_key))
    await before.db.upgrade()
    async with before.db.transaction() as session:
        await enqueue(session, "chat", "-100", CARD, "case:1")
    during = backend(pii_key=SecretStr(f"{new_key},{old_key}"))  # `yizhan pii rotate`
    async with during.db.transaction() as session:
        assert await rotate_outbox_keys(session, during.cipher) == 1
    after = backend(pii_key=SecretStr(new_key))  # the old key dropped
    sent: list[object] = []

    async def sender(message: OutboxMessage) -> None:
        sent.append(message.payload)

    after.outbox.register("chat", sender)
    await after.outbox.run_once()
    assert sent == [CARD]


def test_fast_tokens_open_with_any_listed_key_and_refuse_others() -> None:
    old_key, new = generate_key(), generate_key()
    old = PiiCipher([old_key])
    token = old.encrypt_fast("电话 13912345678")
    assert "13912345678" not in token and old.decrypt(token) == "电话 13912345678"
    both = PiiCipher([new, old_key])
    rotated = both.rotate(token)
    assert PiiCipher([new]).decrypt(rotated) == "电话 13912345678"
    with pytest.raises(PiiError):
        PiiCipher([new]).decrypt(token)
