"""The transactional outbox: messages to the outside world that must go out once and never be lost.

Public API
----------
- `enqueue(session, kind, recipient, payload, dedupe_key=None) -> bool`; for many rows at once
  `enqueue_many(session, [NewMessage(kind, recipient, payload, dedupe_key), …]) -> list[bool]`
  Call inside the caller's transaction (`async with db.transaction() as session:`), so the record
  the message is about and the message commit together or not at all. A row is unique per
  (kind, recipient, dedupe_key): enqueueing the same key again does nothing and returns False,
  which is how "no chat gets the same case twice" is kept. The dispatcher is nudged right after
  the caller commits when it runs in this process (`dispatcher.wake()`), otherwise within
  `poll_seconds`.
- `Dispatcher(db)`, `.register(kind, sender)`, `.start()` / `.stop()`, `.run_once()`, `.wake()`.
  A sender is `async def send(message: OutboxMessage) -> dict | None`; what it returns (e.g. the
  Telegram `message_id`) is stored in `OutboxMessage.result`. It raises
  `RetryLater(reason, retry_after=None)` for a failure worth retrying (network, 5xx, Telegram 429
  with `retry_after`) and `GiveUp(reason)` for one that will never succeed (chat not found); any
  other exception counts as retryable.
- `WORKER_KINDS`: the outbox kind that reaches a worker first on each channel ("telegram" →
  "telegram", the Official Account "wechat" → "wechat_text" (customer-service text, payload
  `{"text"}`), the "miniprogram" → "wechat_subscribe"); one table, so every domain that tells
  a worker something picks the same sender for the same channel.
- `dispatcher_of(context)`: the process's dispatcher (`context.components["outbox"]`), created
  on first use so every surface's `setup(app)` can register its senders on it.
- `setup(app)`: a surface that runs the dispatcher in the background for the app's lifetime.
- `yizhan outbox run` delivers until interrupted; `yizhan outbox status` counts rows by status.

Guarantees
----------
- One row is delivered by one dispatcher at a time: a claim sets `claimed_by` and a lease
  (`lease_until`). PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite (one writer at a time)
  with a conditional UPDATE that only succeeds while the row is still due. A row whose send
  begins more than a tenth of a lease after its claim (it queued behind the concurrency gate or
  a chat's rate limit) has its lease restarted first, and is skipped if another dispatcher took
  it over meanwhile.
- Stopping (`stop()`, SIGTERM) lets messages already on the wire finish and be recorded.
  A dispatcher killed mid-delivery leaves its rows "sending"; once the lease expires another
  dispatcher claims them again. The window between the remote side accepting a message and our
  commit of "sent" is the one place a duplicate can still happen (no chat API offers
  idempotency keys); it is a few milliseconds per message.
- A sent row keeps its `result`, not its payload: what went out (a staff card carries the
  worker's description and phone, a reply the worker's location) is blanked in the same
  UPDATE that marks it sent. Pending rows hold it, in plaintext, until then (seconds, unless
  the chat API is down); a dead row keeps it for staff to see what failed.
- Failures back off exponentially with full jitter (`base_delay * 2**attempts`, capped), each
  one recorded in `last_error`; a sender's `retry_after` is honoured for that row and holds the
  other due rows to the same recipient too (Telegram rate limits are per chat). After
  `max_attempts` a row is "dead" and stays visible for staff to inspect.

Times here are real UTC time, not `context.clock`: retry delays and leases are about the network
and processes, and must keep moving while tests freeze the business clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

import click
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import JSON, Column, DateTime, UniqueConstraint, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from .db import Database
from .logging import mask_pii

if TYPE_CHECKING:
    from aiohttp import web

    from .context import AppContext

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("kind", "recipient", "dedupe_key", name="uq_outbox_dedupe"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # which sender: "telegram", "wecom_robot", …
    recipient: str = Field(max_length=300)  # chat id, webhook key, openid, …
    dedupe_key: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False)
    )
    last_error: str = Field(default="", max_length=1000)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(AwareDateTime(), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(AwareDateTime(), nullable=True)
    )


class OutboxError(Exception):
    """Base of the outbox's exceptions."""


