"""What `coverage` measures against: leagues, counties and main urban areas — from imported
boundaries (any province) or, when none are loaded, the built-in Inner Mongolia seats — and
where each station belongs among them.

Main urban area (主城区) of a league/city: discs around the seats of its main urban districts.
Built in: the districts `_seats` marks urban, with their radii. From boundaries: the league's
county-level areas named …区 (市辖区), each a 3 km disc around its centre (the boundary's
area-weighted centroid), since the DataV layout does not say which districts are built up.

Uncovered spots: the sample points of an urban area within a 15-minute walk of fewer than two
stations, joined with their grid neighbours into spots (scipy.ndimage.label), largest first, so
staff see where to build next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._coords import Point
from ._record import StationRecord
from ._regions import RegionSet
from ._seats import COUNTIES, LEAGUES, Place, league_of, urban_places

UNKNOWN_LEAGUE = "未注明盟市"
UNKNOWN_COUNTY = "未注明旗县区"
DISTRICT_RADIUS_M = 3000.0  # the built-up core around a district seat (boundaries only)
_M_PER_DEG = 111_195.0


@dataclass(frozen=True, slots=True)
class UrbanArea:
    league: str
    districts: tuple[str, ...]
    centres: tuple[Point, ...]
    radius_m: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Spot:
    """A patch of an urban area short of cross coverage."""

    league: str
    lat: float  # centre, WGS-84
    lng: float
    sample_points: int
    most_stations: int  # the most stations within a walk of any of its points (0 or 1)
    area_km2: float

    def to_dict(self) -> dict[str, object]:
        return {
            "league": self.league,
            "lat": round(self.lat, 6),
            "lng": round(self.lng, 6),
            "sample_points": self.sample_points,
            "area_km2": round(self.area_km2, 2),
            "stations_within_walk": self.most_stations,
        }


@dataclass(frozen=True, slots=True)
class Areas:
    source: str  # "boundaries" | "built-in"
    leagues: tuple[str, ...]
    counties: dict[str, tuple[str, ...]]  # league → its counties, in order
    urban: tuple[UrbanArea, ...]


def builtin_areas() -> Areas:
    urban = []
    for league in LEAGUES:
        districts = urban_places(league.name)
        urban.append(
            UrbanArea(
                league.name,
                tuple(d.name for d in districts),
                tuple(d.point for d in districts),
                tuple(d.urban_radius_m for d in districts),
            )
        )
    counties = {lg.name: tuple(c.name for c in COUNTIES if c.league == lg.name) for lg in LEAGUES}
    return Areas("built-in", tuple(lg.name for lg in LEAGUES), counties, tuple(urban))


def region_areas(regions: RegionSet) -> Areas:
    urban = []
    counties: dict[str, tuple[str, ...]] = {}
    for league in regions.leagues:
        own = [c for c in regions.counties if c.league_adcode == league.adcode]
        counties[league.name] = tuple(c.name for c in own)
        districts = [c for c in own if c.name.endswith("区")] or own[:1]
        urban.append(
            UrbanArea(
                league.name,
                tuple(d.name for d in districts),
                tuple(d.centroid() for d in districts),
                (DISTRICT_RADIUS_M,) * len(districts),
            )
        )
    return Areas("boundaries", tuple(counties), counties, tuple(urban))


def place_stations(
    stations: Sequence[StationRecord], regions: RegionSet | None
) -> list[tuple[str, str]]:
    """(league, county) of each station: its boundary, else its own fields as named."""
    if regions:
        lat = np.fromiter((s.point.lat for s in stations), float, len(stations))
        lng = np.fromiter((s.point.lng for s in stations), float, len(stations))
        found = regions.counties_of(lat, lng)
        out = []
        for s, county in zip(stations, found, strict=True):
            if county is None:
                league_region, county_region = regions.named(s.league, s.county)
            else:
                league_region = regions.by_code.get(county.league_adcode)
                county_region = county
            out.append(
                (
                    league_region.name if league_region else UNKNOWN_LEAGUE,
                    county_region.name if county_region else UNKNOWN_COUNTY,
                )
            )
        return out
    return [_builtin_place(s.league, s.county) for s in stations]


_BUILTIN_CACHE: dict[tuple[str, str], tuple[str, str]] = {}


def _builtin_place(league: str, county: str) -> tuple[str, str]:
    key = (league, county)
    found = _BUILTIN_CACHE.get(key)
    if found is None:
        place = league_of(league) if league.strip() else None
        name = place.name if place else UNKNOWN_LEAGUE
        match = next(
            (
                c.name
                for c in COUNTIES
                if c.league == name and county and county in (c.name, c.short_name, *c.aliases)
            ),
            UNKNOWN_COUNTY,
        )
        found = _BUILTIN_CACHE[key] = (name, match)
    return found


def sample_grid(area: UrbanArea, step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lng) rows of a regular grid over the area, and each row's (column, row) cell."""
    if not area.centres:
        return np.empty((0, 2)), np.empty(0, int), np.empty(0, int)
    lat0, lng0 = area.centres[0].lat, area.centres[0].lng
    m_per_deg_lng = _M_PER_DEG * math.cos(math.radians(lat0))
    cx = np.array([(c.lng - lng0) * m_per_deg_lng for c in area.centres])
    cy = np.array([(c.lat - lat0) * _M_PER_DEG for c in area.centres])
    cr = np.array(area.radius_m)
    xs = np.arange(math.floor((cx - cr).min() / step_m), math.ceil((cx + cr).max() / step_m) + 1)
    ys = np.arange(math.floor((cy - cr).min() / step_m), math.ceil((cy + cr).max() / step_m) + 1)
    gx, gy = np.meshgrid(xs, ys)
    ix, iy = gx.ravel(), gy.ravel()
    x, y = ix * step_m, iy * step_m
    inside = (np.hypot(x[:, None] - cx, y[:, None] - cy) <= cr).any(axis=1)
    points = np.column_stack((lat0 + y[inside] / _M_PER_DEG, lng0 + x[inside] / m_per_deg_lng))
    return points, ix[inside] - xs[0], iy[inside] - ys[0]


def uncovered_spots(
    league: str,
    points: np.ndarray,
    ix: np.ndarray,
    iy: np.ndarray,
    counts: np.ndarray,
    step_m: float,
) -> tuple[Spot, ...]:
    short = counts < 2
    if not short.any():
        return ()
    from scipy import ndimage  # only the report needs scipy

    image = np.zeros((int(iy.max()) + 1, int(ix.max()) + 1), bool)
    image[iy[short], ix[short]] = True
    labels, _n = ndimage.label(image, structure=np.ones((3, 3), bool))
    spot_of = labels[iy[short], ix[short]]
    lat, lng, have = points[short, 0], points[short, 1], counts[short]
    spots = []
    for label in np.unique(spot_of).tolist():
        members = spot_of == label
        n = int(members.sum())
        spots.append(
            Spot(
                league,
                float(lat[members].mean()),
                float(lng[members].mean()),
                n,
                int(have[members].max()),
                n * step_m * step_m / 1e6,
            )
        )
    spots.sort(key=lambda s: (-s.sample_points, s.lat, s.lng))
    return tuple(spots)


def urban_sample_points(league: Place, step_m: float = 200.0) -> np.ndarray:
    """(lat, lng) rows of a regular grid over the built-in league/city's main urban area."""
    districts = urban_places(league.name)
    area = UrbanArea(
        league.name,
        tuple(d.name for d in districts),
        tuple(d.point for d in districts),
        tuple(d.urban_radius_m for d in districts),
    )
    return sample_grid(area, step_m)[0]
