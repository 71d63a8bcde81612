"""Administrative regions as data: any province's adcode boundaries, and where a point or a
station belongs.

Boundaries come as GeoJSON in the nationwide DataV layout (`adcode`, `name`, `level`
province|city|district — or province|league|county — and `parent`, a code or DataV's
`{"adcode": …}`), usually in GCJ-02 (converted to WGS-84 here, the system stations are stored
in). The referrals domain keeps them in its table (`yizhan regions import`); coverage and case
routing ask a `RegionSet` built from them.

Placing a station: the county boundary containing its position; when none does (no boundaries
for that province, a station on a border simplified away), its own league/county fields, matched
by name to the loaded regions ("郑州" finds 郑州市, "金水" finds 金水区). A station is never
placed by the nearest seat of some other province.

Point-in-polygon is ray casting over numpy arrays: a bounding-box filter, then every edge of a
ring against all candidate points at once, so placing 200,000 stations is a few seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._coords import CoordSystem, Point, to_wgs84

LEVELS = {
    "province": "region",
    "region": "region",
    "league": "league",
    "city": "league",
    "county": "county",
    "district": "county",
}
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "省",
    "市",
    "盟",
    "区",
    "县",
    "旗",
)


class RegionFileError(ValueError):
    """A boundary file that cannot be used; the message is Chinese and names the feature."""


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative area; polygons of rings of [lng, lat] in WGS-84 (GeoJSON's order)."""

    adcode: str
    name: str
    level: str  # region | league | county
    parent: str
    polygons: list[Any] = field(compare=False, repr=False)
    bbox: tuple[float, float, float, float] = (
        0.0,
        0.0,
        0.0,
        0.0,
    )  # min lat, max lat, min lng, max lng

    @property
    def league_adcode(self) -> str:
        if self.level == "county":
            return self.parent or self.adcode[:4] + "00"
        return self.adcode if self.level == "league" else ""

    def contains(self, point: Point) -> bool:
        return bool(self.contains_many(np.array([point.lat]), np.array([point.lng]))[0])

    def contains_many(self, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
        lo_lat, hi_lat, lo_lng, hi_lng = self.bbox
        inside = np.zeros(len(lat), bool)
        near = np.flatnonzero((lat >= lo_lat) & (lat <= hi_lat) & (lng >= lo_lng) & (lng <= hi_lng))
        if not len(near):
            return inside
        y, x = lat[near], lng[near]
        hit = np.zeros(len(near), bool)
        for rings in self.polygons:
            in_poly = _in_ring(x, y, rings[0])
            for hole in rings[1:]:
                in_poly &= ~_in_ring(x, y, hole)
            hit |= in_poly
        inside[near] = hit
        return inside

    def centroid(self) -> Point:
        """Area-weighted centre of the largest polygon's outer ring (a district's core)."""
        best, best_area, best_c = None, -1.0, (0.0, 0.0)
        for rings in self.polygons:
            ring = np.asarray(rings[0], float)
            x, y = ring[:, 0], ring[:, 1]
            cross = x * np.roll(y, -1) - np.roll(x, -1) * y
            area = cross.sum() / 2
            if abs(area) > best_area and area:
                cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * area)
                cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * area)
                best, best_area, best_c = rings, abs(area), (cy, cx)
        if best is None:
            lo_lat, hi_lat, lo_lng, hi_lng = self.bbox
            return Point((lo_lat + hi_lat) / 2, (lo_lng + hi_lng) / 2)
        return Point(float(best_c[0]), float(best_c[1]))


def _in_ring(x: np.ndarray, y: np.ndarray, ring: Sequence[Sequence[float]]) -> np.ndarray:
    inside = np.zeros(len(x), bool)
    pts = np.asarray(ring, float)
    xi, yi = pts[:, 0], pts[:, 1]
    xj, yj = np.roll(xi, 1), np.roll(yi, 1)
    for a, b, c, d in zip(xi.tolist(), yi.tolist(), xj.tolist(), yj.tolist(), strict=True):
        if b == d:
            continue
        crosses = (b > y) != (d > y)
        if crosses.any():
            inside ^= crosses & (x < (c - a) * (y - b) / (d - b) + a)
    return inside


