"""A send never outlives its claim (the lease is renewed while it runs, the "sent" mark is fenced
by the claim), and a chat that hangs holds one delivery slot, not everyone's cards."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from core.outbox import Dispatcher, OutboxMessage, enqueue
from handlers import Services

TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]


async def _ready(backend: Callable[..., Services], rows: list[tuple[str, str]]) -> Services:
    ctx = backend()
    await ctx.db.upgrade()
    async with ctx.db.transaction() as session:
        for recipient, key in rows:
            await enqueue(session, "chat", recipient, {"key": key}, key)
    return ctx


async def _rows(ctx: Services) -> list[OutboxMessage]:
    async with ctx.db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        return list((await session.execute(query)).scalars())


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_a_send_longer_than_the_lease_is_delivered_once_by_two_dispatchers(
    backend: Callable[..., Services],
) -> None:
    """The reported duplicate: a Bot API call sleeping through 429s outlasted the lease and the
    other process claimed the row and sent it too."""
    ctx = await _ready(backend, [("-100", "case:1")])
    sent: Counter[str] = Counter()

    async def slow(message: OutboxMessage) -> None:
        await asyncio.sleep(1.2)  # four leases
        sent[message.payload["key"]] += 1

    other = backend()  # a second process on the same database
    workers = [Dispatcher(s.db, lease_seconds=0.3, poll_seconds=0.05) for s in (ctx, other)]
    for worker in workers:
        worker.register("chat", slow)
        worker.start()
    try:
        await _until(lambda: sum(w.delivered for w in workers) >= 1)
        await asyncio.sleep(0.8)  # time for a second send, were the row claimed again
    finally:
        for worker in workers:
            await worker.stop()
    assert sent == {"case:1": 1}
    (row,) = await _rows(ctx)
    assert row.status == "sent" and row.attempts == 1


async def test_a_send_whose_row_was_taken_over_is_stopped_and_marks_nothing(
    backend: Callable[..., Services], caplog: pytest.LogCaptureFixture
) -> None:
    ctx = await _ready(backend, [("-100", "a"), ("-200", "b")])
    started: dict[str, asyncio.Event] = {"a": asyncio.Event(), "b": asyncio.Event()}
    cancelled: list[str] = []
    finish_b = asyncio.Event()

    async def sender(message: OutboxMessage) -> dict[str, Any]:
        key = message.payload["key"]
        started[key].set()
        try:
            if key == "a":
                await asyncio.Event().wait()  # runs until the heartbeat stops it
            await finish_b.wait()
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        return {"message_id": 1}

    dispatcher = Dispatcher(ctx.db, lease_seconds=0.6, poll_seconds=0.05)
    dispatcher.register("chat", sender)
    run = asyncio.create_task(dispatcher.run_once())
    await asyncio.wait_for(asyncio.gather(started["a"].wait(), started["b"].wait()), 5)
    # Another dispatcher takes both rows over (as after a lease lost to a stalled process).
    async with ctx.db.transaction() as session:
        await session.execute(
            update(TABLE).values(claimed_by="another", attempts=TABLE.c.attempts + 1)
        )
    finish_b.set()  # b's send ends before any renewal: its "sent" mark must not land
    with caplog.at_level(logging.WARNING, logger="core.outbox"):
        await asyncio.wait_for(run, 5)  # a's heartbeat (every 0.2 s) finds the row gone
    assert cancelled == ["a"]
    assert [(r.status, r.claimed_by) for r in await _rows(ctx)] == [("sending", "another")] * 2
    assert "another dispatcher took the row over" in caplog.text
    assert "was sent, but its claim had passed on" in caplog.text


async def test_a_send_stops_before_its_lease_ends_when_the_lease_cannot_be_renewed(
    backend: Callable[..., Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = await _ready(backend, [("-100", "a")])
    stopped_at: list[float] = []
    loop = asyncio.get_running_loop()

    async def hangs(_message: OutboxMessage) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped_at.append(loop.time())

    dispatcher = Dispatcher(ctx.db, lease_seconds=0.6)
    dispatcher.register("chat", hangs)

    async def database_down(_message: OutboxMessage) -> bool:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(dispatcher.claims, "renew", database_down)
    claimed_at = loop.time()
    await asyncio.wait_for(dispatcher.run_once(), 5)
    assert stopped_at and stopped_at[0] - claimed_at < 0.6  # cut before another could claim


async def test_a_send_that_hangs_past_the_send_timeout_is_retried_later(
    backend: Callable[..., Services],
) -> None:
    ctx = await _ready(backend, [("-100", "a")])

    async def hangs(_message: OutboxMessage) -> None:
        await asyncio.Event().wait()

    dispatcher = Dispatcher(ctx.db, lease_seconds=0.3, send_timeout=0.5)
    dispatcher.register("chat", hangs)
    await asyncio.wait_for(dispatcher.run_once(), 5)
    (row,) = await _rows(ctx)
    assert row.status == "pending" and "发送超时" in row.last_error


async def test_a_hanging_chat_does_not_hold_back_other_chats(
    backend: Callable[..., Services],
) -> None:
    # The hanging chat's rows are the oldest, so they are claimed first.
    stuck = [("stuck", f"s{n}") for n in range(3)]
    healthy = [(f"chat-{n}", f"h{n}") for n in range(8)]
    ctx = await _ready(backend, stuck + healthy)
    release = asyncio.Event()
    delivered: list[str] = []
    in_flight: Counter[str] = Counter()
    most_in_flight: Counter[str] = Counter()

    async def sender(message: OutboxMessage) -> None:
        in_flight[message.recipient] += 1
        most_in_flight[message.recipient] = max(
            most_in_flight[message.recipient], in_flight[message.recipient]
        )
        try:
            if message.recipient == "stuck":
                await release.wait()
            delivered.append(message.payload["key"])
        finally:
            in_flight[message.recipient] -= 1

    dispatcher = Dispatcher(ctx.db, concurrency=2, batch=4, poll_seconds=0.05)
    dispatcher.register("chat", sender)
    dispatcher.start()
    try:
        await _until(lambda: len(delivered) == len(healthy), timeout=5)
        assert sorted(delivered) == sorted(key for _, key in healthy)
        release.set()
        await _until(lambda: len(delivered) == len(stuck) + len(healthy), timeout=5)
    finally:
        await dispatcher.stop()
    assert [k for k in delivered if k.startswith("s")] == ["s0", "s1", "s2"]  # in order
    assert set(most_in_flight.values()) == {1}  # never two sends at once to one chat
    assert {r.status for r in await _rows(ctx)} == {"sent"}
