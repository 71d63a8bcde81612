"""`Database.run_sync`: a synchronous unit of work in one transaction (on SQLite, in the writer
thread), seen at once by the async sessions, and all or nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from core.outbox import NewMessage, OutboxMessage, insert_rows
from handlers import Services

TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]


async def _count(ctx: Services) -> int:
    async with ctx.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(TABLE))).scalar_one())


async def test_work_is_committed_and_seen_by_async_sessions(
    backend: Callable[..., Services],
) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    rows = [NewMessage("telegram", "1", {"text": "您好"}, f"k{i}") for i in range(3)]
    assert await ctx.db.run_sync(lambda conn: insert_rows(conn, rows)) == [True] * 3
    assert await _count(ctx) == 3
    async with ctx.db.session() as session:
        raw = (await session.execute(select(TABLE.c.payload, TABLE.c.payload_enc))).first()
        row = (await session.execute(select(OutboxMessage).limit(1))).scalar_one()
    assert row.payload == {"text": "您好"}  # written by the writer, read back by the engine
    assert raw is not None and raw.payload == {} and "您好" not in raw.payload_enc  # sealed
    # The same keys again: nothing new, and each row says so.
    assert await ctx.db.run_sync(lambda conn: insert_rows(conn, rows)) == [False] * 3


async def test_work_that_raises_leaves_nothing(backend: Callable[..., Services]) -> None:
    ctx = backend()
    await ctx.db.upgrade()

    def half_then_fail(conn: Connection) -> None:
        insert_rows(conn, [NewMessage("telegram", "1", {"text": "一"}, "first")])
        raise RuntimeError("the second half failed")

    with pytest.raises(RuntimeError):
        await ctx.db.run_sync(half_then_fail)
    assert await _count(ctx) == 0


async def test_a_closed_database_can_be_used_again(backend: Callable[..., Services]) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    row = [NewMessage("telegram", "1", {}, "a")]
    await ctx.db.run_sync(lambda conn: insert_rows(conn, row))
    await ctx.db.close()
    assert await ctx.db.run_sync(lambda conn: insert_rows(conn, row)) == [False]
