"""`Dispatcher`: claims due rows, hands them to their kind's sender, records the outcome.

The statements it runs are in `_claims`; keeping a claim while a send runs in `_lease`; the
tidying between rounds (dead rows' contents, SQLite's log) in `_housekeeping`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..db import Database
from ..logging import mask_pii
from ..pii import PiiCipher, PiiError, cipher_for
from ..settings import get_settings
from ._claims import (
    MARK_SENT,
    Recipient,
    claim_rows,
    due_rows,
    give_back,
    held_params,
    hold_recipient,
    mark_failed,
)
from ._housekeeping import Housekeeping
from ._lease import ClaimKeeper, ClaimLost
from ._model import GiveUp, OutboxMessage, RetryLater, Sender, utcnow
from ._seal import opened

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
        concurrency: int = 48,
        base_delay: float = 2.0,
        max_delay: float = 900.0,
        max_attempts: int = 25,
        poll_seconds: float = 1.0,
        send_timeout: float = 300.0,
        dead_retention_days: float = 30.0,
        checkpoint_seconds: float = 30.0,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=lease_seconds)
        # This dispatcher's claims kept while their sends run (see `_lease`).
        self.claims = ClaimKeeper(db, self.owner, self.lease, now)
        self.batch, self.concurrency = batch, concurrency
        self.base_delay, self.max_delay, self.max_attempts = base_delay, max_delay, max_attempts
        self.poll_seconds, self.send_timeout = poll_seconds, send_timeout
        self.now = now
        self.senders: dict[str, Sender] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Claimed rows on their way out (queued or sending), each in a task of its own, and
        # how many of them each recipient has: a recipient with one here is not claimed for
        # again, and its rows here go one after another (in order, never two at once).
        self._inflight: set[asyncio.Task[None]] = set()
        self._busy: dict[Recipient, int] = {}
        self._turns: dict[Recipient, asyncio.Lock] = {}
        # Recipients the remote side asked us to leave alone (retry_after), until when.
        self._held: dict[Recipient, datetime] = {}
        self._slots = asyncio.Semaphore(concurrency)
        # Sends actually on the wire (holding a slot); the claim counts these, not rows waiting
        # for their chat's turn, so a chat that hangs costs one slot and nothing more.
        self._on_wire = 0
        # The last claim found as many rows as it asked for: there may be more, so a finished
        # delivery that leaves the ready queue low claims again at once. Otherwise the next
        # claim waits for `wake()` (an enqueue here) or the poll.
        self._more = False
        self.delivered = 0
        self.failed = 0
        # Housekeeping (see `housekeep`): dead rows' contents dropped after the retention, and
        # SQLite's write-ahead log emptied at most every `checkpoint_seconds` after writes.
        self.housekeeping = Housekeeping(
            db,
            retention=timedelta(days=dead_retention_days),
            checkpoint_seconds=checkpoint_seconds,
            now=now,
        )

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
            send_timeout=settings.outbox_send_timeout,
            dead_retention_days=settings.outbox_dead_retention_days,
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
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.housekeeping.marked_since_checkpoint(self.delivered + self.failed):
            try:  # leave no old row versions in SQLite's write-ahead log
                await self.housekeep(force=True)
            except Exception:
                log.warning("outbox: final checkpoint failed", exc_info=True)

    async def run_forever(self) -> None:
        """Keep claiming while there is room; each row goes out in a task of its own, so a chat
        that hangs holds one slot, not the rows of every other chat behind it."""
        while True:
            try:
                handled = await self._fill()
            except Exception:  # the database blinked; keep the loop alive and try again
                log.exception("outbox: dispatch round failed")
                handled = 0
            if handled and self._more:
                continue  # there may be more due rows: go again without sleeping
            try:
                await self.housekeep()
            except Exception:
                log.exception("outbox: housekeeping failed")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that
            # lands as the wait ends, and then stop() waits for this loop forever (seen as a
            # test teardown stalled with the loop idle). A finished delivery wakes us too.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def housekeep(self, *, force: bool = False) -> None:
        """Dead rows' contents dropped after the retention, SQLite's log emptied (see
        `_housekeeping`); `force`: both now."""
        await self.housekeeping.run(self.delivered + self.failed, force=force)

    def _claim_size(self) -> int:
        """How many rows to claim now (0: not yet). Rows are claimed in batches, only for
        recipients with nothing here (`claim_rows` skips busy ones), and only sends on the
        wire are counted against the slots: recipients whose first row waits for a slot are
        the ready queue. It is refilled when it runs short of the free slots or falls to half
        a batch, so a claim brings about `batch` rows, not one per finished delivery (one
        claim per delivery cost ~4x the CPU of the delivery itself)."""
        free = self.concurrency - self._on_wire
        ready = len(self._busy) - self._on_wire  # recipients waiting for a slot
        if ready >= free and ready > self.batch // 2:
            return 0
        return self.batch

    async def _fill(self) -> int:
        limit = self._claim_size()
        if not limit:
            return 0
        claimed = await self._claim(limit=limit)
        self._more = len(claimed) >= limit
        for message in claimed:
            self._spawn(message)
        return len(claimed)

    async def run_once(self) -> int:
        """Claim the due rows (up to `batch`) and deliver them; the number handled."""
        claimed = await self._claim()
        if claimed:
            # asyncio.wait, not gather: a cancelled caller must not cancel sends on the wire
            # (a cancelled request may still have reached the chat; cancelling would send twice).
            await asyncio.wait([self._spawn(m) for m in claimed])
        return len(claimed)

    def _spawn(self, message: OutboxMessage) -> asyncio.Task[None]:
        key = (message.kind, message.recipient)
        self._busy[key] = self._busy.get(key, 0) + 1
        task = asyncio.create_task(self._deliver_in_turn(message), name=f"outbox-{message.id}")
        self._inflight.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._inflight.discard(task)
            self._busy[key] -= 1
            if not self._busy[key]:  # nothing of this chat is left here
                del self._busy[key]
                self._turns.pop(key, None)  # absent when cancelled before it ever ran
                self._held.pop(key, None)
            if self._more and self._claim_size():  # more are due and the ready queue is low
                self._wake.set()

        task.add_done_callback(done)
        return task

    async def _deliver_in_turn(self, message: OutboxMessage) -> None:
        # The recipient's turn first, then a slot: rows waiting for their chat hold no slot.
        turn = self._turns.setdefault((message.kind, message.recipient), asyncio.Lock())
        async with turn, self._slots:
            self._on_wire += 1
            try:
                await self._deliver(message)
            finally:
                self._on_wire -= 1

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
            due = due_rows(list(self.senders), self.now())
            found = await session.execute(select(table.c.id).where(due).limit(1))
            return found.first() is not None

    # -- claiming --------------------------------------------------------------------------

    async def _claim(self, limit: int | None = None) -> list[OutboxMessage]:
        if not self.senders:
            return []
        claim = partial(
            claim_rows,
            owner=self.owner,
            kinds=list(self.senders),
            now=self.now(),
            lease=self.lease,
            limit=limit or self.batch,
            busy=list(self._busy),
        )
        claimed, readable = await self.db.run_sync(claim), []
        for message in claimed:
            try:
                message.payload = opened(self._cipher(), message.payload_enc)
            except PiiError as exc:  # the key that sealed it is missing: keep it for later
                await self._finish_failed(message, str(exc))
            else:
                readable.append(message)
        return readable

    # -- delivering ------------------------------------------------------------------------

    async def _deliver(self, message: OutboxMessage) -> None:
        sender = self.senders.get(message.kind)
        if not self.claims.fresh(message) and not await self.claims.renew(message):
            return  # our claim ran out while the row queued here, and another dispatcher took it
        held = self._held.get((message.kind, message.recipient))
        if held is not None and held > self.now():
            # An earlier row to this chat was told to wait (retry_after): this one waits too
            # rather than asking again at once, and the claim does not count as an attempt.
            await self._release(message, held)
            return
        try:
            if sender is None:
                raise RetryLater(f"no sender for kind {message.kind!r} in this process")
            result = await self.claims.send_holding(sender, message, timeout=self.send_timeout)
        except ClaimLost as exc:
            log.warning(
                "outbox: %s #%s to %s stopped: %s",
                message.kind,
                message.id,
                mask_pii(message.recipient),
                exc,
            )
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

    def _fenced(self, message: OutboxMessage, outcome: str, rowcount: int) -> None:
        if not rowcount:
            log.warning(
                "outbox: %s #%s to %s %s, but its claim had passed on; outcome not recorded",
                message.kind,
                message.id,
                mask_pii(message.recipient),
                outcome,
            )

    async def _finish_sent(self, message: OutboxMessage, result: dict[str, Any] | None) -> None:
        # Fenced by the claim, not by the clock: a lease that ran out a moment ago with nobody
        # having claimed the row since still marks it sent (marking nothing would send twice).
        # What went out is blanked in the same statement (see the package doc).
        params = {
            **held_params(message, self.owner),
            "mark_sent_at": self.now(),
            "mark_result": result,
        }
        marked = await self.db.run_sync(lambda conn: conn.execute(MARK_SENT, params).rowcount)
        self._fenced(message, "was sent", marked)
        self.delivered += 1

    async def _release(self, message: OutboxMessage, when: datetime) -> None:
        async with self.db.transaction() as session:
            await session.execute(give_back(message, self.owner, when))

    def _cipher(self) -> PiiCipher:
        return self.db.cipher if self.db.cipher is not None else cipher_for(get_settings())

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
        if retry_after is not None and not dead:
            self._held[(message.kind, message.recipient)] = when
        failed = mark_failed(message, self.owner, when=when, error=error, dead=dead)
        async with self.db.transaction() as session:
            recorded = await session.execute(failed)
            if retry_after is not None and not dead:
                # The remote side throttles this recipient: hold its other waiting rows too.
                await session.execute(hold_recipient((message.kind, message.recipient), when))
        self._fenced(message, "failed", recorded.rowcount)  # type: ignore[attr-defined]
