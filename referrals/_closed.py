"""Station reports change search: when two different workers report the same station closed
within two hours, both during its opening hours, search ranks it below open alternatives and
says "有人反映可能未开放" — until staff handle the report (resolve it or mark it a duplicate: they
checked, and suspend the station in the registry if it really is shut) or the station's next
opening, when it deserves a fresh chance. A 24-hour station has no "next opening": a day then.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.store import Store, StoreError
from locations import is_open, opening_state

from ._cases import StationLookup
from ._models import Case, CaseKind, CaseStatus

PAIR_WINDOW = timedelta(hours=2)
LOOKBACK = timedelta(days=8)  # a station shut over a long weekend reopens within this
ALWAYS_OPEN_HOLD = timedelta(hours=24)
VERSION_KEY = "referrals:closed:version"
HANDLED = (CaseStatus.RESOLVED.value, CaseStatus.DUPLICATE.value)


def _lift_at(hours: str, reported: datetime) -> datetime:
    """The station's next opening after the moment it was reported closed."""
    state = opening_state(hours, reported)
    if state.always_open or state.until is None:
        return reported + ALWAYS_OPEN_HOLD
    after_close = opening_state(hours, state.until)
    return after_close.opens_at or reported + ALWAYS_OPEN_HOLD


def demoted_from(reports: list[Case], stations: StationLookup, now: datetime) -> frozenset[int]:
    by_station: dict[int, list[Case]] = defaultdict(list)
    for case in reports:
        if case.station_id is not None:
            by_station[case.station_id].append(case)
    out = set()
    for station_id, cases in by_station.items():
        station = stations.get(station_id)
        if station is None:
            continue
        hours = station.opening_hours
        valid = sorted(
            (c for c in cases if is_open(hours, c.created_at)), key=lambda c: c.created_at
        )
        for j, later in enumerate(valid):
            pair = next(
                (
                    c
                    for c in valid[:j]
                    if c.worker_ref != later.worker_ref
                    and later.created_at - c.created_at <= PAIR_WINDOW
                ),
                None,
            )
            if pair is None or later.created_at > now:
                continue
            if pair.status in HANDLED or later.status in HANDLED:
                continue
            if now < _lift_at(hours, later.created_at):
                out.add(station_id)
                break
    return frozenset(out)


class ClosedReports:
    """The set of demoted station ids, cached per process and refreshed when reports change
    (a version number in the shared store, so every process sees a new report at once)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        stations: StationLookup,
        store: Store,
        *,
        max_age: float = 30.0,
    ) -> None:
        self.db, self.clock, self.stations, self.store = db, clock, stations, store
        self.max_age = max_age
        self._cached: frozenset[int] = frozenset()
        self._version: str | None = None
        self._at = float("-inf")
        self._now = datetime.min.replace(tzinfo=clock.now().tzinfo)

    # Business time may jump (a frozen clock in tests, a long pause): recompute when it moved.
    STEP = timedelta(minutes=1)

    async def changed(self) -> None:
        with contextlib.suppress(StoreError):
            await self.store.incr(VERSION_KEY)
        self._at = float("-inf")

    async def demoted(self) -> frozenset[int]:
        try:
            version = await self.store.get(VERSION_KEY)
        except StoreError:
            version = self._version
        now = self.clock.now()
        fresh = time.monotonic() - self._at < self.max_age and abs(now - self._now) < self.STEP
        if version == self._version and fresh:
            return self._cached
        async with self.db.session() as session:
            reports = list(
                (
                    await session.execute(
                        select(Case).where(
                            col(Case.kind) == CaseKind.FEEDBACK,
                            col(Case.category) == "closed",
                            col(Case.station_id).is_not(None),
                            col(Case.created_at) >= now - LOOKBACK,
                        )
                    )
                ).scalars()
            )
        self._cached = demoted_from(reports, self.stations, now)
        self._version, self._at, self._now = version, time.monotonic(), now
        return self._cached
