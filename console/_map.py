"""What the console's maps draw, as JSON for `static/map.js` (Leaflet, shipped by the
XStatic-Leaflet package and served from `/console/static/leaflet/`, never a CDN).

Stations are stored in WGS-84; every position here is converted to the system the tiles are
drawn in (`CONSOLE_TILE_COORD`, GCJ-02 for the default Amap tiles), so markers sit on the right
street. Markers and boundaries come from this server, so the map still shows them when no tile
server can be reached.

- `/console/map/stations.json?bbox=south,west,north,east` (or `?id=N`): listed stations in view,
  each with its state: open now, closed now, suspended, or reported closed by workers. At most
  `MAX_MARKERS`; the answer says how many were left out (zoom in to see them).
- `/console/map/boundaries.json`: imported league (or, for a county's staff, county) outlines.
- `/console/map/gaps.json`: urban sample points without 15-minute cross coverage.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import orjson
from aiohttp import web
from sqlalchemy import select

from core import json_response
from handlers import Services
from locations import (
    CoordSystem,
    Point,
    StationRecord,
    coverage_gaps,
    from_wgs84,
    in_areas,
    in_box,
    opening_state,
)
from referrals import Boundary

from ._pages import services_of, signed_in
from ._scope import Scope, scope_of

MAX_MARKERS = 1000
_BOUNDARY_TTL_S = 60.0


class _NoScope(Exception):
    pass


async def _scope(request: web.Request) -> Scope:
    found = await signed_in(request)
    if found is None:
        raise _NoScope
    scope = await scope_of(services_of(request), found[0])
    if not scope.sees_stations:
        raise _NoScope
    return scope


def _coord(services: Services) -> CoordSystem:
    return CoordSystem(services.settings.console_tile_coord)


def _shown(point: Point, coord: CoordSystem) -> list[float]:
    lat, lng = from_wgs84(point, coord)
    return [round(lat, 6), round(lng, 6)]


def _bbox(raw: str) -> tuple[float, float, float, float] | None:
    try:
        south, west, north, east = (float(v) for v in raw.split(","))
    except ValueError:
        return None
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        return None
    return south, west, north, east


def _states(stations: list[StationRecord], demoted: frozenset[int], now: Any) -> list[str]:
    """Each station's marker state; "open now" is worked out once per distinct hours (a
    city's stations share a handful of them)."""
    open_now: dict[str, bool] = {}
    out = []
    for s in stations:
        if s.status != "active":
            out.append("suspended")
        elif s.id in demoted:
            out.append("reported")
        else:
            hours = s.opening_hours
            if hours not in open_now:
                open_now[hours] = opening_state(hours, now).is_open
            out.append("open" if open_now[hours] else "closed")
    return out


async def stations_json(request: web.Request) -> web.Response:
    try:
        scope = await _scope(request)
    except _NoScope:
        return json_response({"error": "请先登录"}, status=401)
    services = services_of(request)
    coord = _coord(services)
    listed = services.finder.listed  # every station but the revoked
    raw_id = request.query.get("id", "")
    left = 0
    if raw_id.isdigit() and len(raw_id) < 12:
        one = services.finder.get(int(raw_id))
        found = [one] if one is not None and in_areas(one.league, one.county, scope.areas) else []
    else:
        box = _bbox(request.query.get("bbox", ""))
        if box is None:
            return json_response({"error": "bbox 应写成 南,西,北,东（纬度、经度）"}, status=400)
        # The view is in the tiles' system; a WGS-84 box a little larger covers its offset.
        pad = 0.01
        inside = in_box(
            listed, box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad, areas=scope.areas
        )
        if len(inside) > MAX_MARKERS:  # spread over the view, not the first rows found
            left = len(inside) - MAX_MARKERS
            inside = inside[np.linspace(0, len(inside) - 1, MAX_MARKERS).astype(np.int64)]
        found = [listed[p] for p in inside.tolist()]
    states = _states(found, await services.closed_reports.demoted(), services.clock.now())
    markers = [
        {
            "id": s.id,
            "name": s.name,
            "at": _shown(s.point, coord),
            "state": state,
            "hours": s.opening_hours_text or s.opening_hours,
        }
        for s, state in zip(found, states, strict=True)
    ]
    body = orjson.dumps({"stations": markers, "left_out": left})
    return web.Response(body=body, content_type="application/json", charset="utf-8")


