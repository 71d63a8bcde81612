"""`core.outbox.enqueue_many`: many rows in one statement, with `enqueue`'s dedupe answer per
row — a key already in the table, or earlier in the same call, is skipped and reported False."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from core.outbox import NewMessage, OutboxMessage, enqueue, enqueue_many
from handlers import Services


async def _keys(ctx: Services) -> list[tuple[str, str, str]]:
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    async with ctx.db.session() as session:
        found = await session.execute(
            select(table.c.kind, table.c.recipient, table.c.dedupe_key).order_by(table.c.id)
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in found.all()]


async def test_each_row_answers_like_enqueue(backend: Callable[..., Services]) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    async with ctx.db.transaction() as session:
        assert await enqueue(session, "telegram", "1", {"text": "早"}, "a") is True
    async with ctx.db.transaction() as session:
        answers = await enqueue_many(
            session,
            [
                NewMessage("telegram", "1", {"text": "again"}, "a"),  # in the table already
                NewMessage("telegram", "1", {"text": "b"}, "b"),
                NewMessage("telegram", "2", {"text": "a for 2"}, "a"),  # another recipient
                NewMessage("wechat_text", "1", {"text": "a by wechat"}, "a"),  # another kind
                ("telegram", "1", {"text": "b twice"}, "b"),  # earlier in this call; a plain tuple
                NewMessage("telegram", "1", {"text": "no key"}),
                NewMessage("telegram", "1", {"text": "no key either"}),  # each gets its own key
            ],
        )
    assert answers == [False, True, True, True, False, True, True]
    keys = await _keys(ctx)
    assert keys[:4] == [
        ("telegram", "1", "a"),
        ("telegram", "1", "b"),
        ("telegram", "2", "a"),
        ("wechat_text", "1", "a"),
    ]
    assert len(keys) == 6
    async with ctx.db.session() as session:
        b = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.dedupe_key == "b"))
        ).scalar_one()  # type: ignore[arg-type]
    assert b.payload == {"text": "b"} and b.status == "pending" and b.attempts == 0


async def test_large_batches_and_rollback(backend: Callable[..., Services]) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    rows = [
        NewMessage("telegram", str(i % 1200 % 7), {"n": i}, f"k{i % 1200}") for i in range(1500)
    ]
    async with ctx.db.transaction() as session:
        answers = await enqueue_many(session, rows)
    assert answers == [i < 1200 for i in range(1500)]  # spans several statements
    assert len(await _keys(ctx)) == 1200
    try:
        async with ctx.db.transaction() as session:
            await enqueue_many(session, [NewMessage("telegram", "9", {}, "new")])
            raise RuntimeError("the caller's record failed")
    except RuntimeError:
        pass
    assert len(await _keys(ctx)) == 1200  # nothing without the caller's transaction
    async with ctx.db.transaction() as session:
        assert await enqueue_many(session, []) == []