class RetryLater(OutboxError):
    """A delivery failed but may succeed later; `retry_after` seconds when the remote side said."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class GiveUp(OutboxError):
    """A delivery that will never succeed (unknown chat, revoked webhook): mark the row dead."""


Sender = Callable[[OutboxMessage], Awaitable[dict[str, Any] | None]]

# Each channel's user id is only valid for its own app: an Official Account openid means nothing
# to the mini-program's subscribe API, and the other way round.
WORKER_KINDS: dict[str, str] = {
    "telegram": "telegram", "wechat": "wechat_text", "miniprogram": "wechat_subscribe",
}


class NewMessage(NamedTuple):
    """One row for `enqueue_many`; a plain tuple `(kind, recipient, payload, key)` works too."""

    kind: str
    recipient: str
    payload: dict[str, Any]
    dedupe_key: str | None = None


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
    values = []
    for row in rows:
        message = NewMessage(*row)
        values.append({
            "kind": message.kind,
            "recipient": str(message.recipient),
            "dedupe_key": message.dedupe_key or uuid.uuid4().hex,
            "payload": message.payload,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
        })
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    # One statement with a list of parameter sets: SQLAlchemy compiles it once per process
    # (cached) and sends the rows as multi-row VALUES pages ("insertmanyvalues"); building a
    # `.values([...])` statement instead was compiled afresh for every batch, which cost more
    # than the write itself. RETURNING lists only the rows the conflict clause let in: that is
    # how each row's answer is known (a rowcount would only give a total).
    stmt = insert(table).on_conflict_do_nothing(
        index_elements=["kind", "recipient", "dedupe_key"]
    ).returning(table.c.kind, table.c.recipient, table.c.dedupe_key)
    result = conn.execute(stmt, values)
    added = {(str(r[0]), str(r[1]), str(r[2])) for r in result.all()}
    answers = []
    for value in values:
        key = (value["kind"], value["recipient"], value["dedupe_key"])
        answers.append(key in added)
        added.discard(key)  # a repeat later in `rows` was skipped by the same conflict clause
    return answers


class Dispatcher:
    def __init__(
        self,
        db: Database,
        *,
        owner: str | None = None,
        lease_seconds: float = 60.0,
        batch: int = 20,
        concurrency: int = 4,
        base_delay: float = 2.0,
        max_delay: float = 900.0,
        max_attempts: int = 25,
        poll_seconds: float = 1.0,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=lease_seconds)
        self.batch, self.concurrency = batch, concurrency
        self.base_delay, self.max_delay, self.max_attempts = base_delay, max_delay, max_attempts
        self.poll_seconds = poll_seconds
        self.now = now
        self.senders: dict[str, Sender] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Future[Any]] = set()
        self.delivered = 0
        self.failed = 0

    def register(self, kind: str, sender: Sender, *, replace: bool = True) -> None:
        if replace or kind not in self.senders:
            self.senders[kind] = sender

    def wake(self) -> None:
        """Look for due rows now (call after committing an enqueue)."""
        self._wake.set()

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run_forever(), name="outbox-dispatcher")

    async def stop(self, *, grace: float = 10.0) -> None:
        """Stop claiming; give deliveries in flight `grace` seconds to finish, then cut them."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._inflight:
            _done, pending = await asyncio.wait(set(self._inflight), timeout=grace)
            for batch in pending:
                batch.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def run_forever(self) -> None:
        while True:
            try:
                handled = await self.run_once()
            except Exception:  # the database blinked; keep the loop alive and try again
                log.exception("outbox: dispatch round failed")
                handled = 0
            if handled:
                continue  # there may be more due rows: go again without sleeping
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that
            # lands as the wait ends, and then stop() waits for this loop forever (seen as a
            # test teardown stalled with the loop idle).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def run_once(self) -> int:
        """Claim the due rows (up to `batch`) and deliver them; the number handled."""
        claimed = await self._claim()
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self.concurrency)

        async def one(message: OutboxMessage) -> None:
            async with gate:
                await self._deliver(message)

        # Shielded: stopping the loop lets messages already on the wire finish and be recorded
        # (a cancelled request may still have reached the chat; cancelling it would send twice).
        batch = asyncio.ensure_future(asyncio.gather(*(one(m) for m in claimed)))
        self._inflight.add(batch)
        batch.add_done_callback(self._inflight.discard)
        await asyncio.shield(batch)
        return len(claimed)

    async def drain(self, *, timeout: float = 30.0) -> None:
        """Deliver until nothing is due (tests and `outbox run --once`)."""
        async with asyncio.timeout(timeout):
            # Another dispatcher may have won the rows we looked at: stop only when none is due.
            while await self.run_once() or await self._has_due():
                await asyncio.sleep(0)

    async def _has_due(self) -> bool:
        if not self.senders:
            return False
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        async with self.db.session() as session:
            found = await session.execute(select(table.c.id).where(self._due(self.now())).limit(1))
            return found.first() is not None

    # -- claiming --------------------------------------------------------------------------

    def _due(self, now: datetime) -> Any:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        kinds = list(self.senders)
        return and_(
            table.c.kind.in_(kinds),
            or_(
                and_(table.c.status == OutboxStatus.PENDING, table.c.next_attempt_at <= now),
                # A dispatcher that died mid-delivery: its lease ran out.
                and_(table.c.status == OutboxStatus.SENDING, table.c.lease_until < now),
            ),
        )

    async def _claim(self) -> list[OutboxMessage]:
        if not self.senders:
            return []
        rows = await self.db.run_sync(self._claim_rows)
        return [OutboxMessage.model_validate(dict(r._mapping)) for r in rows]

    def _claim_rows(self, conn: Connection) -> Sequence[Row[Any]]:
        """One statement: the due rows' ids picked and claimed. PostgreSQL skips rows another
        dispatcher holds locked; SQLite has one writer at a time, so the UPDATE sees the rows
        as they are and a row another dispatcher took first is simply no longer due."""
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        now = self.now()
        picked = (select(table.c.id).where(self._due(now)).order_by(table.c.next_attempt_at)
                  .limit(self.batch))
        if conn.dialect.name == "postgresql":
            # No second condition outside: with one, the planner may re-run the locking
            # subquery per row and claim more (and other) rows than it picked.
            chosen = table.c.id.in_(picked.with_for_update(skip_locked=True))
        else:
            chosen = and_(table.c.id.in_(picked), self._due(now))
        claim = update(table).where(chosen).values(
            status=OutboxStatus.SENDING.value, claimed_by=self.owner,
            lease_until=now + self.lease, attempts=table.c.attempts + 1,
        ).returning(*table.c)
        return conn.execute(claim).all()

    # -- delivering ------------------------------------------------------------------------

    async def _deliver(self, message: OutboxMessage) -> None:
        sender = self.senders.get(message.kind)
        if not self._fresh(message) and not await self._renew_lease(message):
            return  # our claim ran out while the row queued here, and another dispatcher took it
        try:
            if sender is None:
                raise RetryLater(f"no sender for kind {message.kind!r} in this process")
            result = await sender(message)
        except GiveUp as exc:
            await self._finish_failed(message, str(exc), dead=True)
        except RetryLater as exc:
            await self._finish_failed(message, str(exc), retry_after=exc.retry_after)
        except Exception as exc:
            log.warning("outbox: %s to %s failed unexpectedly", message.kind,
                        mask_pii(message.recipient), exc_info=True)
            await self._finish_failed(message, f"{type(exc).__name__}: {exc}")
        else:
            await self._finish_sent(message, result)

    def _fresh(self, message: OutboxMessage) -> bool:
        """Claimed moments ago (under a tenth of the lease): nobody else can have taken the row,
        and its send starts with nine tenths of a lease ahead, so renewing would only cost a
        transaction — a third of a delivery's database work when rows go out as they come."""
        lease_until = message.lease_until
        return lease_until is not None and lease_until - self.now() >= self.lease * 0.9

    async def _renew_lease(self, message: OutboxMessage) -> bool:
        """Restart the lease as the send begins. A claimed row may wait behind the concurrency
        gate and a chat's rate limit longer than its lease; without this, another dispatcher
        could claim it meanwhile and both would send it."""
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        async with self.db.transaction() as session:
            renewed = await session.execute(
                update(table).where(self._mine(message)).values(lease_until=self.now() + self.lease)
            )
        return bool(renewed.rowcount)  # type: ignore[attr-defined]

    def _mine(self, message: OutboxMessage) -> Any:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        return and_(table.c.id == message.id, table.c.claimed_by == self.owner,
                    table.c.status == OutboxStatus.SENDING)

    async def _finish_sent(self, message: OutboxMessage, result: dict[str, Any] | None) -> None:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        sent = update(table).where(self._mine(message)).values(
            status=OutboxStatus.SENT.value, sent_at=self.now(), result=result, payload={},
            claimed_by=None, lease_until=None, last_error="",
        )
        await self.db.run_sync(lambda conn: conn.execute(sent))
        self.delivered += 1

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try: full jitter over an exponential ceiling."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempts - 1)))
        return random.uniform(ceiling / 2, ceiling)

    async def _finish_failed(
        self, message: OutboxMessage, error: str, *, retry_after: float | None = None,
        dead: bool = False,
    ) -> None:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        now = self.now()
        dead = dead or message.attempts >= self.max_attempts
        delay = retry_after if retry_after is not None else self.backoff(message.attempts)
        when = now + timedelta(seconds=delay)
        self.failed += 1
        log.info("outbox: %s #%s to %s failed (attempt %d): %s", message.kind, message.id,
                 mask_pii(message.recipient), message.attempts, mask_pii(error))
        async with self.db.transaction() as session:
            await session.execute(update(table).where(self._mine(message)).values(
                status=(OutboxStatus.DEAD if dead else OutboxStatus.PENDING).value,
                next_attempt_at=when, last_error=error[:1000], claimed_by=None, lease_until=None,
            ))
            if retry_after is not None and not dead:
                # The remote side throttles this recipient: hold its other waiting rows too.
                await session.execute(update(table).where(
                    table.c.kind == message.kind, table.c.recipient == message.recipient,
                    table.c.status == OutboxStatus.PENDING, table.c.next_attempt_at < when,
                ).values(next_attempt_at=when))


