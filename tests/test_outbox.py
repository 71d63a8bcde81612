"""The transactional outbox: written with the caller's data, delivered once, never lost."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.outbox import Dispatcher, GiveUp, OutboxMessage, RetryLater, counts, enqueue, utcnow
from handlers import Services


async def _ready(backend: Callable[..., Services]) -> Services:
    ctx = backend()
    await ctx.db.upgrade()
    return ctx


async def _rows(ctx: Services) -> list[OutboxMessage]:
    async with ctx.db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        return list((await session.execute(query)).scalars())


class Recorder:
    """A sender that records deliveries and fails as scripted."""

    def __init__(self, script: list[Exception | None] | None = None) -> None:
        self.script = list(script or [])
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, message: OutboxMessage) -> dict[str, Any]:
        if self.script:
            failure = self.script.pop(0)
            if failure is not None:
                raise failure
        self.sent.append((message.recipient, message.payload))
        return {"message_id": len(self.sent)}


async def test_rows_commit_with_the_callers_transaction_and_dedupe(
    backend: Callable[..., Services],
) -> None:
    ctx = await _ready(backend)
    with pytest.raises(RuntimeError):
        async with ctx.db.transaction() as session:
            await enqueue(session, "chat", "-100", {"text": "甲"}, "case:1")
            raise RuntimeError("the case could not be saved")
    assert await _rows(ctx) == []  # rolled back with the caller's work

    async with ctx.db.transaction() as session:
        assert await enqueue(session, "chat", "-100", {"text": "甲"}, "case:1") is True
        assert await enqueue(session, "chat", "-100", {"text": "甲"}, "case:1") is False
        assert await enqueue(session, "chat", "-200", {"text": "甲"}, "case:1") is True
    async with ctx.db.transaction() as session:
        assert await enqueue(session, "chat", "-100", {"text": "again"}, "case:1") is False

    sender = Recorder()
    dispatcher = Dispatcher(ctx.db)
    dispatcher.register("chat", sender)
    await dispatcher.drain()
    assert sorted(r for r, _ in sender.sent) == ["-100", "-200"]
    rows = await _rows(ctx)
    assert {r.status for r in rows} == {"sent"}
    assert all(r.result and r.result["message_id"] for r in rows)
    assert await counts(ctx.db) == {"sent": 2}


async def test_failures_back_off_are_recorded_and_give_up_marks_dead(
    backend: Callable[..., Services],
) -> None:
    ctx = await _ready(backend)
    async with ctx.db.transaction() as session:
        await enqueue(session, "chat", "ok-later", {"n": 1}, "a")
        await enqueue(session, "gone", "nobody", {"n": 2}, "b")
    sender = Recorder([RetryLater("502 bad gateway"), ConnectionError("reset")])
    dispatcher = Dispatcher(ctx.db, base_delay=10)
    dispatcher.register("chat", sender)

    async def never(_m: OutboxMessage) -> None:
        raise GiveUp("chat not found")

    dispatcher.register("gone", never)
    assert await dispatcher.run_once() == 2
    rows = {r.recipient: r for r in await _rows(ctx)}
    first = rows["ok-later"]
    assert first.status == "pending" and first.attempts == 1
    assert first.last_error == "502 bad gateway"
    wait = (first.next_attempt_at - utcnow()).total_seconds()
    assert 4 <= wait <= 10  # jitter within [base/2, base]
    assert rows["nobody"].status == "dead" and rows["nobody"].last_error == "chat not found"
    assert await dispatcher.run_once() == 0  # not due yet: nothing is hammered

    later = Dispatcher(ctx.db, base_delay=10, now=lambda: utcnow() + timedelta(seconds=11))
    later.register("chat", sender)
    await later.run_once()
    row = (await _rows(ctx))[0]
    assert row.attempts == 2 and row.last_error.startswith("ConnectionError")
    wait = (row.next_attempt_at - utcnow()).total_seconds() - 11
    assert 9 <= wait <= 20  # the ceiling doubled
    much_later = Dispatcher(ctx.db, now=lambda: utcnow() + timedelta(seconds=60))
    much_later.register("chat", sender)
    await much_later.run_once()
    assert [r for r, _ in sender.sent] == ["ok-later"]
    assert (await _rows(ctx))[0].status == "sent"


async def test_retry_after_is_honoured_for_the_whole_recipient(
    backend: Callable[..., Services],
) -> None:
    ctx = await _ready(backend)
    async with ctx.db.transaction() as session:
        for n in range(3):
            await enqueue(session, "chat", "-100", {"n": n}, f"k{n}")
        await enqueue(session, "chat", "-999", {"n": 9}, "other")
    throttled = Dispatcher(ctx.db, batch=1)

    async def too_many(message: OutboxMessage) -> None:
        raise RetryLater("Too Many Requests: retry after 30", retry_after=30)

    throttled.register("chat", too_many)
    await throttled.run_once()
    rows = await _rows(ctx)
    held = [r for r in rows if r.recipient == "-100"]
    for row in held:
        assert (row.next_attempt_at - utcnow()).total_seconds() >= 29
    other = next(r for r in rows if r.recipient == "-999")
    assert other.next_attempt_at <= utcnow()  # another chat is not held back


async def test_two_dispatchers_never_deliver_a_row_twice(
    backend: Callable[..., Services],
) -> None:
    ctx = await _ready(backend)
    async with ctx.db.transaction() as session:
        for n in range(60):
            await enqueue(session, "chat", f"chat-{n % 3}", {"n": n}, f"case:{n}")
    delivered: Counter[int] = Counter()

    async def slow(message: OutboxMessage) -> None:
        await asyncio.sleep(0.002)
        delivered[message.payload["n"]] += 1

    other = backend()  # a second "process" on the same database
    workers = [Dispatcher(ctx.db, batch=5), Dispatcher(other.db, batch=5)]
    for w in workers:
        w.register("chat", slow)
    await asyncio.gather(*(w.drain() for w in workers))
    assert sorted(delivered) == list(range(60))
    assert set(delivered.values()) == {1}
    assert workers[0].delivered > 0 and workers[1].delivered > 0


async def test_killed_mid_delivery_is_recovered_after_the_lease(
    backend: Callable[..., Services],
) -> None:
    ctx = await _ready(backend)
    async with ctx.db.transaction() as session:
        await enqueue(session, "chat", "-100", {"text": "新求助"}, "case:7")
    stuck = asyncio.Event()

    async def hangs(_m: OutboxMessage) -> None:
        stuck.set()
        await asyncio.Event().wait()

    first = Dispatcher(ctx.db, lease_seconds=0.3, poll_seconds=0.05)
    first.register("chat", hangs)
    first.start()
    await asyncio.wait_for(stuck.wait(), 5)
    await first.stop(grace=0.1)  # the process dies with the message in flight
    row = (await _rows(ctx))[0]
    assert row.status == "sending" and row.claimed_by == first.owner

    sender = Recorder()
    second = Dispatcher(ctx.db, lease_seconds=0.3, poll_seconds=0.05)
    second.register("chat", sender)
    assert await second.run_once() == 0  # the lease still holds
    await asyncio.sleep(0.35)
    assert await second.run_once() == 1
    row = (await _rows(ctx))[0]
    assert row.status == "sent" and row.attempts == 2 and row.claimed_by is None
    assert sender.sent == [("-100", {"text": "新求助"})]


async def test_unregistered_kinds_wait_for_their_sender(backend: Callable[..., Services]) -> None:
    ctx = await _ready(backend)
    async with ctx.db.transaction() as session:
        await enqueue(session, "wechat", "openid-1", {"text": "已受理"}, "n1")
    dispatcher = Dispatcher(ctx.db)
    dispatcher.register("chat", Recorder())
    assert await dispatcher.run_once() == 0  # another process may have the WeChat sender
    row = (await _rows(ctx))[0]
    assert row.status == "pending" and row.attempts == 0


async def test_a_row_whose_claim_ran_out_before_sending_is_not_sent_twice(
    backend: Callable[..., Services],
) -> None:
    """A claimed row can wait (concurrency gate, a chat's rate limit) longer than its lease.
    If another dispatcher took it over meanwhile, the first must not send it too."""
    ctx = await _ready(backend)
    async with ctx.db.transaction() as session:
        await enqueue(session, "chat", "-100", {"text": "新求助"}, "case:8")
    slow, fast = Recorder(), Recorder()
    first = Dispatcher(ctx.db, lease_seconds=0.2)
    first.register("chat", slow)
    (claimed,) = await first._claim()  # claimed, then stuck in a queue past the lease
    await asyncio.sleep(0.3)
    second = Dispatcher(ctx.db, lease_seconds=5)
    second.register("chat", fast)
    assert await second.run_once() == 1
    await first._deliver(claimed)  # its turn finally comes
    assert fast.sent == [("-100", {"text": "新求助"})]
    assert slow.sent == []
    (row,) = await _rows(ctx)
    assert row.status == "sent"


async def test_a_send_starts_with_most_of_a_lease_ahead(
    backend: Callable[..., Services],
) -> None:
    """A row that queued a while after its claim has its lease restarted as its send begins;
    one sent at once keeps the claim's lease (restarting it would only cost a transaction)."""
    ctx = await _ready(backend)
    async with ctx.db.transaction() as session:
        await enqueue(session, "chat", "-100", {"text": "一"}, "a")
        await enqueue(session, "chat", "-100", {"text": "二"}, "b")
    leases: dict[str, Any] = {}

    async def sender(message: OutboxMessage) -> None:
        (row,) = [r for r in await _rows(ctx) if r.id == message.id]
        leases[message.payload["text"]] = row.lease_until

    dispatcher = Dispatcher(ctx.db, lease_seconds=2.0)
    dispatcher.register("chat", sender)
    claimed = {m.payload["text"]: m for m in await dispatcher._claim()}
    claimed_until = {text: m.lease_until for text, m in claimed.items()}
    await dispatcher._deliver(claimed["一"])  # right after the claim
    await asyncio.sleep(0.4)  # a fifth of the lease
    await dispatcher._deliver(claimed["二"])
    assert leases["一"] == claimed_until["一"]
    assert leases["二"] > claimed_until["二"]
    assert [r.status for r in await _rows(ctx)] == ["sent", "sent"]


async def test_stopping_while_woken_really_stops(backend: Callable[..., Services]) -> None:
    # A shutdown that lands in the same loop step as a wake-up (a reply enqueued as the server
    # stops): the dispatcher must end, not swallow the cancel and poll forever (it did, with
    # asyncio.wait_for on Python 3.11, and a test teardown waited 180 s for it).
    ctx = await _ready(backend)
    dispatcher = Dispatcher(ctx.db, poll_seconds=0.05)
    for _ in range(20):
        dispatcher.start()
        task = dispatcher._task
        assert task is not None
        await asyncio.sleep(0.02)  # idle, waiting to be woken
        dispatcher.wake()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2)
        assert done, "the dispatcher went on after being cancelled"
