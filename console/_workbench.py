"""Routes of the station, coverage and union pages, mounted by `console.setup`.

Leaflet comes from the XStatic-Leaflet package (PyPI; Leaflet's own built files as package
data, kept in step with Leaflet releases): served at `/console/static/leaflet/`, so the pages load
nothing from another site and no build step or vendored copy is needed.
"""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as xstatic_leaflet
from aiohttp import web

from . import _coverage, _map, _station_files, _station_form, _stations, _unions

LEAFLET = Path(xstatic_leaflet.BASE_DIR)
STATION = r"/stations/{station_id:\d+}"
UNION = r"/unions/{union_id:\d+}"


def add_routes(console: web.Application) -> None:
    r = console.router
    r.add_get("/stations", _stations.stations_page)
    r.add_get("/stations/new", _station_form.new_station_form)
    r.add_post("/stations/new", _station_form.save_station_form)
    r.add_get("/stations/hours.json", _station_form.hours_preview)
    r.add_get("/stations/import", _station_files.import_form)
    r.add_post("/stations/import", _station_files.upload)
    r.add_post("/stations/import/apply", _station_files.apply)
    r.add_get("/stations/export", _station_files.export)  # ?format=xlsx|csv|geojson
    r.add_get(STATION, _stations.station_page)
    r.add_get(STATION + "/edit", _station_form.edit_station_form)
    r.add_post(STATION + "/edit", _station_form.save_station_form)
    for action in _stations.ACTIONS:  # one route each: no placeholder to guess
        r.add_post(f"{STATION}/{action}", _stations.change_status)
    r.add_get("/map/stations.json", _map.stations_json)
    r.add_get("/map/boundaries.json", _map.boundaries_json)
    r.add_get("/map/gaps.json", _map.gaps_json)
    r.add_get("/coverage", _coverage.coverage_page)
    r.add_get("/unions", _unions.unions_page)
    r.add_post("/unions/new", _unions.add_union)
    r.add_get(UNION, _unions.union_page)
    r.add_post(UNION + "/chats", _unions.set_chats)
    r.add_post(UNION + "/staff", _unions.add_staff)
    r.add_post(UNION + r"/staff/{staff_id:\d+}/remove", _unions.remove_staff)
    r.add_post(UNION + r"/staff/{staff_id:\d+}/password", _unions.reset_password)
    r.add_static("/static/leaflet/", LEAFLET)  # the longer prefix wins over /static/
