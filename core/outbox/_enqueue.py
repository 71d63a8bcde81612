"""Putting rows into the outbox, in the caller's transaction or a `Database.run_sync` unit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import Database
from ._model import NewMessage, OutboxMessage, OutboxStatus, utcnow
from ._seal import cipher_of, seal


async def enqueue(
    session: AsyncSession,
    kind: str,
    recipient: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
) -> bool:
    """Add a message in the caller's transaction; False when (kind, recipient, key) exists."""
    (added,) = await enqueue_many(session, [NewMessage(kind, recipient, payload, dedupe_key)])
    return added


async def enqueue_many(
    session: AsyncSession, rows: Sequence[NewMessage | tuple[Any, ...]]
) -> list[bool]:
    """`enqueue` for many rows in one statement (one round trip per few hundred rows instead of
    one each), in the caller's transaction. One bool per row, in order: False when its
    (kind, recipient, dedupe_key) already existed — in the table or earlier in `rows`."""
    if not rows:
        return []
    return await session.run_sync(lambda sync: insert_rows(sync.connection(), rows))


def insert_rows(conn: Connection, rows: Sequence[NewMessage | tuple[Any, ...]]) -> list[bool]:
    """`enqueue_many` on a synchronous connection, for `Database.run_sync` (the webhook's group
    commit writes its batches this way, in one hop to SQLite's writer thread)."""
    if not rows:
        return []
    now = utcnow()
    cipher = cipher_of(conn)
    values = []
    for row in rows:
        message = NewMessage(*row)
        values.append(
            {
                "kind": message.kind,
                "recipient": str(message.recipient),
                "dedupe_key": message.dedupe_key or uuid.uuid4().hex,
                "payload": {},  # the payload is stored sealed only (`_seal`)
                "payload_enc": seal(cipher, message.payload),
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            }
        )
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    # One statement with a list of parameter sets: SQLAlchemy compiles it once per process
    # (cached) and sends the rows as multi-row VALUES pages ("insertmanyvalues"); building a
    # `.values([...])` statement instead was compiled afresh for every batch, which cost more
    # than the write itself. RETURNING lists only the rows the conflict clause let in: that is
    # how each row's answer is known (a rowcount would only give a total).
    stmt = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["kind", "recipient", "dedupe_key"])
        .returning(table.c.kind, table.c.recipient, table.c.dedupe_key)
    )
    result = conn.execute(stmt, values)
    added = {(str(r[0]), str(r[1]), str(r[2])) for r in result.all()}
    answers = []
    for value in values:
        key = (value["kind"], value["recipient"], value["dedupe_key"])
        answers.append(key in added)
        added.discard(key)  # a repeat later in `rows` was skipped by the same conflict clause
    return answers


async def counts(db: Database) -> dict[str, int]:
    """Rows per status, for `yizhan outbox status` and health checks."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    async with db.session() as session:
        rows = (
            await session.execute(select(table.c.status, func.count()).group_by(table.c.status))
        ).all()
    return {str(row[0]): int(row[1]) for row in rows}
