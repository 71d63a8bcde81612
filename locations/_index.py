"""The spatial index behind "nearest open station".

Stations live on the unit sphere as 3-D vectors in a scipy cKDTree: Euclidean (chord) order on
the sphere is great-circle order, so a k-d tree answers nearest-neighbour queries exactly. Every
service also gets a tree of the stations offering it; a query with service filters walks the tree
of its rarest service, so a service offered by 0.5 % of stations is as fast as an unfiltered one.

An index is immutable: the finder builds a new one off the request path and swaps it in.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.spatial import cKDTree

from ._coords import EARTH_RADIUS_M, Point
from ._hours import OpeningState, opening_state
from ._services import SERVICE_BIT, service_mask

# Assumed speeds (straight-line distance × route factor, since streets are not straight).
WALK_M_PER_MIN = 4000 / 60  # 4 km/h: 15 minutes ≈ 1 km, the national "15-minute circle" radius
EBIKE_M_PER_MIN = 15000 / 60  # 15 km/h, an e-bike in city traffic
ROUTE_FACTOR = 1.2


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


@dataclass
class _Tree:
    tree: cKDTree
    members: np.ndarray  # positions in the index's arrays


@dataclass
class StationIndex:
    """Active stations, searchable by distance, services and opening hours."""

    stations: list[StationRecord]
    _masks: np.ndarray = field(init=False, repr=False)
    _expr: np.ndarray = field(init=False, repr=False)
    _expressions: list[str] = field(init=False, repr=False)
    _all: _Tree | None = field(init=False, repr=False)
    _by_service: dict[str, _Tree] = field(init=False, repr=False)
    _open_minute: tuple[int, dict[int, bool]] = field(init=False, repr=False)

    @classmethod
    def build(cls, stations: Iterable[StationRecord]) -> StationIndex:
        return cls([s for s in stations if s.status == "active"])

    def __post_init__(self) -> None:
        n = len(self.stations)
        lat = np.fromiter((s.point.lat for s in self.stations), float, n)
        lng = np.fromiter((s.point.lng for s in self.stations), float, n)
        vectors = unit_vectors(lat, lng) if n else np.empty((0, 3))
        self._masks = np.fromiter((service_mask(s.services) for s in self.stations), np.int64, n)
        expr_ids: dict[str, int] = {}
        self._expr = np.fromiter(
            (expr_ids.setdefault(s.opening_hours, len(expr_ids)) for s in self.stations),
            np.int32,
            n,
        )
        self._expressions = list(expr_ids)
        self._all = _Tree(cKDTree(vectors), np.arange(n)) if n else None
        self._by_service = {}
        for code, bit in SERVICE_BIT.items():
            members = np.flatnonzero(self._masks & bit)
            if len(members):
                self._by_service[code] = _Tree(cKDTree(vectors[members]), members)
        self._open_minute = (-1, {})

    def __len__(self) -> int:
        return len(self.stations)

    def _is_open(self, position: int, at: datetime) -> bool:
        minute = int(at.timestamp() // 60)
        if self._open_minute[0] != minute:
            self._open_minute = (minute, {})
        cache = self._open_minute[1]
        expr = int(self._expr[position])
        state = cache.get(expr)
        if state is None:
            state = cache[expr] = opening_state(self._expressions[expr], at).is_open
        return state

    def _tree_for(self, services: Collection[str]) -> _Tree | None:
        if not services:
            return self._all
        trees = [self._by_service.get(code) for code in services]
        if any(t is None for t in trees):
            return None  # nobody offers one of them
        return min(trees, key=lambda t: len(t.members))  # type: ignore[union-attr]

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
        tree = self._tree_for(services)
        if tree is None:
            return []
        need = service_mask(services)
        query = unit_vectors(np.array([point.lat]), np.array([point.lng]))[0]
        bound = m_to_chord(max_distance_m) if max_distance_m is not None else np.inf
        size = len(tree.members)
        k = min(size, max(limit * 4, 16))
        checked = 0
        found: list[tuple[float, int]] = []
        later: list[tuple[float, int]] = []
        while True:
            dist, idx = tree.tree.query(query, k=k, distance_upper_bound=bound)
            dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
            for d, i in zip(dist[checked:], idx[checked:], strict=True):
                if i >= size:  # beyond max distance
                    break
                pos = int(tree.members[i])
                if need and (int(self._masks[pos]) & need) != need:
                    continue
                if open_now and not self._is_open(pos, at):
                    continue
                (later if self.stations[pos].id in demoted else found).append((float(d), pos))
            exhausted = k >= size or idx[-1] >= size
            if len(found) >= limit or exhausted:
                break
            checked, k = k, min(size, k * 4)
        ranked = sorted(found, key=lambda c: (c[0], self.stations[c[1]].id))[:limit]
        if len(ranked) < limit:
            ranked += sorted(later, key=lambda c: (c[0], self.stations[c[1]].id))[
                : limit - len(ranked)
            ]
        demoted_set = set(demoted)
        return [self._match(pos, chord, at, demoted_set) for chord, pos in ranked]

    def _match(self, pos: int, chord: float, at: datetime, demoted: set[int]) -> Match:
        station = self.stations[pos]
        metres = chord_to_m(chord)
        return Match(
            station=station,
            distance_m=metres,
            walk_minutes=walk_minutes(metres),
            ebike_minutes=ebike_minutes(metres),
            state=opening_state(station.opening_hours, at),
            reported_closed=station.id in demoted,
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
            point,
            at=at,
            services=services,
            limit=50,
            max_distance_m=max_distance_m,
            open_now=False,
        )
        upcoming = [m for m in candidates if m.state.is_open or m.state.opens_at is not None]
        if not upcoming:
            return None
        return min(upcoming, key=lambda m: (m.state.opens_at or at, m.distance_m))
