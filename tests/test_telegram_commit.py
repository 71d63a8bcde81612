"""Group commit of replies into the outbox: concurrent updates share a transaction, each answer
waits for its own rows, duplicates are still skipped, one bad row does not sink the others."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from bot.telegram._commit import GroupCommit
from core.outbox import OutboxMessage
from handlers import Services


async def _rows(ctx: Services) -> list[tuple[str, str]]:
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    async with ctx.db.session() as session:
        found = await session.execute(select(table.c.recipient, table.c.dedupe_key))
        return sorted((str(r[0]), str(r[1])) for r in found.all())


async def test_concurrent_rows_are_committed_together_and_deduplicated(
    backend: Callable[..., Services],
) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    commits = GroupCommit(ctx.db)
    transactions = 0
    real = ctx.db.run_sync

    def counting(work: Any) -> Any:
        nonlocal transactions
        transactions += 1
        return real(work)

    ctx.db.run_sync = counting  # type: ignore[method-assign]
    payload = {"calls": [{"method": "sendMessage", "params": {"chat_id": "1", "text": "好"}}]}
    keys = [f"update:{i % 40}" for i in range(60)]  # 20 duplicates among 60
    results = await asyncio.gather(*(commits.add("telegram", "1", payload, k) for k in keys))
    # Each add answers like `enqueue`: True for the first of a key, False for its repeats.
    assert results == [i < 40 for i in range(60)]
    rows = await _rows(ctx)
    assert rows == sorted(("1", f"update:{i}") for i in range(40))
    assert 0 < transactions < 10  # not one per row
    # Rows queued after the flush are committed too (the flusher restarts).
    assert await commits.add("telegram", "1", payload, "update:late") is True
    assert ("1", "update:late") in await _rows(ctx)


async def test_a_bad_row_fails_alone(backend: Callable[..., Services]) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    commits = GroupCommit(ctx.db)
    good: dict[str, Any] = {"calls": []}
    bad = {"calls": [object()]}  # not JSON-serialisable: the database write fails
    outcomes = await asyncio.gather(
        commits.add("telegram", "1", good, "a"),
        commits.add("telegram", "1", bad, "b"),
        commits.add("telegram", "2", good, "c"),
        return_exceptions=True,
    )
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], Exception)
    async with ctx.db.session() as session:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        count = (await session.execute(select(func.count()).select_from(table))).scalar_one()
    assert count == 2
