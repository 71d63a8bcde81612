"""The spatial index behind "nearest open station".

Stations live on the unit sphere as 3-D vectors; Euclidean (chord) order on the sphere is
great-circle order. They are bucketed in a latitude/longitude cell grid, sorted by cell, so the
cells of one grid row around a query are one contiguous slice. A query looks at the cells around
it, filters and ranks those candidates with a handful of numpy operations, and stops as soon as
the answer is provably complete: the `limit`-th distance found is shorter than the shortest
possible distance to anything outside the cells looked at. Otherwise it widens the window, and
past a few widenings it checks every station (still vectorised): exact in every case.

Why not scipy's cKDTree: its per-query overhead alone (~25 µs on our hardware) was half the
50 µs budget, and Python-level work per candidate came on top (bench/README.md has the numbers).

Every service has its own grid of the stations offering it, with its own cell size, so a query
for a service offered by 0.5 % of stations walks a sparse grid and stays as fast as an unfiltered
one. Open/closed is evaluated once per distinct opening-hours expression per minute and cached.

An index is immutable apart from that cache: the finder builds a new one off the request path and
swaps it in.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ._coords import EARTH_RADIUS_M, Point
from ._hours import OpeningState, opening_state
from ._services import SERVICE_BIT, service_mask

# Assumed speeds (straight-line distance × route factor, since streets are not straight).
WALK_M_PER_MIN = 4000 / 60  # 4 km/h: 15 minutes ≈ 1 km, the national "15-minute circle" radius
EBIKE_M_PER_MIN = 15000 / 60  # 15 km/h, an e-bike in city traffic
ROUTE_FACTOR = 1.2

_CELL_TARGET = 12  # stations in a typical station's cell: a 3×3 window holds ~100 candidates
_MAX_RADIUS = 8  # window half-width in cells before falling back to checking every station
_EAGER_EXPRESSIONS = 512  # up to this many distinct hours: open state per station, per minute


def walk_minutes(distance_m: float) -> int:
    return max(1, round(distance_m * ROUTE_FACTOR / WALK_M_PER_MIN))


def ebike_minutes(distance_m: float) -> int:
    return max(1, round(distance_m * ROUTE_FACTOR / EBIKE_M_PER_MIN))


def walk_radius_m(minutes: float) -> float:
    """Straight-line distance that `minutes` of walking covers under the assumptions above."""
    return minutes * WALK_M_PER_MIN / ROUTE_FACTOR


@dataclass(frozen=True, slots=True)
class StationRecord:
    """What search and replies need of a station; a snapshot, not a database row."""

    id: int
    code: str
    name: str
    address: str
    league: str
    county: str
    point: Point
    kind: str
    build_mode: str
    host_type: str
    opening_hours: str
    services: tuple[str, ...]
    most_beautiful: bool
    smart_24h: bool
    phone: str
    status: str = "active"
    area_m2: float | None = None


@dataclass(frozen=True, slots=True)
class Match:
    station: StationRecord
    distance_m: float
    walk_minutes: int
    ebike_minutes: int
    state: OpeningState
    reported_closed: bool = False  # workers said it was closed when it should be open


def unit_vectors(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lng)
    cos_la = np.cos(la)
    return np.column_stack((cos_la * np.cos(lo), cos_la * np.sin(lo), np.sin(la)))


def chord_to_m(chord: float) -> float:
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, chord / 2))


def m_to_chord(metres: float) -> float:
    return 2 * math.sin(min(math.pi, metres / EARTH_RADIUS_M) / 2)


class _Grid:
    """Members of the index (positions) bucketed by lat/lng cell, sorted by cell key."""

    def __init__(self, members: np.ndarray, lat: np.ndarray, lng: np.ndarray) -> None:
        la, lo = lat[members], lng[members]
        self.lat0, self.lng0 = float(la.min()), float(lo.min())
        lat_span = float(la.max()) - self.lat0
        lng_span = float(lo.max()) - self.lng0
        # Start from the cell that would hold _CELL_TARGET if stations were spread evenly, then
        # shrink it while a typical station's cell holds far more (stations cluster in cities).
        area = max(lat_span, 1e-3) * max(lng_span, 1e-3)
        cell = math.sqrt(area * _CELL_TARGET / len(members))
        for _ in range(4):
            keys = self._keys_for(la, lo, cell)
            _, counts = np.unique(keys, return_counts=True)
            typical = float((counts.astype(np.float64) ** 2).sum()) / len(members)
            if typical <= 2 * _CELL_TARGET or cell < 1e-4:
                break
            cell /= math.sqrt(typical / _CELL_TARGET)
        self.cell = cell
        self.ncols = int(lng_span / cell) + 1
        self.nrows = int(lat_span / cell) + 1
        keys = self._keys_for(la, lo, cell)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.members = members[order]
        # Longitudes are not wrapped: a grid wider than 180° would get the bound wrong.
        self.wraps = lng_span > 180

    def _keys_for(self, la: np.ndarray, lo: np.ndarray, cell: float) -> np.ndarray:
        ncols = int((float(lo.max()) - self.lng0) / cell) + 1
        rows = ((la - self.lat0) / cell).astype(np.int64)
        cols = ((lo - self.lng0) / cell).astype(np.int64)
        return rows * ncols + cols

    def __len__(self) -> int:
        return len(self.members)

    def window(self, lat: float, lng: float, r: int) -> tuple[np.ndarray, float, bool]:
        """Members in the cells within `r` of the query's cell; the smallest chord to anything
        outside them; whether the window covers the whole grid."""
        cy = math.floor((lat - self.lat0) / self.cell)
        cx = math.floor((lng - self.lng0) / self.cell)
        rlo, rhi = max(cy - r, 0), min(cy + r, self.nrows - 1)
        clo, chi = max(cx - r, 0), min(cx + r, self.ncols - 1)
        whole = rlo == 0 and clo == 0 and rhi == self.nrows - 1 and chi == self.ncols - 1
        if rlo > rhi or clo > chi:
            found = self.members[:0]
        elif rhi == rlo or chi - clo == self.ncols - 1:  # one contiguous run of keys
            lo, hi = self.keys.searchsorted((rlo * self.ncols + clo, rhi * self.ncols + chi + 1))
            found = self.members[lo:hi]
        else:
            # One searchsorted for every row's start and end (Python lists: numpy's per-call
            # overhead, not the work, is what costs here).
            edges = [row * self.ncols + clo for row in range(rlo, rhi + 1)]
            edges += [e + chi - clo + 1 for e in edges]
            cut = self.keys.searchsorted(edges).tolist()
            half = len(edges) // 2
            members = self.members
            found = np.concatenate(
                [members[cut[i] : cut[half + i]] for i in range(half)]
            )
        if whole:
            return found, math.inf, True
        # Shortest angle to a point in a cell outside the window, per side (radians): along a
        # meridian for rows; for columns, the distance to the meridian plane at the window edge.
        dlat = math.inf  # degrees
        if rlo > 0:
            dlat = min(dlat, max(0.0, lat - (self.lat0 + rlo * self.cell)))
        if rhi < self.nrows - 1:
            dlat = min(dlat, max(0.0, self.lat0 + (rhi + 1) * self.cell - lat))
        dlng = math.inf  # degrees
        if clo > 0:
            dlng = min(dlng, max(0.0, lng - (self.lng0 + clo * self.cell)))
        if chi < self.ncols - 1:
            dlng = min(dlng, max(0.0, self.lng0 + (chi + 1) * self.cell - lng))
        angle = math.radians(min(dlat, 180.0))
        if dlng < math.inf:
            plane = math.cos(math.radians(lat)) * math.sin(math.radians(min(dlng, 90.0)))
            angle = min(angle, math.asin(min(1.0, abs(plane))))
        return found, 2 * math.sin(angle / 2), False


@dataclass
class StationIndex:
    """Active stations, searchable by distance, services and opening hours."""

    stations: list[StationRecord]
    _vectors: np.ndarray = field(init=False, repr=False)
    _ids: np.ndarray = field(init=False, repr=False)
    _masks: np.ndarray = field(init=False, repr=False)
    _expr: np.ndarray = field(init=False, repr=False)
    _expressions: list[str] = field(init=False, repr=False)
    _all: _Grid | None = field(init=False, repr=False)
    _by_service: dict[str, _Grid] = field(init=False, repr=False)
    _minute: int = field(init=False, repr=False)
    _open: np.ndarray = field(init=False, repr=False)  # per expression: -1 unknown, 0, 1
    _states: dict[int, OpeningState] = field(init=False, repr=False)
    _open_station: np.ndarray | None = field(init=False, repr=False)

    @classmethod
    def build(cls, stations: Iterable[StationRecord]) -> StationIndex:
        return cls([s for s in stations if s.status == "active"])

    def __post_init__(self) -> None:
        stations = self.stations
        n = len(stations)
        points = [s.point for s in stations]
        lat = np.fromiter((p.lat for p in points), np.float64, n)
        lng = np.fromiter((p.lng for p in points), np.float64, n)
        self._vectors = unit_vectors(lat, lng) if n else np.empty((0, 3))
        self._ids = np.fromiter((s.id for s in stations), np.int64, n)
        # Many stations share a service set and an expression: look each up once.
        mask_of: dict[tuple[str, ...], int] = {}
        self._masks = np.fromiter(
            (
                mask_of[s.services] if s.services in mask_of
                else mask_of.setdefault(s.services, service_mask(s.services))
                for s in stations
            ),
            np.int64,
            n,
        )
        expr_ids: dict[str, int] = {}
        self._expr = np.fromiter(
            (expr_ids.setdefault(s.opening_hours, len(expr_ids)) for s in stations), np.int32, n
        )
        self._expressions = list(expr_ids)
        self._all = _Grid(np.arange(n), lat, lng) if n else None
        self._by_service = {}
        for code, bit in SERVICE_BIT.items():
            members = np.flatnonzero(self._masks & bit)
            if len(members):
                self._by_service[code] = _Grid(members, lat, lng)
        self._minute = -1
        self._open = np.empty(0, np.int8)
        self._states = {}
        self._open_station = None

    def __len__(self) -> int:
        return len(self.stations)

    def _sync(self, at: datetime) -> None:
        """Point the open/closed cache at `at`'s minute."""
        minute = int(at.timestamp() // 60)
        if minute != self._minute:
            self._minute = minute
            self._open = np.full(len(self._expressions), -1, np.int8)
            self._states = {}
            self._open_station = None
            if len(self._expressions) <= _EAGER_EXPRESSIONS:
                # Few distinct expressions (the usual case): settle every station once a minute,
                # so a query pays one array lookup for the open filter.
                for e in range(len(self._expressions)):
                    self._open[e] = self._state(e, at).is_open
                self._open_station = self._open[self._expr] == 1

    def _open_mask(self, positions: np.ndarray, at: datetime) -> np.ndarray:
        """Open at `at` (the synced minute), for each position."""
        if self._open_station is not None:
            return self._open_station[positions]
        expr = self._expr[positions]
        known = self._open[expr]
        if (known < 0).any():
            for e in np.unique(expr[known < 0]).tolist():
                self._open[e] = self._state(e, at).is_open
            known = self._open[expr]
        return known == 1

    def _state(self, expr: int, at: datetime) -> OpeningState:
        # Callers have moved the cache to `at`'s minute (_sync).
        state = self._states.get(expr)
        if state is None:
            state = self._states[expr] = opening_state(self._expressions[expr], at)
        return state

    def _grid_for(self, services: Collection[str]) -> _Grid | None:
        if not services:
            return self._all
        grids = [self._by_service.get(code) for code in services]
        if any(g is None for g in grids):
            return None  # nobody offers one of them (or it is not a service at all)
        return min(grids, key=len)  # type: ignore[arg-type]

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
        `open_now`), nearest first, ties by id. Stations in `demoted` (reported closed) come after
        the others."""
        if limit <= 0:
            return []
        grid = self._grid_for(services)
        if grid is None:
            return []
        need = service_mask(services) if len(services) > 1 else 0
        la, lo = math.radians(point.lat), math.radians(point.lng)
        query = np.array((math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)))
        bound = m_to_chord(max_distance_m) if max_distance_m is not None else math.inf
        demoted_ids = np.fromiter(demoted, np.int64) if demoted else None
        self._sync(at)
        r = 1
        while True:
            if r > _MAX_RADIUS or grid.wraps:
                found, outside, whole = grid.members, math.inf, True
            else:
                found, outside, whole = grid.window(point.lat, point.lng, r)
            chosen = self._rank(found, query, at, need, bound, open_now, demoted_ids, limit,
                                outside, whole or bound < outside)
            if chosen is not None:
                break
            r *= 2
        return [self._match(pos, chord, self._state(int(self._expr[pos]), at), demoted_ids)
                for pos, chord in chosen]

    def _rank(
        self, found: np.ndarray, query: np.ndarray, at: datetime, need: int, bound: float,
        open_now: bool, demoted: np.ndarray | None, limit: int, outside: float, final: bool,
    ) -> list[tuple[int, float]] | None:
        """The answer among `found` as (position, chord), or None when something outside the
        window (nearer than `outside`) could still belong in it."""
        diff = self._vectors[found] - query
        d2 = np.einsum("ij,ij->i", diff, diff)  # squared chords: no sqrt until the end
        keep = d2 <= bound * bound
        if need:
            keep &= (self._masks[found] & need) == need
        if open_now:
            keep &= self._open_mask(found, at)
        hits = keep.nonzero()[0]
        cand, d2 = found[hits], d2[hits]
        outside2 = outside * outside
        if demoted is not None:
            late = np.isin(self._ids[cand], demoted)
            if late.any():
                ranked = self._ranked(cand[~late], d2[~late], limit)
                if len(ranked) < limit:
                    if not final:
                        return None  # an unseen alternative would rank before a demoted one
                    ranked += self._ranked(cand[late], d2[late], limit - len(ranked))
                elif not final and not ranked[-1][1] < outside2:
                    return None
                return [(pos, math.sqrt(x)) for pos, x in ranked]
        if len(cand) < limit and not final:
            return None
        ranked = self._ranked(cand, d2, limit)
        if ranked and not final and not ranked[-1][1] < outside2:
            return None
        return [(pos, math.sqrt(x)) for pos, x in ranked]

    def _ranked(self, cand: np.ndarray, d2: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The `limit` nearest of `cand` as (position, squared chord), ties by station id."""
        if len(cand) > limit:
            if len(cand) > 256:  # a full scan: partition first, sort only the head
                head = np.argpartition(d2, limit)[: limit + 1]
                order = head[d2[head].argsort()]
            else:
                order = d2.argsort()
            kth = d2[order[limit - 1]]
            # A tie across the cut must be settled by id: take every station at that distance.
            chosen = np.flatnonzero(d2 <= kth) if d2[order[limit]] == kth else order[:limit]
            cand, d2 = cand[chosen], d2[chosen]
        picked = list(zip(cand.tolist(), d2.tolist(), strict=True))
        stations = self.stations
        picked.sort(key=lambda c: (c[1], stations[c[0]].id))
        return picked[:limit]

    def _match(
        self, pos: int, chord: float, state: OpeningState, demoted: np.ndarray | None
    ) -> Match:
        station = self.stations[pos]
        metres = chord_to_m(chord)
        return Match(
            station=station,
            distance_m=metres,
            walk_minutes=walk_minutes(metres),
            ebike_minutes=ebike_minutes(metres),
            state=state,
            reported_closed=demoted is not None and station.id in demoted,
        )

    def soonest_opening(
        self,
        point: Point,
        *,
        at: datetime,
        services: Collection[str] = (),
        max_distance_m: float = 10_000,
    ) -> Match | None:
        """When nothing is open nearby: the station within reach that opens first."""
        candidates = self.nearest(
            point, at=at, services=services, limit=50, max_distance_m=max_distance_m,
            open_now=False,
        )
        upcoming = [m for m in candidates if m.state.is_open or m.state.opens_at is not None]
        if not upcoming:
            return None
        return min(upcoming, key=lambda m: (m.state.opens_at or at, m.distance_m))
