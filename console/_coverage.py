"""Coverage (`GET /console/coverage`): the stations against the notice's targets
(内政办发〔2025〕4号) — region-wide count, 最美 and 24-hour shares per league and county, and the
15-minute cross coverage of each main urban area, with the uncovered spots on a map.

The numbers are `locations.coverage_report`'s (the same as `yizhan coverage`); the county rows
are a plain tally beside it. Both are computed once per station index (a reload makes a new
one) in a worker thread: at 200,000 stations that pass takes seconds (bench/console.py), which
must never stall the event loop. While a new index is being measured the page shows the last
numbers and says they are being updated; only the very first request of a process waits.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

from aiohttp import web
from markupsafe import Markup

from handlers import Services
from locations import CoverageReport, StationIndex, coverage_report

from ._pages import render, services_of
from ._stations import map_context, staff_scope, with_tiles

TARGET_SHARE = 0.15
_MET = Markup('<span class="met">✓ 达标</span>')
_UNMET = Markup('<span class="unmet">✗ 未达标</span>')


def _mark(ok: bool) -> Markup:
    """Plain functions, not template macros: a macro call costs ~50 µs, and the page makes
    hundreds of them (bench/console.py)."""
    return _MET if ok else _UNMET


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


@dataclass(frozen=True, slots=True)
class CountyRow:
    league: str
    county: str
    stations: int
    most_beautiful: int
    smart_24h: int

    @property
    def beautiful_share(self) -> float:
        return self.most_beautiful / self.stations if self.stations else 0.0

    @property
    def smart_share(self) -> float:
        return self.smart_24h / self.stations if self.stations else 0.0


@dataclass(frozen=True, slots=True)
class Measured:
    index: StationIndex
    report: CoverageReport
    counties: tuple[CountyRow, ...]


@dataclass
class _Cache:
    measured: Measured | None = None
    task: asyncio.Task[Measured] | None = None
    index: StationIndex | None = None  # the one the task measures


_caches: dict[int, _Cache] = {}  # per Services


def _measure(index: StationIndex) -> Measured:
    stations = index.stations  # active only: the notice counts stations in service
    report = coverage_report(stations)
    tally: Counter[tuple[str, str]] = Counter()
    beautiful: Counter[tuple[str, str]] = Counter()
    smart: Counter[tuple[str, str]] = Counter()
    for s in stations:
        key = (s.league or "未注明盟市", s.county or "未注明旗县区")
        tally[key] += 1
        beautiful[key] += s.most_beautiful
        smart[key] += s.smart_24h
    counties = tuple(
        CountyRow(league, county, n, beautiful[(league, county)], smart[(league, county)])
        for (league, county), n in sorted(tally.items())
    )
    return Measured(index, report, counties)


async def measure(services: Services) -> tuple[Measured, bool]:
    """The numbers of the current index, or the last ones while it is measured (then False)."""
    cache = _caches.setdefault(id(services), _Cache())
    index = services.finder.index
    if cache.measured is not None and cache.measured.index is index:
        return cache.measured, True
    if cache.task is None or cache.index is not index:
        cache.index = index
        cache.task = asyncio.create_task(asyncio.to_thread(_measure, index))

        def done(task: asyncio.Task[Measured], cache: _Cache = cache) -> None:
            if not task.cancelled() and task.exception() is None:
                cache.measured = task.result()

        cache.task.add_done_callback(done)
    if cache.measured is not None:
        return cache.measured, False
    measured = await asyncio.shield(cache.task)
    return measured, measured.index is services.finder.index


async def coverage_page(request: web.Request) -> web.Response:
    scope = await staff_scope(request)
    measured, fresh = await measure(services_of(request))
    report = measured.report
    if scope.areas is None:
        counties = list(measured.counties)
        leagues = list(report.leagues)
        urban = list(report.urban)
    else:
        held = {lg for lg, _ct in scope.areas}
        counties = [
            c
            for c in measured.counties
            if any(c.league == lg and (not ct or c.county == ct) for lg, ct in scope.areas)
        ]
        leagues = [lc for lc in report.leagues if lc.league in held]
        urban = [u for u in report.urban if u.league in held]
    return with_tiles(
        request,
        render(
            request,
            "coverage.html",
            {
                "r": report,
                "leagues": leagues,
                "counties": counties,
                "urban": urban,
                "target_share": TARGET_SHARE,
                "fresh": fresh,
                "mark": _mark,
                "pct": _pct,
                **map_context(
                    request,
                    points="/console/map/stations.json",
                    boundaries="/console/map/boundaries.json",
                    gaps="/console/map/gaps.json",
                ),
            },
        ),
    )
