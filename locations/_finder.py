"""`StationFinder`: the process's current station index, kept fresh.

Writers call `stations_changed()` after committing; it bumps a version number in the shared
store. Every process polls that number (a cheap GET, twice a second by default) and, when it
moved, reloads active stations from the database, builds a new index in a worker thread and swaps
it in with one assignment. Requests never wait for a rebuild and never see a half-built index.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.store import Store, StoreError

from ._coords import Point
from ._index import Match, StationIndex, StationRecord
from ._models import Station, StationStatus

log = logging.getLogger(__name__)
VERSION_KEY = "locations:version"


def record_of(row: Station) -> StationRecord:
    return StationRecord(
        id=row.id or 0,
        code=row.code,
        name=row.name,
        address=row.address,
        league=row.league,
        county=row.county,
        point=Point(row.lat, row.lng),
        kind=row.kind,
        build_mode=row.build_mode,
        host_type=row.host_type,
        opening_hours=row.opening_hours,
        services=tuple(row.services or ()),
        most_beautiful=row.most_beautiful,
        smart_24h=row.smart_24h,
        phone=row.phone,
        status=row.status,
        area_m2=row.area_m2,
    )


class StationFinder:
    def __init__(self, db: Database, store: Store, clock: Clock, *, poll_seconds: float = 0.5):
        self._db, self._store, self._clock = db, store, clock
        self._poll = poll_seconds
        self._index = StationIndex.build([])
        self._by_id: dict[int, StationRecord] = {}
        self._version: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._reload_lock = asyncio.Lock()
        self.last_build_seconds = 0.0

    @property
    def index(self) -> StationIndex:
        return self._index

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._watch(), name="station-index-watch")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def reload(self) -> None:
        """Load stations from the database and swap in a freshly built index."""
        async with self._reload_lock:
            version = await self._current_version()
            async with self._db.session() as session:
                rows = (
                    (
                        await session.execute(
                            select(Station).where(col(Station.status) != StationStatus.REVOKED)
                        )
                    )
                    .scalars()
                    .all()
                )
            records = [record_of(r) for r in rows]
            started = time.perf_counter()
            index = await asyncio.to_thread(StationIndex.build, records)
            self.last_build_seconds = time.perf_counter() - started
            self._index, self._by_id = index, {r.id: r for r in records}
            self._version = version
            log.info("station index: %d active of %d listed", len(index), len(records))

    async def stations_changed(self) -> None:
        """Tell every process (this one included) that stations changed."""
        await self._store.incr(VERSION_KEY)
        await self.reload()

    async def _current_version(self) -> str | None:
        try:
            return await self._store.get(VERSION_KEY)
        except StoreError:
            return self._version

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            try:
                if await self._current_version() != self._version:
                    await self.reload()
            except Exception:  # keep serving the old index; try again next tick
                log.exception("station index refresh failed")

    def get(self, station_id: int) -> StationRecord | None:
        """A listed (active or suspended) station; revoked ones are gone."""
        return self._by_id.get(station_id)

    def nearest_open(
        self,
        point: Point,
        *,
        at: datetime | None = None,
        services: Collection[str] = (),
        limit: int = 5,
        max_distance: float | None = None,
        open_now: bool = True,
        demoted: Collection[int] = (),
    ) -> list[Match]:
        return self._index.nearest(
            point,
            at=at or self._clock.now(),
            services=services,
            limit=limit,
            max_distance_m=max_distance,
            open_now=open_now,
            demoted=demoted,
        )

    def soonest_opening(
        self, point: Point, *, at: datetime | None = None, services: Collection[str] = ()
    ) -> Match | None:
        return self._index.soonest_opening(point, at=at or self._clock.now(), services=services)
