"""What a dispatcher tidies between rounds: the contents of dead rows dropped after the
retention, and SQLite's write-ahead log emptied, where old versions of rows (a staff card as it
was before being blanked) would otherwise linger."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from ..db import Database
from ._claims import blank_dead

log = logging.getLogger(__name__)

PURGE_EVERY = 3600.0  # seconds between purges of dead rows


class Housekeeping:
    def __init__(
        self,
        db: Database,
        *,
        retention: timedelta,
        checkpoint_seconds: float,
        now: Callable[[], datetime],
    ) -> None:
        self.db, self.retention, self.now = db, retention, now
        self.checkpoint_seconds = checkpoint_seconds
        self._checkpointed_at = (0.0, 0)  # (loop time, rows marked by then)
        self._purged_at: float | None = None

    def marked_since_checkpoint(self, marked: int) -> bool:
        return marked != self._checkpointed_at[1]

    async def run(self, marked: int, *, force: bool = False) -> None:
        """Purge once an hour; then, and at most every `checkpoint_seconds` while rows are
        being marked (`marked`: how many this dispatcher has marked so far), checkpoint."""
        now = asyncio.get_running_loop().time()
        purged = 0
        if force or self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            purged = await self.purge_dead()
        last_time, last_marked = self._checkpointed_at
        if purged or (
            (force or now - last_time >= self.checkpoint_seconds) and marked != last_marked
        ):
            self._checkpointed_at = (now, marked)
            await self.db.checkpoint()

    async def purge_dead(self) -> int:
        """Blank dead rows whose last attempt is older than the retention; how many. The row
        stays, so its dedupe key still stops the same message; `last_error` says what failed."""
        purge = blank_dead(self.now() - self.retention)
        purged = int(await self.db.run_sync(lambda conn: conn.execute(purge).rowcount))
        if purged:
            log.info("outbox: contents of %d dead messages dropped (retention)", purged)
        return purged
