"""`StationFinder`: the process's current station index, kept fresh.

Writers call `stations_changed()` after committing; it bumps a version number in the shared
store. Every process polls that number (a cheap GET, twice a second by default) and, when it
moved, reloads active stations from the database, builds a new index in a worker thread and swaps
it in with one assignment. Requests never wait for a rebuild and never see a half-built index.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

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


# What the index needs of a station, read as plain rows: hydrating ORM objects for a national
# set (200,000 stations) took ~10 s of event-loop time and ~500 MB per reload (bench/reload.py).
_COLUMNS = tuple(Station.__table__.c[name] for name in (  # type: ignore[attr-defined]
    "id", "code", "name", "address", "league", "county", "lat", "lng", "kind", "build_mode",
    "host_type", "opening_hours", "services", "most_beautiful", "smart_24h", "phone", "status",
    "area_m2",
))
_CHUNK = 2000  # rows per fetch: the event loop answers requests between chunks


def _records_of(rows: Iterable[Sequence[Any]], shared: dict[Any, Any]) -> list[StationRecord]:
    """Records for rows of `_COLUMNS`. Values many stations repeat (league, county, kind, hours,
    service lists, …) are kept once in `shared` instead of once per station."""
    one = shared.setdefault
    records = []
    for (sid, code, name, address, league, county, lat, lng, kind, build_mode, host_type,
         hours, services, beautiful, smart, phone, status, area) in rows:
        # Service lists come back as fresh JSON lists of fresh strings: keep each code once.
        offered = tuple([one(code, code) for code in services or ()])
        records.append(StationRecord(
            id=sid, code=code, name=name, address=address, league=one(league, league),
            county=one(county, county), point=Point(lat, lng), kind=one(kind, kind),
            build_mode=one(build_mode, build_mode), host_type=one(host_type, host_type),
            opening_hours=one(hours, hours), services=one(offered, offered),
            most_beautiful=beautiful, smart_24h=smart, phone=phone, status=one(status, status),
            area_m2=area,
        ))
    return records


_FREEZE_AT = 20_000  # stations: below this the collector's scans of the index cost little


class _Paused:
    freeze = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[_Paused]:
    """Keep Python's cyclic garbage collector out of a reload, and out of the new index after.

    Loading 200,000 stations allocates a few million tracked objects, which set off full
    collections that each scan the whole heap while holding the GIL: half the reload's time
    and stalls of ~300 ms for every request (bench/reload.py). Nothing here makes cycles, so
    the collector is paused (reference counting still frees everything). A large index is then
    frozen (`gc.freeze`: later collections skip every object alive now; freed objects are still
    freed by reference counting), so requests' own collections stop scanning it too. The cost:
    a cycle alive at that moment (an in-flight request's) is never collected; at a few reloads a
    day that is a few objects, not a leak that grows with traffic. Small sets (tests, a county)
    are not frozen.
    """
    paused = _Paused()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield paused
    finally:
        if paused.freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def _build(records: list[StationRecord]) -> tuple[StationIndex, dict[int, StationRecord]]:
    return StationIndex.build(records), {r.id: r for r in records}


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
            with _collector_paused() as paused:
                records: list[StationRecord] = []
                shared: dict[Any, Any] = {}
                query = select(*_COLUMNS).where(col(Station.status) != StationStatus.REVOKED)
                async with self._db.session() as session:
                    result = await session.stream(query.execution_options(yield_per=_CHUNK))
                    async for chunk in result.partitions():
                        records += _records_of(chunk, shared)
                started = time.perf_counter()
                index, by_id = await asyncio.to_thread(_build, records)
                self.last_build_seconds = time.perf_counter() - started
                # Freeing the old set here (a cascade of deallocations, one C call) is what the
                # remaining ~100 ms stall of a 200,000-station reload is (bench/reload.py).
                self._index, self._by_id = index, by_id
                paused.freeze = len(records) >= _FREEZE_AT
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
