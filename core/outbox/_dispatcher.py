"""`Dispatcher`: claims due rows, hands them to their kind's sender, records the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection, Row

from ..db import Database
from ..logging import mask_pii
from ._model import GiveUp, OutboxMessage, OutboxStatus, RetryLater, Sender, utcnow

if TYPE_CHECKING:
    from ..settings import Settings

log = logging.getLogger(__name__)


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

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> Dispatcher:
        """A dispatcher tuned by the OUTBOX_* settings."""
        return cls(
            db,
            lease_seconds=settings.outbox_lease_seconds,
            base_delay=settings.outbox_base_delay,
            max_delay=settings.outbox_max_delay,
            max_attempts=settings.outbox_max_attempts,
            poll_seconds=settings.outbox_poll_seconds,
            concurrency=settings.outbox_concurrency,
        )

    def register(self, kind: str, sender: Sender) -> None:
        """Deliver rows of `kind` with `sender`. Done once per kind, by the composition root
        (`yizhan.wiring`): a second sender for a kind is a wiring mistake, not an override."""
        if kind in self.senders:
            raise ValueError(f"outbox: a sender for {kind!r} is already registered")
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
        picked = (
            select(table.c.id)
            .where(self._due(now))
            .order_by(table.c.next_attempt_at)
            .limit(self.batch)
        )
        if conn.dialect.name == "postgresql":
            # The locking subquery alone: with the due condition repeated outside it,
            # PostgreSQL claimed a row the LIMITed subquery had not picked (caught by
            # test_retry_after_is_honoured_for_the_whole_recipient).
            chosen = table.c.id.in_(picked.with_for_update(skip_locked=True))
        else:
            chosen = and_(table.c.id.in_(picked), self._due(now))
        claim = (
            update(table)
            .where(chosen)
            .values(
                status=OutboxStatus.SENDING.value,
                claimed_by=self.owner,
                lease_until=now + self.lease,
                attempts=table.c.attempts + 1,
            )
            .returning(*table.c)
        )
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
            log.warning(
                "outbox: %s to %s failed unexpectedly",
                message.kind,
                mask_pii(message.recipient),
                exc_info=True,
            )
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
        return and_(
            table.c.id == message.id,
            table.c.claimed_by == self.owner,
            table.c.status == OutboxStatus.SENDING,
        )

    async def _finish_sent(self, message: OutboxMessage, result: dict[str, Any] | None) -> None:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        sent = (
            update(table)
            .where(self._mine(message))
            .values(
                status=OutboxStatus.SENT.value,
                sent_at=self.now(),
                result=result,
                payload={},
                claimed_by=None,
                lease_until=None,
                last_error="",
            )
        )
        await self.db.run_sync(lambda conn: conn.execute(sent))
        self.delivered += 1

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try: full jitter over an exponential ceiling."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempts - 1)))
        return random.uniform(ceiling / 2, ceiling)

    async def _finish_failed(
        self,
        message: OutboxMessage,
        error: str,
        *,
        retry_after: float | None = None,
        dead: bool = False,
    ) -> None:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        now = self.now()
        dead = dead or message.attempts >= self.max_attempts
        delay = retry_after if retry_after is not None else self.backoff(message.attempts)
        when = now + timedelta(seconds=delay)
        self.failed += 1
        log.info(
            "outbox: %s #%s to %s failed (attempt %d): %s",
            message.kind,
            message.id,
            mask_pii(message.recipient),
            message.attempts,
            mask_pii(error),
        )
        async with self.db.transaction() as session:
            await session.execute(
                update(table)
                .where(self._mine(message))
                .values(
                    status=(OutboxStatus.DEAD if dead else OutboxStatus.PENDING).value,
                    next_attempt_at=when,
                    last_error=error[:1000],
                    claimed_by=None,
                    lease_until=None,
                )
            )
            if retry_after is not None and not dead:
                # The remote side throttles this recipient: hold its other waiting rows too.
                await session.execute(
                    update(table)
                    .where(
                        table.c.kind == message.kind,
                        table.c.recipient == message.recipient,
                        table.c.status == OutboxStatus.PENDING,
                        table.c.next_attempt_at < when,
                    )
                    .values(next_attempt_at=when)
                )
