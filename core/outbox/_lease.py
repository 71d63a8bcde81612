"""Keeping a claim while its send runs, so a send never outlives its claim.

A send (a Bot API call sleeping through 429s) may take longer than a lease, and a claimed row
may wait behind the concurrency gate and its chat's rate limit longer than one too; meanwhile
another dispatcher must not claim the row, or both would send it. So the lease is restarted as
a queued send begins and every third of a lease while it runs; when it cannot be kept (the row
was taken over, or the database stays unreachable until the lease nearly ends) the send is
cancelled before the lease runs out (`ClaimLost`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..db import Database
from ._claims import renew_lease
from ._model import OutboxMessage, RetryLater, Sender

log = logging.getLogger(__name__)


class ClaimLost(Exception):
    """This dispatcher no longer holds the row it is sending (internal)."""


class ClaimKeeper:
    """The claims of one dispatcher (`owner`), each `lease` long."""

    def __init__(
        self, db: Database, owner: str, lease: timedelta, now: Callable[[], datetime]
    ) -> None:
        self.db, self.owner, self.lease, self.now = db, owner, lease, now

    async def send_holding(
        self, sender: Sender, message: OutboxMessage, *, timeout: float
    ) -> dict[str, Any] | None:
        """`sender(message)` with the claim kept while it runs; a send still running after
        `timeout` seconds is cut (`RetryLater`: tried again later)."""
        loop = asyncio.get_running_loop()
        beat = self.lease.total_seconds() / 3
        deadline = loop.time() + timeout
        send = asyncio.ensure_future(sender(message))
        try:
            while True:
                await asyncio.wait({send}, timeout=max(0.0, min(beat, deadline - loop.time())))
                if send.done():
                    return send.result()
                if loop.time() >= deadline:
                    raise RetryLater(f"发送超时（{timeout:.0f} 秒）")
                await self.keep(message)
        finally:
            if not send.done():
                send.cancel()
                await asyncio.wait({send})

    async def keep(self, message: OutboxMessage) -> None:
        """Renew the lease, or raise `ClaimLost` when the send must stop."""
        try:
            renewed = await self.renew(message)
        except Exception as exc:  # the database blinked: go on while the lease still holds
            left = (message.lease_until or self.now()) - self.now()
            if left > self.lease / 3:
                log.info("outbox: could not renew the lease of #%s: %s", message.id, exc)
                return
            raise ClaimLost("the lease could not be renewed before it ran out") from exc
        if not renewed:
            raise ClaimLost("another dispatcher took the row over")

    def fresh(self, message: OutboxMessage) -> bool:
        """Claimed moments ago (under a tenth of the lease): nobody else can have taken the row,
        and its send starts with nine tenths of a lease ahead, so renewing would only cost a
        transaction — a third of a delivery's database work when rows go out as they come."""
        lease_until = message.lease_until
        return lease_until is not None and lease_until - self.now() >= self.lease * 0.9

    async def renew(self, message: OutboxMessage) -> bool:
        """Restart the lease; False when the row is no longer under this claim."""
        until = self.now() + self.lease
        async with self.db.transaction() as session:
            renewed = await session.execute(renew_lease(message, self.owner, until))
        if renewed.rowcount:  # type: ignore[attr-defined]
            message.lease_until = until
        return bool(renewed.rowcount)  # type: ignore[attr-defined]
