"""The spatial index: filters, ranking, far-away points, and agreement with brute force."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TypedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import CHINA_TZ
from locations import (
    EARTH_RADIUS_M,
    EBIKE_M_PER_MIN,
    ROUTE_FACTOR,
    UNKNOWN_HOURS_PENALTY_M,
    WALK_M_PER_MIN,
    Match,
    Point,
    StationIndex,
    StationRecord,
    distance_m,
    is_open,
    nearest_open,
)
from tests.conftest import WORKDAY_MORNING
from tests.stations import HOHHOT

LAT, LNG = HOHHOT
NOW = WORKDAY_MORNING  # Tuesday 10:00 in Shanghai
EVENING = NOW.replace(hour=21)


def rec(
    sid: int,
    lat: float,
    lng: float,
    *,
    services: tuple[str, ...] = ("rest", "drinking_water"),
    hours: str | None = "24/7",
    status: str = "active",
) -> StationRecord:
    return StationRecord(
        id=sid,
        code=f"T{sid}",
        name=f"测试驿站{sid}",
        address="",
        league="",
        county="",
        point=Point(lat, lng),
        kind="standard",
        build_mode="self",
        host_type="",
        opening_hours=hours or "",
        services=services,
        most_beautiful=False,
        smart_24h=False,
        phone="",
        status=status,
        hours_known=hours is not None,
    )


def ids(matches: list[Match]) -> list[int]:
    return [m.station.id for m in matches]


@pytest.fixture
def index() -> StationIndex:
    return StationIndex.build(
        [
            rec(1, LAT + 0.001, LNG),  # ~111 m north
            rec(2, LAT + 0.002, LNG, services=("rest", "haircut")),
            rec(3, LAT + 0.003, LNG, services=("rest", "haircut", "meal_heating")),
            rec(4, LAT + 0.0005, LNG, hours="Mo-Fr 20:00-22:00"),  # nearest, closed in the morning
            rec(5, LAT, LNG + 0.0001, status="revoked"),
            rec(6, LAT, LNG - 0.0001, status="suspended", services=("rest", "haircut")),
            rec(7, LAT + 0.010, LNG, services=("ebike_charging",)),
        ]
    )


def test_nearest_open_first_with_distances(index: StationIndex) -> None:
    found = nearest_open(index, Point(LAT, LNG), at=NOW)
    assert ids(found) == [1, 2, 3, 7]
    assert found[0].distance_m == pytest.approx(
        distance_m(Point(LAT, LNG), Point(LAT + 0.001, LNG))
    )
    assert all(m.state.is_open for m in found)


def test_open_now_false_includes_closed_but_never_revoked_or_suspended(index: StationIndex) -> None:
    found = index.nearest(Point(LAT, LNG), at=NOW, open_now=False, limit=10)
    assert ids(found) == [4, 1, 2, 3, 7]
    assert found[0].state.opens_at == NOW.replace(hour=20)
    assert len(index) == 5  # revoked and suspended are not in the index at all


def test_evening_changes_what_is_open(index: StationIndex) -> None:
    assert ids(index.nearest(Point(LAT, LNG), at=EVENING, limit=1)) == [4]


def test_single_and_multiple_service_filters(index: StationIndex) -> None:
    here = Point(LAT, LNG)
    assert ids(nearest_open(index, here, at=NOW, services=["haircut"])) == [2, 3]
    assert ids(nearest_open(index, here, at=NOW, services=["haircut", "meal_heating"])) == [3]
    assert ids(nearest_open(index, here, at=NOW, services=["rest", "ebike_charging"])) == []


def test_unknown_or_unoffered_service_finds_nothing(index: StationIndex) -> None:
    here = Point(LAT, LNG)
    assert nearest_open(index, here, at=NOW, services=["massage"]) == []
    assert nearest_open(index, here, at=NOW, services=["sewing_kit"]) == []
    assert nearest_open(index, here, at=NOW, services=["rest", "sewing_kit"]) == []


def test_limit_and_max_distance(index: StationIndex) -> None:
    here = Point(LAT, LNG)
    assert ids(nearest_open(index, here, at=NOW, limit=2)) == [1, 2]
    assert ids(nearest_open(index, here, at=NOW, max_distance=250)) == [1, 2]
    assert nearest_open(index, here, at=NOW, max_distance=50) == []
    assert nearest_open(index, here, at=NOW, limit=0) == []


def test_ties_at_equal_distance_ordered_by_id() -> None:
    # Forty stations on one spot, listed in scrambled order: more than the first batch the tree
    # is asked for, so the tie must be settled across batches.
    order = [int(i) for i in np.random.default_rng(7).permutation(np.arange(1, 41))]
    index = StationIndex.build([rec(i, LAT + 0.01, LNG) for i in order])
    assert ids(index.nearest(Point(LAT, LNG), at=NOW, limit=5)) == [1, 2, 3, 4, 5]
    assert ids(index.nearest(Point(LAT, LNG), at=NOW, limit=40)) == list(range(1, 41))


def test_far_away_points_still_get_the_nearest() -> None:
    # Stations only in Hohhot and Hailar; workers asking from Beijing and from the far north of
    # Hulunbuir (near Mohe, hundreds of km from either) still get an answer.
    hailar = (49.2116, 119.7660)
    index = StationIndex.build(
        [rec(i, LAT + 0.001 * i, LNG) for i in range(1, 30)] + [rec(100, *hailar)]
    )
    beijing = Point(39.9042, 116.4074)
    assert ids(index.nearest(beijing, at=NOW, limit=1)) == [1]
    far_north = Point(53.33, 121.5)
    found = index.nearest(far_north, at=NOW, limit=2)
    assert ids(found) == [100, 29]
    assert found[0].distance_m == pytest.approx(distance_m(far_north, Point(*hailar)), rel=1e-9)
    assert found[0].distance_m > 400_000
    # A far-away point with a max distance gets nothing rather than something too far.
    assert index.nearest(far_north, at=NOW, max_distance_m=100_000) == []


def test_demoted_stations_come_after_open_alternatives(index: StationIndex) -> None:
    here = Point(LAT, LNG)
    found = index.nearest(here, at=NOW, demoted=[1])
    assert ids(found) == [2, 3, 7, 1]
    assert found[-1].reported_closed and not found[0].reported_closed
    # When it is the only one, a demoted station is still offered.
    assert ids(index.nearest(here, at=NOW, services=["rest"], limit=3, demoted=[1, 2])) == [3, 1, 2]


def test_unknown_hours_rank_after_open_stations_within_a_walk() -> None:
    # 1: hours unknown, 110 m away. 2: open, 550 m. 3: open, 2.2 km. 4: closed, 50 m.
    stations = [
        rec(1, LAT + 0.001, LNG, hours=None),
        rec(2, LAT + 0.005, LNG),
        rec(3, LAT + 0.020, LNG),
        rec(4, LAT + 0.0005, LNG, hours="Mo-Fr 20:00-22:00"),
    ]
    found = StationIndex.build(stations).nearest(Point(LAT, LNG), at=NOW, limit=5)
    assert ids(found) == [2, 1, 3]  # never the closed one; unknown after the open walk
    unknown = found[1]
    assert not unknown.state.is_open and not unknown.state.known
    assert unknown.distance_m == pytest.approx(111, abs=1)  # its real distance, not the rank
    assert found[0].state.is_open and found[0].state.known


def test_soonest_opening_when_nothing_is_open() -> None:
    index = StationIndex.build(
        [
            rec(1, LAT + 0.001, LNG, hours="Mo-Fr 08:00-20:00"),
            rec(2, LAT + 0.002, LNG, hours="Mo-Fr 07:00-20:00"),
            rec(3, LAT + 0.5, LNG, hours="Mo-Fr 06:00-20:00"),  # opens first but 55 km away
        ]
    )
    night = NOW.replace(hour=3)
    assert index.nearest(Point(LAT, LNG), at=night) == []
    first = index.soonest_opening(Point(LAT, LNG), at=night)
    assert first is not None and first.station.id == 2
    assert first.state.opens_at == NOW.replace(hour=7, minute=0)


def test_walk_and_ebike_minutes() -> None:
    index = StationIndex.build([rec(1, LAT + 1000 / 111_195, LNG), rec(2, LAT, LNG + 1e-6)])
    far, near = index.nearest(Point(LAT, LNG), at=NOW, limit=2)[::-1]
    assert far.distance_m == pytest.approx(1000, abs=1)
    # 1 km straight line × route factor 1.2 at 4 km/h walking and 15 km/h by e-bike.
    assert far.walk_minutes == round(1000 * ROUTE_FACTOR / WALK_M_PER_MIN) == 18
    assert far.ebike_minutes == round(1000 * ROUTE_FACTOR / EBIKE_M_PER_MIN) == 5
    assert near.walk_minutes == 1 and near.ebike_minutes == 1  # never "0 minutes"


def test_empty_index() -> None:
    index = StationIndex.build([])
    assert index.nearest(Point(LAT, LNG), at=NOW) == []
    assert index.soonest_opening(Point(LAT, LNG), at=NOW) is None


# --- agreement with brute force -------------------------------------------------------------

CODES = ("rest", "haircut", "meal_heating", "ebike_charging")
HOURS = ("24/7", "Mo-Fr 08:00-20:00; PH off", "Mo-Su 20:00-02:00", "Sa,Su 09:00-12:00", None)
TIMES = (
    NOW,
    EVENING,
    NOW.replace(hour=1),
    NOW + timedelta(days=4),
    datetime(2026, 10, 1, 10, tzinfo=CHINA_TZ),
)


def chord(a: Point, b: Point) -> float:
    def vec(p: Point) -> np.ndarray:
        la, lo = np.radians(p.lat), np.radians(p.lng)
        return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    return float(np.linalg.norm(vec(a) - vec(b)))


def brute_force(
    stations: list[StationRecord],
    point: Point,
    *,
    at: datetime,
    services: list[str],
    limit: int,
    max_distance_m: float | None,
    open_now: bool,
    demoted: set[int],
) -> list[int]:
    keep = []
    for s in stations:
        if s.status != "active" or not set(services) <= set(s.services):
            continue
        if open_now and s.hours_known and not is_open(s.opening_hours, at):
            continue
        d = distance_m(point, s.point)
        if max_distance_m is not None and d > max_distance_m:
            continue
        rank = chord(point, s.point)
        if not s.hours_known:  # ranked as if a 15-minute walk farther
            angle = 2 * math.asin(min(1.0, rank / 2)) + UNKNOWN_HOURS_PENALTY_M / EARTH_RADIUS_M
            rank = max(2 * math.sin(min(angle, math.pi) / 2), rank)
        keep.append((s.id in demoted, rank, s.id))
    return [sid for _, _, sid in sorted(keep)[:limit]]


spots = st.tuples(st.floats(40.0, 41.5), st.floats(110.5, 112.5))


class Scenario(TypedDict):
    """Stations and one query's arguments, for the index and for brute force alike."""

    stations: list[StationRecord]
    point: Point
    at: datetime
    services: list[str]
    limit: int
    max_distance_m: float | None
    open_now: bool
    demoted: set[int]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    pool = draw(st.lists(spots, min_size=1, max_size=12))  # shared spots make exact ties
    n = draw(st.integers(0, 60))
    stations = [
        rec(
            sid,
            *draw(st.one_of(st.sampled_from(pool), spots)),
            services=tuple(draw(st.sets(st.sampled_from(CODES)))),
            hours=draw(st.sampled_from(HOURS)),
            status=draw(st.sampled_from(("active", "active", "active", "suspended"))),
        )
        for sid in draw(st.permutations(range(1, n + 1)))
    ]
    return {
        "stations": stations,
        "point": Point(
            *draw(
                st.one_of(
                    st.sampled_from(pool),
                    spots,
                    st.tuples(st.floats(30.0, 53.0), st.floats(97.0, 126.0)),
                )
            )
        ),
        "at": draw(st.sampled_from(TIMES)),
        "services": sorted(draw(st.sets(st.sampled_from(CODES), max_size=2))),
        "limit": draw(st.integers(1, 12)),
        "max_distance_m": draw(st.one_of(st.none(), st.floats(100, 300_000))),
        "open_now": draw(st.booleans()),
        "demoted": draw(st.sets(st.integers(1, max(1, n)), max_size=4)),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_nearest_agrees_with_brute_force(case: Scenario) -> None:
    index = StationIndex.build(case["stations"])
    got = index.nearest(
        case["point"],
        at=case["at"],
        services=case["services"],
        limit=case["limit"],
        max_distance_m=case["max_distance_m"],
        open_now=case["open_now"],
        demoted=case["demoted"],
    )
    expected = brute_force(
        case["stations"],
        case["point"],
        at=case["at"],
        services=case["services"],
        limit=case["limit"],
        max_distance_m=case["max_distance_m"],
        open_now=case["open_now"],
        demoted=case["demoted"],
    )
    assert ids(got) == expected
    for m in got:
        assert m.distance_m == pytest.approx(distance_m(case["point"], m.station.point), abs=0.01)
        assert m.state.is_open or not case["open_now"] or not m.station.hours_known
        assert m.state.known == m.station.hours_known
        if not m.station.hours_known:
            assert not m.state.is_open


def test_many_distinct_hours_settled_as_the_search_meets_them() -> None:
    # More distinct expressions than are settled eagerly each minute: the search stops at each
    # unsettled one it needs, settles it, and goes on. Half of them are shut in the morning.
    rng = np.random.default_rng(11)
    stations = [
        rec(
            i,
            LAT + rng.normal(0, 0.05),
            LNG + rng.normal(0, 0.05),
            hours=f"Mo-Su {8 + i % 2 * 10:02d}:00-{19 + i // 120 % 5}:{i // 2 % 60:02d}; PH off",
        )
        for i in range(1, 1201)
    ]
    assert len({s.opening_hours for s in stations}) > 512  # more than the index settles at once
    index = StationIndex.build(stations)
    for point in (Point(LAT, LNG), Point(LAT + 0.08, LNG - 0.03), Point(45.0, 118.0)):
        for limit in (1, 5, 30):
            got = index.nearest(point, at=NOW, limit=limit)
            assert ids(got) == brute_force(
                stations,
                point,
                at=NOW,
                services=[],
                limit=limit,
                max_distance_m=None,
                open_now=True,
                demoted=set(),
            )
            assert got and all(i % 2 == 0 for i in ids(got))  # 08:00 openers; 18:00 ones are shut


def test_clustered_stations_agree_with_brute_force_across_window_sizes() -> None:
    # Dense city clusters and a sparse countryside make the search widen its window (and, far
    # away, check every station); every answer must still be exactly brute force's.
    rng = np.random.default_rng(5)
    centres = [(40.84, 111.75), (40.66, 109.84), (49.21, 119.77)]
    stations = []
    for i in range(1, 3001):
        if i % 5:
            lat0, lng0 = centres[i % 3]
            lat, lng = lat0 + rng.normal(0, 0.03), lng0 + rng.normal(0, 0.04)
        else:
            lat, lng = rng.uniform(38, 50), rng.uniform(98, 125)
        stations.append(
            rec(
                i,
                lat,
                lng,
                services=tuple(c for c in CODES if rng.random() < 0.3),
                hours=HOURS[i % len(HOURS)],
            )
        )
    index = StationIndex.build(stations)
    points = [Point(lat + rng.normal(0, 0.1), lng + rng.normal(0, 0.1)) for lat, lng in centres]
    points += [Point(rng.uniform(30, 53), rng.uniform(97, 126)) for _ in range(12)]
    demoted = {s.id for s in stations[::97]}
    for point in points:
        for services in ([], ["haircut"], ["rest", "meal_heating"]):
            for limit in (1, 7):
                kwargs = dict(
                    at=EVENING,
                    services=services,
                    limit=limit,
                    max_distance_m=None,
                    open_now=True,
                    demoted=demoted,
                )
                got = index.nearest(point, **kwargs)  # type: ignore[arg-type]
                assert ids(got) == brute_force(stations, point, **kwargs)  # type: ignore[arg-type]