_features: dict[tuple[int, str], tuple[float, list[tuple[Boundary, dict[str, Any]]]]] = {}


async def _boundary_features(services: Services) -> list[tuple[Boundary, dict[str, Any]]]:
    """Every imported boundary with its GeoJSON feature in the tiles' system, converted once
    a minute at most (boundaries change only with `yizhan regions import`)."""
    coord = _coord(services)
    key = (id(services), coord.value)
    cached = _features.get(key)
    if cached is not None and time.monotonic() - cached[0] < _BOUNDARY_TTL_S:
        return cached[1]
    async with services.db.session() as session:
        rows = list((await session.execute(select(Boundary))).scalars())
    features = [(b, _feature(b, coord)) for b in rows]
    _features[key] = (time.monotonic(), features)
    return features


def _feature(b: Boundary, coord: CoordSystem) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"name": b.name, "level": b.level},
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [
                [[_lnglat(v, coord) for v in ring] for ring in polygon] for polygon in b.polygons
            ],
        },
    }


async def boundaries_json(request: web.Request) -> web.Response:
    try:
        scope = await _scope(request)
    except _NoScope:
        return json_response({"error": "请先登录"}, status=401)
    features = await _boundary_features(services_of(request))
    names = {b.adcode: b.name for b, _f in features}
    wanted = []
    for b, feature in features:
        if scope.areas is None:
            keep = b.level == "league"
        else:
            league = names.get(b.parent, "") if b.level == "county" else b.name
            county = b.name if b.level == "county" else ""
            keep = any(
                (league == lg and ((ct and county == ct) or (not ct and not county)))
                for lg, ct in scope.areas
            )
        if keep:
            wanted.append(feature)
    return web.Response(
        body=orjson.dumps({"type": "FeatureCollection", "features": wanted}),
        content_type="application/json",
        charset="utf-8",
    )


def _lnglat(vertex: list[float], coord: CoordSystem) -> list[float]:
    lat, lng = from_wgs84(Point(vertex[1], vertex[0]), coord)
    return [round(lng, 6), round(lat, 6)]


async def gaps_json(request: web.Request) -> web.Response:
    try:
        scope = await _scope(request)
    except _NoScope:
        return json_response({"error": "请先登录"}, status=401)
    services = services_of(request)
    leagues = () if scope.areas is None else tuple(sorted({lg for lg, _ct in scope.areas}))
    body = await _gaps_body(services, leagues)
    return web.Response(body=body, content_type="application/json", charset="utf-8")


_gap_cache: dict[tuple[int, tuple[str, ...]], tuple[object, bytes]] = {}


async def _gaps_body(services: Services, leagues: tuple[str, ...]) -> bytes:
    """The gaps of the current index as JSON (computed once per index and set of leagues:
    a reload makes a new index)."""
    key = (id(services), leagues)
    index = services.finder.index
    cached = _gap_cache.get(key)
    if cached is not None and cached[0] is index:
        return cached[1]
    coord = _coord(services)
    gaps = await asyncio.to_thread(
        coverage_gaps, index.stations.lat, index.stations.lng, leagues=leagues
    )
    body = orjson.dumps(
        {
            "gaps": [
                {
                    "league": g.league,
                    "at": _shown(Point(g.lat, g.lng), coord),
                    "stations": g.stations,
                }
                for g in gaps
            ]
        }
    )
    _gap_cache[key] = (index, body)
    return body
