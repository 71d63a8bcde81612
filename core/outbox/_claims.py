"""The outbox rows a dispatcher may take, the statement that takes them, and every statement
it writes about them afterwards.

A claim sets `claimed_by`, a lease (`lease_until`) and adds one to `attempts`; that count is
the claim's fencing token (`held_by`): whatever a dispatcher writes about a row afterwards
(lease renewed, sent, failed, given back) only lands while the row is still under that same
claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, and_, bindparam, or_, select, tuple_, update
from sqlalchemy.engine import Connection

from ._model import OutboxMessage, OutboxStatus

TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]

Recipient = tuple[str, str]  # (kind, recipient): one chat on one channel


def due_rows(kinds: Sequence[str], now: datetime) -> Any:
    """Rows of these kinds that are waiting, or whose claim ran out (a dispatcher died)."""
    return and_(
        TABLE.c.kind.in_(kinds),
        or_(
            and_(TABLE.c.status == OutboxStatus.PENDING, TABLE.c.next_attempt_at <= now),
            and_(TABLE.c.status == OutboxStatus.SENDING, TABLE.c.lease_until < now),
        ),
    )


def held_by(message: OutboxMessage, owner: str) -> Any:
    """The row as this claim left it: a row claimed again since (even by the same dispatcher)
    has one more attempt and no longer matches."""
    return and_(
        TABLE.c.id == message.id,
        TABLE.c.claimed_by == owner,
        TABLE.c.status == OutboxStatus.SENDING,
        TABLE.c.attempts == message.attempts,
    )


# `held_by` as one prebuilt statement for the hot path (a row marked sent): built once, so each
# delivery only binds values instead of building and hashing a new expression.
_HELD = and_(
    TABLE.c.id == bindparam("held_id"),
    TABLE.c.claimed_by == bindparam("held_owner"),
    TABLE.c.status == OutboxStatus.SENDING.value,
    TABLE.c.attempts == bindparam("held_attempts"),
)
MARK_SENT = (
    update(TABLE)
    .where(_HELD)
    .values(
        status=OutboxStatus.SENT.value,
        sent_at=bindparam("mark_sent_at", type_=TABLE.c.sent_at.type),
        result=bindparam("mark_result", type_=TABLE.c.result.type),
        payload={},
        payload_enc="",
        claimed_by=None,
        lease_until=None,
        last_error="",
    )
)


def held_params(message: OutboxMessage, owner: str) -> dict[str, Any]:
    """The bound values of `_HELD` for this claim."""
    return {"held_id": message.id, "held_owner": owner, "held_attempts": message.attempts}


def claim_rows(
    conn: Connection,
    *,
    owner: str,
    kinds: Sequence[str],
    now: datetime,
    lease: timedelta,
    limit: int,
    busy: Sequence[Recipient] = (),
) -> list[OutboxMessage]:
    """One statement: up to `limit` due rows picked and claimed, oldest first, none to a
    recipient in `busy` (its rows wait their turn behind the one already on its way out).

    PostgreSQL skips rows another dispatcher holds locked; SQLite has one writer at a time, so
    the UPDATE sees the rows as they are and a row another dispatcher took first is simply no
    longer due."""
    due = due_rows(kinds, now)
    if busy:
        # One expanding parameter, so the statement compiles once whatever the number of busy
        # recipients (an OR of pairs was a new statement, compiled afresh, at every size).
        due = and_(due, tuple_(TABLE.c.kind, TABLE.c.recipient).not_in(list(busy)))
    picked = select(TABLE.c.id).where(due).order_by(TABLE.c.next_attempt_at, TABLE.c.id)
    picked = picked.limit(limit)
    if conn.dialect.name == "postgresql":
        # The locking subquery alone: with the due condition repeated outside it,
        # PostgreSQL claimed a row the LIMITed subquery had not picked (caught by
        # test_retry_after_is_honoured_for_the_whole_recipient).
        chosen = TABLE.c.id.in_(picked.with_for_update(skip_locked=True))
    else:
        chosen = and_(TABLE.c.id.in_(picked), due_rows(kinds, now))
    claim = (
        update(TABLE)
        .where(chosen)
        .values(
            status=OutboxStatus.SENDING.value,
            claimed_by=owner,
            lease_until=now + lease,
            attempts=TABLE.c.attempts + 1,
        )
        .returning(*TABLE.c)
    )
    rows = [OutboxMessage.model_validate(dict(r._mapping)) for r in conn.execute(claim)]
    # In the order they were queued: rows to one chat take their turns in that order
    # (RETURNING promises no order).
    return sorted(rows, key=lambda m: m.id or 0)


def renew_lease(message: OutboxMessage, owner: str, until: datetime) -> Update:
    return update(TABLE).where(held_by(message, owner)).values(lease_until=until)


def give_back(message: OutboxMessage, owner: str, when: datetime) -> Update:
    """The row waits again until `when`, its claim not counted as an attempt."""
    return (
        update(TABLE)
        .where(held_by(message, owner))
        .values(
            status=OutboxStatus.PENDING.value,
            next_attempt_at=when,
            attempts=TABLE.c.attempts - 1,
            claimed_by=None,
            lease_until=None,
        )
    )


def mark_failed(
    message: OutboxMessage, owner: str, *, when: datetime, error: str, dead: bool
) -> Update:
    """The attempt failed: the row waits until `when`, or is dead, with `error` kept."""
    return (
        update(TABLE)
        .where(held_by(message, owner))
        .values(
            status=(OutboxStatus.DEAD if dead else OutboxStatus.PENDING).value,
            next_attempt_at=when,
            last_error=error[:1000],
            claimed_by=None,
            lease_until=None,
        )
    )


def hold_recipient(recipient: Recipient, until: datetime) -> Update:
    """The recipient's other waiting rows wait until `until` too (the remote side throttles
    the recipient, not the row)."""
    kind, address = recipient
    return (
        update(TABLE)
        .where(
            TABLE.c.kind == kind,
            TABLE.c.recipient == address,
            TABLE.c.status == OutboxStatus.PENDING,
            TABLE.c.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
    )


def blank_dead(before: datetime) -> Update:
    """Drop the contents of dead rows whose last attempt was before `before`; the row stays."""
    return (
        update(TABLE)
        .where(
            TABLE.c.status == OutboxStatus.DEAD.value,
            TABLE.c.next_attempt_at < before,
            TABLE.c.payload_enc != "",
        )
        .values(payload={}, payload_enc="")
    )