async def counts(db: Database) -> dict[str, int]:
    """Rows per status, for `yizhan outbox status` and health checks."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    async with db.session() as session:
        rows = (await session.execute(
            select(table.c.status, func.count()).group_by(table.c.status)
        )).all()
    return {str(row[0]): int(row[1]) for row in rows}


class OutboxSettings(BaseSettings):
    """Tuning from the environment: OUTBOX_LEASE_SECONDS, OUTBOX_BASE_DELAY, …"""

    model_config = SettingsConfigDict(env_prefix="OUTBOX_", env_file=".env", extra="ignore")

    lease_seconds: float = 60.0  # well above a sender's HTTP timeout (10 s)
    base_delay: float = 2.0
    max_delay: float = 900.0
    max_attempts: int = 25
    poll_seconds: float = 1.0


def dispatcher_of(context: AppContext) -> Dispatcher:
    """The process's dispatcher; created on first use so surfaces can register senders."""
    dispatcher: Dispatcher | None = context.components.get("outbox")
    if dispatcher is None:
        tuning = OutboxSettings()
        dispatcher = Dispatcher(
            context.db, lease_seconds=tuning.lease_seconds, base_delay=tuning.base_delay,
            max_delay=tuning.max_delay, max_attempts=tuning.max_attempts,
            poll_seconds=tuning.poll_seconds,
        )
        context.components["outbox"] = dispatcher
    return dispatcher


