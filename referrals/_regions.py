"""Which administrative area a case is in: imported boundaries, the station's own league/county,
else (only near one) the nearest built-in county seat.

Boundaries come from `yizhan regions import FILE`, any province's, in the DataV layout
(`locations.parse_regions`: adcode, name, level, parent; GCJ-02 converted to WGS-84). Placing a
case, in order:
1. the county boundary containing its point;
2. the league/county its station's record names, matched to the loaded regions (or, for the
   built-in Inner Mongolia demo seats, to that table) — a 郑州市 station's case stays in 郑州市;
3. the nearest built-in county seat, only when one is within `SEAT_REACH_M` (the seats are the
   demo's, one province's: a point far from all of them is in another province);
4. otherwise no area: the case goes to whichever union the directory falls back to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from core.db import Database
from locations import (
    COUNTIES,
    CoordSystem,
    Point,
    Region,
    RegionFileError,
    RegionSet,
    distance_m,
    league_of,
    nearest_seat,
    parse_regions,
)

from ._errors import RegionError
from ._models import Boundary

SEAT_REACH_M = 150_000.0  # beyond this from every built-in seat, a point is not placed by seats


@dataclass(frozen=True, slots=True)
class Area:
    """Where a case is: its county, league and region (adcodes and names)."""

    county_adcode: str
    county: str
    league_adcode: str
    league: str
    region_adcode: str = "150000"
    source: str = "boundary"  # boundary | record | seat | none


def parse_boundaries(text: str, coord: CoordSystem = CoordSystem.GCJ02) -> list[Boundary]:
    try:
        regions = parse_regions(text, coord)
    except RegionFileError as exc:
        raise RegionError(str(exc)) from None
    return [
        Boundary(
            adcode=r.adcode,
            name=r.name,
            level=r.level,
            parent=r.parent,
            min_lat=r.bbox[0],
            max_lat=r.bbox[1],
            min_lng=r.bbox[2],
            max_lng=r.bbox[3],
            polygons=r.polygons,
        )
        for r in regions
    ]


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


def region_of(b: Boundary) -> Region:
    return Region(
        b.adcode,
        b.name,
        b.level,
        b.parent,
        b.polygons,
        (b.min_lat, b.max_lat, b.min_lng, b.max_lng),
    )


async def load_regions(db: Database) -> RegionSet:
    """The imported boundaries as a `locations.RegionSet` (empty when none were imported)."""
    async with db.session() as session:
        rows = list((await session.execute(select(Boundary))).scalars())
    return RegionSet(region_of(b) for b in rows)


def contains(boundary: Boundary, point: Point) -> bool:
    return region_of(boundary).contains(point)


class AreaFinder:
    """Point (and the station's own fields) → area. Boundaries are read once per process and
    again after an import."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._regions: RegionSet | None = None

    async def reload(self) -> None:
        self._regions = await load_regions(self._db)

    async def area_of(self, point: Point, *, league: str = "", county: str = "") -> Area:
        if self._regions is None:
            await self.reload()
        regions = self._regions or RegionSet(())
        found = regions.county_at(point)
        if found is not None:
            return _area(regions, found.league_adcode, found)
        if league or county:
            named_league, named_county = regions.named(league, county)
            if named_county is not None or named_league is not None:
                code = named_league.adcode if named_league else named_county.league_adcode  # type: ignore[union-attr]
                return _area(regions, code, named_county, source="record")
            return record_area(league, county)
        return seat_area(point)


def _area(
    regions: RegionSet, league_code: str, county: Region | None, source: str = "boundary"
) -> Area:
    league = regions.by_code.get(league_code)
    return Area(
        county.adcode if county else "",
        county.name if county else "",
        league_code,
        league.name if league else "",
        league_code[:2] + "0000" if league_code else "",
        source=source,
    )


def record_area(league: str, county: str) -> Area:
    """The area a station's record names when no boundary is loaded for it: the built-in seats
    when they know the names (the Inner Mongolia demo), else the names alone."""
    found_league = league_of(league) if league else None
    if league and found_league is None:
        return Area("", county, "", league, "", source="record")  # another province's city
    matches = [
        c
        for c in COUNTIES
        if county in (c.name, c.short_name, *c.aliases)
        and (found_league is None or c.league == found_league.name)
    ]
    if len(matches) == 1:
        seat = matches[0]
        code = seat.adcode[:4] + "00"
        return Area(seat.adcode, seat.name, code, seat.league, code[:2] + "0000", source="record")
    if found_league is not None:
        code = found_league.adcode
        return Area("", county, code, found_league.name, code[:2] + "0000", source="record")
    return Area("", county, "", league, "", source="record")


def seat_area(point: Point) -> Area:
    """The area whose built-in county seat is nearest, when one is near; else no area."""
    seat = nearest_seat(point)
    if distance_m(point, seat.point) > SEAT_REACH_M:
        return Area("", "", "", "", "", source="none")
    league_code = seat.adcode[:4] + "00"
    return Area(
        seat.adcode, seat.name, league_code, seat.league, league_code[:2] + "0000", source="seat"
    )
