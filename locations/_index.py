"""The spatial index behind "nearest open station".

Stations live on the unit sphere as 3-D vectors; Euclidean (chord) order on the sphere is
great-circle order. They are bucketed in a latitude/longitude cell grid (`_grid`) whose arrays
are in cell order, so the cells of one grid row around a query are one contiguous run. A query
looks at the cells around it, keeps the `limit` nearest that pass the filters, and stops as soon
as the answer is provably complete: the `limit`-th distance found is shorter than the shortest
possible distance to anything outside the cells looked at. Otherwise it widens the window to the
cells that must hold the answer, and past a wide window it checks every station: exact in every
case. That loop is compiled (`_kernel.pyx`, Cython): in Python and numpy it cost 30–90 µs a
query, nearly all interpreter and per-call overhead (bench/README.md has the history).

Why not scipy's cKDTree: its per-query overhead alone (~25 µs on our hardware) was half the
50 µs budget, and it cannot filter by service or open state inside the tree.

A service offered by at most half the stations has its own grid of the stations offering it,
with its own cell size, so a query for a service offered by 0.5 % of stations walks a sparse grid
and stays as fast as an unfiltered one; commoner services are filtered in the grid of all.
Open/closed is evaluated once per distinct opening-hours expression per minute (for every
expression when there are few, else as the search meets them), and the kernel reads it per
station through the station's expression number.

Station details are kept as columns (`_columns.StationColumns`), not one object per station;
the few stations a search answers with are made into `StationRecord`s by the kernel.

An index is immutable apart from that cache: the finder builds a new one off the request path
and swaps it in.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ._columns import StationColumns
from ._coords import EARTH_RADIUS_M, Point
from ._grid import build_grid, cell_order
from ._hours import UNKNOWN_HOURS, OpeningState, opening_state
from ._kernel import Cells, Table
from ._record import StationRecord
from ._services import SERVICE_BIT, service_mask

# Assumed speeds (straight-line distance × route factor, since streets are not straight).
WALK_M_PER_MIN = 4000 / 60  # 4 km/h: 15 minutes ≈ 1 km, the national "15-minute circle" radius
EBIKE_M_PER_MIN = 15000 / 60  # 15 km/h, an e-bike in city traffic
ROUTE_FACTOR = 1.2

_HOURS_UNKNOWN = 2  # open state of the expression standing for "no hours given" (_kernel)
_OWN_GRID_SHARE = 0.5  # services offered by at most this share of stations get their own grid
_EAGER_EXPRESSIONS = 512  # up to this many distinct hours: open state per station, per minute


_WALK = ROUTE_FACTOR / WALK_M_PER_MIN  # minutes per straight-line metre
_EBIKE = ROUTE_FACTOR / EBIKE_M_PER_MIN


def walk_minutes(distance_m: float) -> int:
    return max(1, round(distance_m * _WALK))


def ebike_minutes(distance_m: float) -> int:
    return max(1, round(distance_m * _EBIKE))


def walk_radius_m(minutes: float) -> float:
    """Straight-line distance that `minutes` of walking covers under the assumptions above."""
    return minutes * WALK_M_PER_MIN / ROUTE_FACTOR


# A station whose hours nobody gave ranks as if this much farther away: every station known to
# be open within a 15-minute walk comes before it, and it still beats one known open far off.
UNKNOWN_HOURS_PENALTY_M = walk_radius_m(15)
_PENALTY = UNKNOWN_HOURS_PENALTY_M / EARTH_RADIUS_M  # in radians, as the kernel takes it


@dataclass(frozen=True, slots=True)
class Match:
    station: StationRecord
    distance_m: float
    walk_minutes: int
    ebike_minutes: int
    state: OpeningState
    reported_closed: bool = False  # workers said it was closed when it should be open


# Matches are built on every search: set the slots directly instead of through the frozen
# dataclass's __init__ (object.__setattr__ per field), a third of the cost. Same class, same
# immutability for everyone else.
_MATCH_SLOTS = tuple(
    Match.__dict__[name].__set__
    for name in (
        "station",
        "distance_m",
        "walk_minutes",
        "ebike_minutes",
        "state",
        "reported_closed",
    )
)


def _new_match(
    station: StationRecord,
    distance_m: float,
    walk: int,
    ebike: int,
    state: OpeningState,
    reported_closed: bool,
) -> Match:
    match = object.__new__(Match)
    s0, s1, s2, s3, s4, s5 = _MATCH_SLOTS
    s0(match, station)
    s1(match, distance_m)
    s2(match, walk)
    s3(match, ebike)
    s4(match, state)
    s5(match, reported_closed)
    return match


def unit_vectors(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lng)
    cos_la = np.cos(la)
    return np.column_stack((cos_la * np.cos(lo), cos_la * np.sin(lo), np.sin(la)))


def chord_to_m(chord: float) -> float:
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, chord / 2))


def m_to_chord(metres: float) -> float:
    return 2 * math.sin(min(math.pi, metres / EARTH_RADIUS_M) / 2)


@dataclass
class StationIndex:
    """Active stations, searchable by distance, services and opening hours."""

    stations: StationColumns
    _ids: np.ndarray = field(init=False, repr=False)
    _masks: np.ndarray = field(init=False, repr=False)
    _expr: np.ndarray = field(init=False, repr=False)
    _expressions: list[str] = field(init=False, repr=False)
    _all: Cells | None = field(init=False, repr=False)
    _by_service: dict[str, Cells] = field(init=False, repr=False)
    _offered: set[str] = field(init=False, repr=False)
    _minute: int = field(init=False, repr=False)
    _open: np.ndarray = field(init=False, repr=False)  # per expression: -1 unknown, 0, 1
    _states: dict[int, OpeningState] = field(init=False, repr=False)
    _unknown_expr: int = field(init=False, repr=False)
    _table: Table = field(init=False, repr=False)

    @classmethod
    def build(cls, stations: Iterable[StationRecord] | StationColumns) -> StationIndex:
        columns = stations if isinstance(stations, StationColumns) else StationColumns.of(stations)
        status, values = columns.shared("status")
        active = values.index("active") if "active" in values else -1
        return cls(columns.subset(np.flatnonzero(status == active)))

    def __post_init__(self) -> None:
        columns = self.stations
        n = len(columns)
        lat, lng = columns.lat, columns.lng
        if n:
            # Stations laid out in the order of the grid of all of them: neighbours on the map
            # are neighbours in memory, so a search reads a few cache lines, in every grid.
            order = cell_order(lat, lng)
            columns = self.stations = columns.subset(order)
            lat, lng = lat[order], lng[order]
        vectors = unit_vectors(lat, lng) if n else np.empty((0, 3))
        self._ids = columns.ids
        # A service mask per distinct service list, then one lookup per station.
        lists, distinct = columns.shared("services")
        self._masks = np.array([service_mask(v) for v in distinct], np.int64)[lists]
        self._expr, self._expressions = columns.shared("opening_hours")
        # Stations without hours share one extra expression whose state is always "unknown".
        self._unknown_expr = -1
        unknown = columns.hours_unknown if n else np.zeros(0, bool)
        empty = [e for e, text in enumerate(self._expressions) if not text.strip()]
        if empty:  # no hours written is no hours known, whatever the flag says
            unknown = unknown | np.isin(self._expr, empty)
        if unknown.any():
            self._unknown_expr = len(self._expressions)
            self._expressions = [*self._expressions, ""]
            self._expr = np.where(unknown, self._unknown_expr, self._expr).astype(np.int32)
        self._all = build_grid(np.arange(n), lat, lng) if n else None
        self._by_service = {}
        self._offered = set()
        for code, bit in SERVICE_BIT.items():
            members = np.flatnonzero(self._masks & bit)
            if len(members):
                self._offered.add(code)
                # A service most stations offer is searched in the grid of all stations with a
                # filter (a window holds about as many that qualify); a grid of its own would
                # copy most of the index for little gain.
                if len(members) <= _OWN_GRID_SHARE * n:
                    self._by_service[code] = build_grid(members, lat, lng)
        self._minute = -1
        self._open = np.full(len(self._expressions), -1, np.int8)  # updated in place only
        self._states = {}
        self._table = Table(vectors, self._ids, self._masks, self._expr, self._open)

    def __len__(self) -> int:
        return len(self.stations)

    def _sync(self, at: datetime) -> None:
        """Point the open/closed cache at `at`'s minute."""
        minute = int(at.timestamp() // 60)
        if minute != self._minute:
            self._minute = minute
            self._open.fill(-1)
            self._states = {}
            if len(self._expressions) <= _EAGER_EXPRESSIONS:
                # Few distinct expressions (the usual case): settle them all once a minute, so
                # the search never has to stop and ask.
                for e in range(len(self._expressions)):
                    if e != self._unknown_expr and self._expressions[e].strip():
                        self._open[e] = self._state(e, at).is_open
            if self._unknown_expr >= 0:
                self._open[self._unknown_expr] = _HOURS_UNKNOWN

    def _state(self, expr: int, at: datetime) -> OpeningState:
        # Callers have moved the cache to `at`'s minute (_sync).
        state = self._states.get(expr)
        if state is None:
            if expr == self._unknown_expr:
                return UNKNOWN_HOURS
            state = self._states[expr] = opening_state(self._expressions[expr], at)
        return state

    def _grid_for(self, services: Collection[str]) -> tuple[Cells | None, int]:
        """The grid to search and the service mask its members must still be checked against."""
        if not services:
            return self._all, 0
        if len(services) == 1:
            for code in services:
                grid = self._by_service.get(code)
                if grid is not None:
                    return grid, 0
        if not self._offered.issuperset(services):
            return None, 0  # nobody offers one of them (or it is not a service at all)
        grids = [g for g in map(self._by_service.get, services) if g is not None]
        grid = min(grids, key=len) if grids else self._all
        return grid, service_mask(services)

    def nearest(
        self,
        point: Point,
        *,
        at: datetime,
        services: Collection[str] = (),
        limit: int = 5,
        max_distance_m: float | None = None,
        open_now: bool = True,
        demoted: Collection[int] = (),
    ) -> list[Match]:
        """Nearest stations offering every service in `services` (and open at `at` when
        `open_now`), nearest first, ties by id. Stations whose hours are not known are never
        taken for open but are not left out: they rank as if `UNKNOWN_HOURS_PENALTY_M` farther
        away. Stations in `demoted` (reported closed) come after the others."""
        if limit <= 0:
            return []
        grid, need = self._grid_for(services)
        if grid is None:
            return []
        lat, lng = point.lat, point.lng
        la, lo = math.radians(lat), math.radians(lng)
        cos_la = math.cos(la)
        qx, qy, qz = cos_la * math.cos(lo), cos_la * math.sin(lo), math.sin(la)
        bound2 = m_to_chord(max_distance_m) ** 2 if max_distance_m is not None else math.inf
        late = frozenset(demoted) if demoted else frozenset()
        self._sync(at)
        while True:
            found = grid.nearest(
                self._table, lat, lng, qx, qy, qz, limit, bound2, need, open_now, late, _PENALTY
            )
            if isinstance(found, list):
                break
            # The search met a station whose hours are not settled this minute (only with
            # many distinct expressions): settle them and search again.
            self._open[found] = self._state(found, at).is_open
        make, rows = self.stations.make, self.stations.rows
        expr, states = self._expr, self._states
        matches = []
        for d2, sid, pos in found:
            metres = 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(d2) / 2))
            e = expr.item(pos)
            state = states.get(e) or self._state(e, at)
            matches.append(
                _new_match(  # walk_minutes and ebike_minutes, inlined
                    make(rows.item(pos)),
                    metres,
                    max(1, round(metres * _WALK)),
                    max(1, round(metres * _EBIKE)),
                    state,
                    sid in late,
                )
            )
        return matches

    def soonest_opening(
        self,
        point: Point,
        *,
        at: datetime,
        services: Collection[str] = (),
        max_distance_m: float = 10_000,
    ) -> Match | None:
        """When nothing is open nearby: the station within reach that opens first."""
        found = self.soonest_openings(
            point, at=at, services=services, max_distance_m=max_distance_m, limit=1
        )
        return found[0] if found else None

    def soonest_openings(
        self,
        point: Point,
        *,
        at: datetime,
        services: Collection[str] = (),
        max_distance_m: float = 10_000,
        limit: int = 5,
    ) -> list[Match]:
        """The stations within reach (of the 50 nearest) that open first, soonest first (the
        nearer one first at the same time); stations with no opening in the next week are left
        out."""
        candidates = self.nearest(
            point,
            at=at,
            services=services,
            limit=50,
            max_distance_m=max_distance_m,
            open_now=False,
        )
        upcoming = [m for m in candidates if m.state.is_open or m.state.opens_at is not None]
        upcoming.sort(key=lambda m: (m.state.opens_at or at, m.distance_m))
        return upcoming[:limit]
