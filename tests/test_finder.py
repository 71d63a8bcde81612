"""StationFinder across processes: a change made through one is seen by the others quickly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from handlers import Services
from locations import Point, StationStatus, set_status
from tests.stations import HOHHOT, add_stations, station

LAT, LNG = HOHHOT
HERE = Point(LAT, LNG)


@pytest.fixture
async def two(backend: Callable[..., Services]) -> AsyncIterator[tuple[Services, Services]]:
    """Two started "processes" on one database and store (B does not upgrade the schema)."""
    a, b = backend(), backend()
    await a.start()
    await b.start(upgrade=False)
    yield a, b
    await a.finder.stop()
    await b.finder.stop()


async def seen_within(ctx: Services, code: str, present: bool, seconds: float) -> float:
    """Seconds until `code` is (or is no longer) among the stations near HOHHOT in `ctx`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        codes = {m.station.code for m in ctx.finder.nearest_open(HERE, limit=50)}
        if (code in codes) == present:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"{code} not {'added' if present else 'removed'} within {seconds}s")


async def test_added_station_visible_in_the_other_process_within_a_second(
    two: tuple[Services, Services],
) -> None:
    a, b = two
    assert b.finder.nearest_open(HERE) == []
    await add_stations(a, station("NEW", LAT + 0.001, LNG))
    assert [m.station.code for m in a.finder.nearest_open(HERE)] == ["NEW"]  # at once in A
    await seen_within(b, "NEW", True, 1.0)
    assert b.finder.get(a.finder.nearest_open(HERE)[0].station.id) is not None


async def test_revoked_station_disappears_from_the_other_process(
    two: tuple[Services, Services],
) -> None:
    a, b = two
    await add_stations(a, station("OLD", LAT + 0.001, LNG), station("KEEP", LAT + 0.002, LNG))
    await seen_within(b, "OLD", True, 1.0)
    old_id = next(m.station.id for m in b.finder.nearest_open(HERE) if m.station.code == "OLD")
    assert await set_status(a.db, "OLD", StationStatus.REVOKED, reason="撤点", source="test")
    await a.finder.stations_changed()
    await seen_within(b, "OLD", False, 1.0)
    assert b.finder.get(old_id) is None  # gone from detail lookups too
    assert [m.station.code for m in b.finder.nearest_open(HERE)] == ["KEEP"]


async def test_suspended_station_leaves_search_but_stays_listed(
    two: tuple[Services, Services],
) -> None:
    a, b = two
    await add_stations(a, station("NAP", LAT + 0.001, LNG))
    await seen_within(b, "NAP", True, 1.0)
    sid = b.finder.nearest_open(HERE)[0].station.id
    assert await set_status(a.db, "NAP", StationStatus.SUSPENDED, reason="装修", source="test")
    await a.finder.stations_changed()
    await seen_within(b, "NAP", False, 1.0)
    listed = b.finder.get(sid)
    assert listed is not None and listed.status == "suspended"


async def test_poll_interval_comes_from_settings(backend: Callable[..., Services]) -> None:
    # A slow poll (3 s) must not pick the change up within a second; the default (0.5 s) does
    # (the tests above). This shows the setting is what drives the refresh.
    a, b = backend(), backend(station_refresh_seconds=3.0)
    await a.start()
    await b.start(upgrade=False)
    try:
        await add_stations(a, station("LATE", LAT + 0.001, LNG))
        await asyncio.sleep(1.0)
        assert b.finder.nearest_open(HERE) == []
        await seen_within(b, "LATE", True, 3.0)
    finally:
        await a.finder.stop()
        await b.finder.stop()
