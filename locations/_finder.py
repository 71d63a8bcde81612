"""`StationFinder`: the process's current station index, kept fresh.

Writers call `stations_changed()` (or, without a finder, `signal_stations_changed(db, store)`)
after committing; it bumps a version number in the shared store and, on SQLite, a generation
file beside the database (`Database.bump_generation`: each process's in-process store is its
own, so a CLI import or revoke reaches a running server only that way). Every process polls
both (a cheap GET and a few-byte read, twice a second by default) and, when either
moved, reloads active stations from the database, builds a new index in a worker thread and swaps
it in with one assignment. Requests never wait for a rebuild and never see a half-built index.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Collection, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.store import Store, StoreError

from ._columns import ColumnsBuilder, StationColumns
from ._coords import Point
from ._index import Match, StationIndex
from ._models import Station, StationStatus
from ._record import StationRecord

log = logging.getLogger(__name__)
VERSION_KEY = "locations:version"
GENERATION = "stations"  # the database's generation file for station changes


# What the index needs of a station, read as plain rows: hydrating ORM objects for a national
# set (200,000 stations) took ~10 s of event-loop time and ~500 MB per reload (bench/reload.py).
_COLUMNS = tuple(
    Station.__table__.c[name]  # type: ignore[attr-defined]
    for name in (
        "id",
        "code",
        "name",
        "address",
        "league",
        "county",
        "lat",
        "lng",
        "kind",
        "build_mode",
        "host_type",
        "opening_hours",
        "services",
        "most_beautiful",
        "smart_24h",
        "phone",
        "status",
        "area_m2",
        "opening_hours_text",
        "extras",
        "hours_known",
        "owner_union",
    )
)
_CHUNK = 2000  # rows per fetch: the event loop answers requests between chunks


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
            _give_back_freed_memory()
        if was_enabled:
            gc.enable()


def _give_back_freed_memory() -> None:
    """Return the heap a large reload freed to the system (glibc keeps it otherwise: a process
    that reloaded 200,000 stations stayed at ~360 MB instead of ~235 MB, bench/reload.py).
    Elsewhere than glibc this does nothing."""
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:
        trim(0)


async def signal_stations_changed(db: Database, store: Store) -> None:
    """Tell every process's finder that stations changed (after the change was committed)."""
    db.bump_generation(GENERATION)
    await store.incr(VERSION_KEY)


class StationFinder:
    def __init__(self, db: Database, store: Store, clock: Clock, *, poll_seconds: float = 0.5):
        self._db, self._store, self._clock = db, store, clock
        self._poll = poll_seconds
        self._index = StationIndex.build([])
        self._listed = StationColumns.of([])  # every station but the revoked
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
        # Cancelled again until it ends: a client library that swallows a cancel (seen as a
        # test teardown stuck with the watch task "cancelling" in its next sleep) must not
        # keep stop() waiting forever.
        if self._task:
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=1.0)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def reload(self) -> None:
        """Load stations from the database and swap in a freshly built index."""
        async with self._reload_lock:
            version = await self._current_version()
            with _collector_paused() as paused:
                builder = ColumnsBuilder()
                query = select(*_COLUMNS).where(col(Station.status) != StationStatus.REVOKED)
                async with self._db.session() as session:
                    result = await session.stream(query.execution_options(yield_per=_CHUNK))
                    async for chunk in result.partitions():
                        for row in chunk:
                            builder.add(*row)  # type: ignore[arg-type]  # _COLUMNS' order
                started = time.perf_counter()
                listed = await asyncio.to_thread(builder.build)
                index = await asyncio.to_thread(StationIndex.build, listed)
                self.last_build_seconds = time.perf_counter() - started
                self._index, self._listed = index, listed
                paused.freeze = len(listed) >= _FREEZE_AT
            self._version = version
            log.info("station index: %d active of %d listed", len(index), len(listed))

    async def stations_changed(self) -> None:
        """Tell every process (this one included) that stations changed."""
        await signal_stations_changed(self._db, self._store)
        await self.reload()

    async def _current_version(self) -> str | None:
        try:
            shared = await self._store.get(VERSION_KEY)
        except StoreError:
            return self._version
        local = self._db.generation(GENERATION)
        return shared if local is None else f"{shared}|{local}"

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            try:
                if await self._current_version() != self._version:
                    await self.reload()
            except Exception:  # keep serving the old index; try again next tick
                log.exception("station index refresh failed")

    @property
    def listed(self) -> StationColumns:
        """Every station but the revoked (active and suspended), as columns."""
        return self._listed

    def get(self, station_id: int) -> StationRecord | None:
        """A listed (active or suspended) station; revoked ones are gone."""
        return self._listed.get(station_id)

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

    def soonest_openings(
        self,
        point: Point,
        *,
        at: datetime | None = None,
        services: Collection[str] = (),
        max_distance: float = 10_000,
        limit: int = 5,
    ) -> list[Match]:
        return self._index.soonest_openings(
            point,
            at=at or self._clock.now(),
            services=services,
            max_distance_m=max_distance,
            limit=limit,
        )
