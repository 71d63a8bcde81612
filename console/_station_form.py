"""The station form (`/console/stations/new`, `/console/stations/{id}/edit`): hours typed in
Chinese, checked as they are typed (`GET /console/stations/hours.json`), and the form read by the
importer's own row reader (`locations.read_station_form`), so a station typed here passes
exactly the checks of a file row. A saved change is live in this process's search at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from core import json_response
from locations import (
    SERVICES,
    CoordSystem,
    HoursError,
    Point,
    Station,
    StationEditError,
    StationStatus,
    from_wgs84,
    in_areas,
    opening_state,
    read_hours,
    read_station_form,
    save_station,
)

from ._pages import (
    NOT_FOUND,
    Refused,
    form_of,
    local_time,
    render,
    see_other,
    services_of,
    signed_in,
)
from ._scope import scope_of
from ._stations import (
    BUILD_LABELS,
    FORM_FIELDS,
    KIND_LABELS,
    own_station,
    staff_scope,
    tile_coord,
)


def _form_values(station: Station | None, coord: str) -> dict[str, Any]:
    if station is None:
        blank: dict[str, Any] = dict.fromkeys(FORM_FIELDS, "")
        return {
            **blank,
            "coord": coord,
            "services": [],
            "kind": "standard",
            "build_mode": "self",
            "most_beautiful": False,
            "smart_24h": False,
        }
    lat, lng = from_wgs84(Point(station.lat, station.lng), CoordSystem(coord))
    return {
        **{name: getattr(station, name, "") for name in FORM_FIELDS if hasattr(station, name)},
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "coord": coord,
        "area_m2": "" if station.area_m2 is None else f"{station.area_m2:g}",
        "opening_hours": station.opening_hours_text or station.opening_hours,
        "extras": "、".join(station.extras),
        "services": list(station.services),
        "most_beautiful": station.most_beautiful,
        "smart_24h": station.smart_24h,
    }


def _render_form(
    request: web.Request,
    station: Station | None,
    values: Mapping[str, Any],
    *,
    error: str = "",
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "station_form.html",
        {
            "s": station,
            "v": values,
            "error": error,
            "services": SERVICES,
            "kinds": KIND_LABELS,
            "builds": BUILD_LABELS,
        },
        status=status,
    )


async def new_station_form(request: web.Request) -> web.Response:
    await staff_scope(request)
    return _render_form(request, None, _form_values(None, tile_coord(request)))


async def edit_station_form(request: web.Request) -> web.Response:
    scope = await staff_scope(request)
    station = await own_station(request, scope)
    if station.status == StationStatus.REVOKED:
        raise Refused(409, "驿站已撤销", "撤销的驿站不能再修改，历史记录仍可查看。")
    return _render_form(request, station, _form_values(station, tile_coord(request)))


def _submitted(form: Mapping[str, Any], station: Station | None) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in FORM_FIELDS}
    if station is not None:
        values["code"] = station.code  # the stable key never changes
    values["services"] = (
        [str(v) for v in form.getall("services", [])] if hasattr(form, "getall") else []
    )
    values["most_beautiful"] = form.get("most_beautiful") == "on"
    values["smart_24h"] = form.get("smart_24h") == "on"
    return values


def _as_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """The form as an import row (the importer's reader checks it)."""
    row = {name: values[name] for name in FORM_FIELDS}
    row["services"] = list(values["services"])
    row["most_beautiful"] = "是" if values["most_beautiful"] else "否"
    row["smart_24h"] = "是" if values["smart_24h"] else "否"
    return row


async def save_station_form(request: web.Request) -> web.Response:
    account, _session, form = await form_of(request)
    services = services_of(request)
    scope = await scope_of(services, account)
    if not scope.sees_stations:
        raise Refused(404, *NOT_FOUND)
    station = await own_station(request, scope) if "station_id" in request.match_info else None
    values = _submitted(form, station)
    read = read_station_form(_as_row(values))
    if isinstance(read, str):
        return _render_form(request, station, values, error=read, status=422)
    if not in_areas(read.league, read.county, scope.areas):
        areas = "、".join(f"{lg}{ct}" for lg, ct in scope.areas or ())
        error = f"您只能登记所在工会辖区（{areas}）的驿站，请检查盟市和旗县区。"
        return _render_form(request, station, values, error=error, status=422)
    try:
        station_id, changes = await save_station(
            services.db,
            read,
            actor=f"staff:{account.id}",
            station_id=station.id if station else None,
        )
    except StationEditError as exc:
        return _render_form(request, station, values, error=str(exc), status=409)
    if changes:
        await services.finder.stations_changed()
    return see_other(f"/console/stations/{station_id}?done=saved")


async def hours_preview(request: web.Request) -> web.Response:
    """`GET /console/stations/hours.json?text=…`: the hours as the system reads them, and whether
    the station would be open now (the form shows this as staff type)."""
    if await signed_in(request) is None:
        return json_response({"error": "请先登录"}, status=401)
    text = request.query.get("text", "").strip()[:500]
    if not text:
        return json_response({"ok": False, "error": "请填写开放时间，如 周一至周五 8:00-18:00"})
    try:
        osm, _words = read_hours(text)
    except HoursError as exc:
        return json_response({"ok": False, "error": str(exc)})
    state = opening_state(osm, services_of(request).clock.now())
    if state.always_open:
        now = "现在开放（全天 24 小时）"
    elif state.is_open:
        now = "现在开放" + (f"，{local_time(state.until)}关门" if state.until else "")
    else:
        now = "现在不开放" + (f"，{local_time(state.opens_at)}开门" if state.opens_at else "")
    return json_response({"ok": True, "osm": osm, "open_now": state.is_open, "now": now})
