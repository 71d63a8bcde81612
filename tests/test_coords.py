"""Coordinate conversions against published reference vectors, and the exact GCJ→WGS inverse."""

from __future__ import annotations

import pytest

from locations import (
    CoordSystem,
    Point,
    distance_m,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)

# googollee/eviltransform, python/test.py and go/transform_test.go (TESTS):
# (wgsLat, wgsLng, gcjLat, gcjLng). Its own tests check 6 decimals; we check 1e-9°.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # beijing
]
# eviltransform's python/test.py also lists two BD-09 → WGS-84 vectors (29.199786, 120.019809 …);
# they are 10 m and 41 m away from what its own published formula gives, so they are not usable
# as reference vectors and are left out on purpose.

# wandergis/coordtransform, README.md "result" block (their order is lng, lat; ours lat, lng).
CT_POINT = (39.915, 116.404)
CT_WGS84_TO_GCJ02 = (39.91640428150164, 116.41024449916938)
CT_GCJ02_TO_BD09 = (39.92133699351021, 116.41036949371029)
CT_BD09_TO_GCJ02 = (39.90865673957631, 116.39762729119315)
# coordtransform's gcj02towgs84 is the one-step approximation (metres off), not a reference for
# the exact inverse; it is used below to show the iterative inverse is the better one.
CT_GCJ02_TO_WGS84_ONE_STEP = (39.91359571849836, 116.39775550083061)

DEG = 1e-9  # ≈ 0.1 mm


def close(a: tuple[float, float], b: tuple[float, float], tol: float = DEG) -> bool:
    return abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_eviltransform_vectors_forward(wlat: float, wlng: float, glat: float, glng: float) -> None:
    assert close(wgs84_to_gcj02(wlat, wlng), (glat, glng))
    assert close(from_wgs84(Point(wlat, wlng), CoordSystem.GCJ02), (glat, glng))


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_eviltransform_vectors_exact_inverse(
    wlat: float, wlng: float, glat: float, glng: float
) -> None:
    # eviltransform asks its "exact" inverse for < 0.5 m; we ask for < 1 mm.
    back = to_wgs84(glat, glng, "gcj02")
    assert distance_m(back, Point(wlat, wlng)) < 0.001


def test_coordtransform_readme_vectors() -> None:
    assert close(wgs84_to_gcj02(*CT_POINT), CT_WGS84_TO_GCJ02)
    assert close(gcj02_to_bd09(*CT_POINT), CT_GCJ02_TO_BD09)
    # BD-09 → GCJ-02 through the public door: BD-09 in, WGS-84 out, back to GCJ-02.
    # coordtransform uses Baidu's closed-form inverse, which is a few cm off the exact inverse
    # of the forward formula that we compute; so: within 10 cm of theirs…
    stored = to_wgs84(*CT_POINT, "bd09")
    gcj = from_wgs84(stored, "gcj02")
    assert distance_m(Point(*gcj), Point(*CT_BD09_TO_GCJ02)) < 0.1
    # …and exact against the forward formula (which their vector above confirms).
    assert close(gcj02_to_bd09(*gcj), CT_POINT)


def test_iterative_inverse_beats_the_one_step_subtraction() -> None:
    exact = gcj02_to_wgs84(*CT_POINT)
    # Going forward again lands on the GCJ-02 input to the millimetre…
    assert distance_m(Point(*wgs84_to_gcj02(*exact)), Point(*CT_POINT)) < 0.001
    # …while the published one-step answer lands more than a centimetre off.
    one_step_error = distance_m(
        Point(*wgs84_to_gcj02(*CT_GCJ02_TO_WGS84_ONE_STEP)), Point(*CT_POINT)
    )
    assert one_step_error > 0.01
    assert distance_m(Point(*exact), Point(*CT_GCJ02_TO_WGS84_ONE_STEP)) < 5


def _grid() -> list[tuple[float, float]]:
    # Every 1.5° over mainland China's box (and Inner Mongolia's far corners inside it).
    lats = [18.0 + 1.5 * i for i in range(24)]  # 18 … 52.5
    lngs = [74.0 + 1.5 * j for j in range(42)]  # 74 … 135.5
    return [(la, lo) for la in lats for lo in lngs]


def test_gcj_inverse_exact_to_a_centimetre_across_china() -> None:
    worst = 0.0
    for lat, lng in _grid():
        gcj = wgs84_to_gcj02(lat, lng)
        back = gcj02_to_wgs84(*gcj)
        worst = max(worst, distance_m(Point(*back), Point(lat, lng)))
    assert worst < 0.01, worst


def test_bd09_round_trips_across_china() -> None:
    worst = 0.0
    for lat, lng in _grid():
        for system in (CoordSystem.BD09, CoordSystem.GCJ02):
            shown = from_wgs84(Point(lat, lng), system)
            back = to_wgs84(*shown, system)
            worst = max(worst, distance_m(back, Point(lat, lng)))
    # Both inverses are iterative: shown in BD-09 or GCJ-02 and read back, a point stays put.
    assert worst < 0.01, worst


def test_bd09_shift_is_real() -> None:
    # A guard against a conversion that silently returns its input: Beijing moves by hundreds of
    # metres from WGS-84 to BD-09.
    lat, lng = CT_POINT
    assert distance_m(Point(*from_wgs84(Point(lat, lng), "bd09")), Point(lat, lng)) > 300


@pytest.mark.parametrize(
    "point",
    [(48.8584, 2.2945), (-33.8568, 151.2153), (40.6892, -74.0445), (35.6586, 139.7454)],
)
def test_outside_china_unchanged(point: tuple[float, float]) -> None:
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point
    assert to_wgs84(*point, "gcj02") == Point(*point)
    assert from_wgs84(Point(*point), "gcj02") == point


def test_unknown_system_is_refused() -> None:
    with pytest.raises(ValueError):
        to_wgs84(40.0, 111.0, "mars")