def setup(app: web.Application) -> None:
    """Surface: run the dispatcher while the app runs (after the schema upgrade)."""
    from .context import CONTEXT

    async def running(app: web.Application) -> AsyncIterator[None]:
        dispatcher = dispatcher_of(app[CONTEXT])
        dispatcher.start()
        yield
        await dispatcher.stop()

    app.cleanup_ctx.append(running)


# -- CLI: `yizhan outbox run|status` -------------------------------------------------------------


@click.group()
def outbox() -> None:
    """Messages waiting to go out (staff chats, worker notifications)."""


@outbox.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
def outbox_run(once: bool) -> None:
    """Deliver outbox messages until interrupted (`yizhan serve` does this too)."""
    from .app import create_app
    from .context import AppContext
    from .settings import get_settings

    async def run() -> None:
        context = AppContext.from_settings(get_settings())
        create_app(context)  # every surface registers its senders on the dispatcher
        await context.db.upgrade()
        dispatcher = dispatcher_of(context)
        try:
            if once:
                await dispatcher.drain(timeout=600)
            else:
                await dispatcher.run_forever()
        finally:
            await context.close()
        click.echo(f"已发送 {dispatcher.delivered} 条，失败 {dispatcher.failed} 次。")

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())

@outbox.command("status")
def outbox_status() -> None:
    """Count outbox messages by status."""
    from .context import AppContext
    from .settings import get_settings

    async def run() -> dict[str, int]:
        context = AppContext.from_settings(get_settings())
        try:
            return await counts(context.db)
        finally:
            await context.close()

    found = asyncio.run(run())
    labels = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "dead": "已放弃"}
    for status, label in labels.items():
        click.echo(f"{label}：{found.get(status, 0)}")
