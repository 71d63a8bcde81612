"""Which administrative area a point is in: imported boundaries, else the nearest county seat.

Boundaries come from `yizhan regions import FILE` (GeoJSON features with `adcode`, `name`,
`level` province|league|county and `parent`). Files published in China are usually GCJ-02, so
the importer converts every vertex to WGS-84 (`--coord`, default gcj02) — the system stations
and shared locations are stored in. Lookup is a bounding-box filter then ray casting: 116 areas
with rings simplified to ~200 m take microseconds, so no spatial library is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from core.db import Database
from locations import CoordSystem, Point, to_wgs84

from ._errors import RegionError
from ._models import Boundary

LEVELS = {
    "province": "region",
    "region": "region",
    "league": "league",
    "city": "league",
    "county": "county",
    "district": "county",
}


@dataclass(frozen=True, slots=True)
class Area:
    """Where a case is: its county, league and region (adcodes and names)."""

    county_adcode: str
    county: str
    league_adcode: str
    league: str
    region_adcode: str = "150000"
    source: str = "boundary"  # boundary | seat


def _ring_wgs(ring: list[list[float]], coord: CoordSystem) -> list[list[float]]:
    out = []
    for lng, lat, *_ in ring:
        p = to_wgs84(float(lat), float(lng), coord)
        out.append([round(p.lng, 6), round(p.lat, 6)])
    return out


def parse_boundaries(text: str, coord: CoordSystem = CoordSystem.GCJ02) -> list[Boundary]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegionError(f"文件不是有效的 GeoJSON：第 {exc.lineno} 行有误。") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features:
        raise RegionError("文件里没有区域（需要 GeoJSON FeatureCollection）。")
    out: list[Boundary] = []
    for n, feature in enumerate(features, 1):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        adcode, name = str(props.get("adcode") or "").strip(), str(props.get("name") or "").strip()
        level = LEVELS.get(str(props.get("level") or "").strip())
        if not adcode.isdigit() or len(adcode) != 6 or not name or level is None:
            raise RegionError(
                f"第 {n} 个区域缺少 6 位 adcode、名称或级别（province/league/county）。"
            )
        if geometry.get("type") == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            raise RegionError(f"“{name}”的边界不是 Polygon 或 MultiPolygon。")
        try:
            wgs = [[_ring_wgs(ring, coord) for ring in poly] for poly in polygons]
        except (TypeError, ValueError, IndexError):
            raise RegionError(f"“{name}”的边界坐标格式不对。") from None
        lngs = [p[0] for poly in wgs for p in poly[0]]
        lats = [p[1] for poly in wgs for p in poly[0]]
        if not lngs:
            raise RegionError(f"“{name}”的边界是空的。")
        out.append(
            Boundary(
                adcode=adcode,
                name=name,
                level=level,
                parent=str(props.get("parent") or ""),
                min_lat=min(lats),
                max_lat=max(lats),
                min_lng=min(lngs),
                max_lng=max(lngs),
                polygons=wgs,
            )
        )
    return out


async def import_boundaries(
    db: Database, path: Path, coord: CoordSystem = CoordSystem.GCJ02
) -> int:
    """Replace the boundaries with the file's, in one transaction; the number imported."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionError(f"读不了文件 {path}：{exc}") from None
    rows = parse_boundaries(text, coord)
    async with db.transaction() as session:
        await session.execute(delete(Boundary))
        session.add_all(rows)
    return len(rows)


def _inside_ring(lng: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(boundary: Boundary, point: Point) -> bool:
    if not (
        boundary.min_lat <= point.lat <= boundary.max_lat
        and boundary.min_lng <= point.lng <= boundary.max_lng
    ):
        return False
    polygons: list[Any] = boundary.polygons
    for rings in polygons:
        if _inside_ring(point.lng, point.lat, rings[0]) and not any(
            _inside_ring(point.lng, point.lat, hole) for hole in rings[1:]
        ):
            return True
    return False


class AreaFinder:
    """Point → area. Boundaries are read once per process and again after an import."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._counties: list[Boundary] | None = None
        self._names: dict[str, str] = {}

    async def reload(self) -> None:
        async with self._db.session() as session:
            rows = list((await session.execute(select(Boundary))).scalars())
        self._counties = [b for b in rows if b.level == "county"]
        self._names = {b.adcode: b.name for b in rows}

    async def area_of(self, point: Point) -> Area:
        if self._counties is None:
            await self.reload()
        for county in self._counties or ():
            if contains(county, point):
                league_code = county.parent or county.adcode[:4] + "00"
                return Area(
                    county.adcode,
                    county.name,
                    league_code,
                    self._names.get(league_code, ""),
                    league_code[:2] + "0000",
                )
        return seat_area(point)


def seat_area(point: Point) -> Area:
    """The area whose county seat is nearest (no boundaries loaded, or a point outside them)."""
    try:
        from locations import nearest_seat
    except ImportError:  # until the locations door exports the seats table
        from locations._seats import nearest_seat

    seat = nearest_seat(point)
    league_code = seat.adcode[:4] + "00"
    return Area(
        seat.adcode, seat.name, league_code, seat.league, league_code[:2] + "0000", source="seat"
    )