def short_name(name: str) -> str:
    """郑州市 → 郑州, 金水区 → 金水, 锡林郭勒盟 → 锡林郭勒 (names people shorten)."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


class RegionSet:
    """The loaded regions, for placing points and stations."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self.regions = list(regions)
        self.by_code = {r.adcode: r for r in self.regions}
        self.counties = [r for r in self.regions if r.level == "county"]
        self.leagues = [r for r in self.regions if r.level == "league"]
        self._names: dict[tuple[str, str], list[Region]] = {}
        for r in self.regions:
            for key in {r.name, short_name(r.name)}:
                self._names.setdefault((r.level, key), []).append(r)

    def __bool__(self) -> bool:
        return bool(self.regions)

    def county_at(self, point: Point) -> Region | None:
        for county in self.counties:
            if county.contains(point):
                return county
        return None

    def counties_of(self, lat: np.ndarray, lng: np.ndarray) -> list[Region | None]:
        """Per point, the county containing it (None outside every loaded county)."""
        found: list[Region | None] = [None] * len(lat)
        left = np.ones(len(lat), bool)
        for county in self.counties:
            idx = np.flatnonzero(left)
            if not len(idx):
                break
            hit = idx[county.contains_many(lat[idx], lng[idx])]
            for i in hit.tolist():
                found[i] = county
            left[hit] = False
        return found

    def named(self, league: str, county: str) -> tuple[Region | None, Region | None]:
        """(league, county) as a record names them; a county must sit in the named league."""
        found_league = self._one("league", league)
        found_county = None
        for candidate in self._all("county", county):
            if found_league is None or candidate.league_adcode == found_league.adcode:
                found_county = candidate
                break
        if found_league is None and found_county is not None:
            found_league = self.by_code.get(found_county.league_adcode)
        return found_league, found_county

    def _all(self, level: str, name: str) -> list[Region]:
        name = name.strip()
        if not name:
            return []
        return self._names.get((level, name)) or self._names.get((level, short_name(name)), [])

    def _one(self, level: str, name: str) -> Region | None:
        found = self._all(level, name)
        return found[0] if len(found) == 1 else None


def _ring_wgs(ring: list[list[float]], coord: CoordSystem) -> list[list[float]]:
    out = []
    for lng, lat, *_ in ring:
        p = to_wgs84(float(lat), float(lng), coord)
        out.append([round(p.lng, 6), round(p.lat, 6)])
    return out


def _parent(value: Any) -> str:
    if isinstance(value, dict):  # DataV writes {"adcode": 410000}
        value = value.get("adcode")
    return "" if value is None else str(value).strip()


def parse_regions(text: str, coord: CoordSystem = CoordSystem.GCJ02) -> list[Region]:
    """Regions from a boundary GeoJSON (DataV or our own layout); `RegionFileError` in Chinese."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegionFileError(f"文件不是有效的 GeoJSON：第 {exc.lineno} 行有误。") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features:
        raise RegionFileError("文件里没有区域（需要 GeoJSON FeatureCollection）。")
    out: list[Region] = []
    for n, feature in enumerate(features, 1):
        props = (feature.get("properties") if isinstance(feature, dict) else None) or {}
        geometry = (feature.get("geometry") if isinstance(feature, dict) else None) or {}
        adcode, name = str(props.get("adcode") or "").strip(), str(props.get("name") or "").strip()
        level = LEVELS.get(str(props.get("level") or "").strip())
        if not adcode.isdigit() or len(adcode) != 6 or not name or level is None:
            raise RegionFileError(
                f"第 {n} 个区域缺少 6 位 adcode、名称或级别（province/city/district）。"
            )
        if geometry.get("type") == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            raise RegionFileError(f"“{name}”的边界不是 Polygon 或 MultiPolygon。")
        try:
            wgs = [[_ring_wgs(ring, coord) for ring in poly] for poly in polygons]
        except (TypeError, ValueError, IndexError):
            raise RegionFileError(f"“{name}”的边界坐标格式不对。") from None
        lngs = [p[0] for poly in wgs for p in poly[0]]
        lats = [p[1] for poly in wgs for p in poly[0]]
        if not lngs:
            raise RegionFileError(f"“{name}”的边界是空的。")
        out.append(
            Region(
                adcode,
                name,
                level,
                _parent(props.get("parent")),
                wgs,
                (min(lats), max(lats), min(lngs), max(lngs)),
            )
        )
    return out
