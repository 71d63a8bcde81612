"""Coordinate systems at the edges: WGS-84 (stored; GPS, Telegram), GCJ-02 (WeChat, Amap,
Tencent) and BD-09 (Baidu).

GCJ-02 is WGS-84 shifted by a published obfuscation formula; BD-09 is GCJ-02 shifted again.
The forward formulas are closed-form. Their inverses are not: a one-step subtraction is off by
metres, so `gcj02_to_wgs84` solves the forward formula by fixed-point iteration to below a
millimetre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_PI, _sin, _cos, _sqrt = math.pi, math.sin, math.cos, math.sqrt


class CoordSystem(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


@dataclass(frozen=True, slots=True)
class Point:
    """A position in WGS-84 degrees."""

    lat: float
    lng: float


def out_of_china(lat: float, lng: float) -> bool:
    """The rough box outside which GCJ-02 leaves coordinates unchanged."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    # The published formula, operation for operation (the same floats to the last bit), with
    # its two series inlined and `math` looked up once: a station's map links run this on every
    # located answer, and the calls and lookups were most of its cost.
    if out_of_china(lat, lng):
        return lat, lng
    x, y = lng - 105.0, lat - 35.0
    pi, sin = _PI, _sin
    common = (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * _sqrt(abs(x))
    dlat += common
    dlat += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * sin(y / 12.0 * pi) + 320 * sin(y * pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * _sqrt(abs(x))
    dlng += common
    dlng += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlng += (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1 - _EE * sin(radlat) ** 2
    sqrtmagic = _sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * _cos(radlat) * pi)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Exact inverse by fixed-point iteration: converges to < 1e-9° (≈ 0.1 mm) in a few steps."""
    if out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(30):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        dlat, dlng = glat - lat, glng - lng
        wlat, wlng = wlat - dlat, wlng - dlng
        if abs(dlat) < 1e-10 and abs(dlng) < 1e-10:
            break
    return wlat, wlng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """Baidu's published closed-form inverse, refined by fixed-point iteration: the closed form
    alone is up to ~12 cm off, so a stored point shown in BD-09 and read back would drift."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    glat, glng = z * math.sin(theta), z * math.cos(theta)
    for _ in range(10):
        blat, blng = gcj02_to_bd09(glat, glng)
        dlat, dlng = blat - lat, blng - lng
        glat, glng = glat - dlat, glng - dlng
        if abs(dlat) < 1e-10 and abs(dlng) < 1e-10:
            break
    return glat, glng


def to_wgs84(lat: float, lng: float, system: CoordSystem | str) -> Point:
    """A position given in `system`, as stored (WGS-84)."""
    system = CoordSystem(system)
    if system is CoordSystem.GCJ02:
        lat, lng = gcj02_to_wgs84(lat, lng)
    elif system is CoordSystem.BD09:
        lat, lng = gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))
    return Point(lat, lng)


def from_wgs84(point: Point, system: CoordSystem | str) -> tuple[float, float]:
    """A stored position as (lat, lng) in `system`."""
    system = CoordSystem(system)
    if system is CoordSystem.WGS84:
        return point.lat, point.lng
    gcj = wgs84_to_gcj02(point.lat, point.lng)
    return gcj if system is CoordSystem.GCJ02 else gcj02_to_bd09(*gcj)


def distance_m(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance on the mean-radius sphere; < 0.5 % from the ellipsoid."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lng - a.lng)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
