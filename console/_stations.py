"""Stations (`/console/stations…`): a searchable table with a map, a page per station with its
history, and suspend, revoke or reactivate with a reason (the add/edit form is in
`_station_form.py`).

Every change goes through `locations` (the form is read by the importer's row reader) and is
live in this process's search at once (`StationFinder.stations_changed`, which other processes
follow on their next poll).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from locations import (
    SERVICES,
    CoordSystem,
    Point,
    Station,
    StationStatus,
    find_listed,
    from_wgs84,
    get_station,
    in_areas,
    list_stations,
    opening_state,
    set_status,
    station_history,
)

from ._pages import (
    NOT_FOUND,
    SECURITY_HEADERS,
    Refused,
    form_of,
    local_time,
    render,
    require_staff,
    see_other,
    services_of,
)
from ._scope import Scope, scope_of

PAGE_SIZE = 50
STATUS_LABELS = {"active": "正常开放", "suspended": "暂停", "revoked": "已撤销"}
KIND_LABELS = {"standard": "标准驿站", "micro": "微型驿站", "mobile": "流动驿站"}
BUILD_LABELS = {"self": "自建", "joint": "共建"}
ACTIONS = {
    "suspend": (StationStatus.SUSPENDED, "已暂停，找驿站时不会再推荐它。"),
    "revoke": (StationStatus.REVOKED, "已撤销。撤销后不能恢复，历史记录会保留。"),
    "reactivate": (StationStatus.ACTIVE, "已恢复开放，找驿站时马上能找到。"),
}
FIELD_LABELS = {
    "name": "名称",
    "address": "地址",
    "league": "盟市",
    "county": "旗县区",
    "lat": "纬度",
    "lng": "经度",
    "kind": "类型",
    "build_mode": "建设方式",
    "host_type": "共建单位类型",
    "area_m2": "面积",
    "opening_hours": "开放时间",
    "opening_hours_text": "开放时间（原话）",
    "services": "服务项目",
    "extras": "其他设施",
    "most_beautiful": "最美驿站",
    "smart_24h": "24小时智能驿站",
    "phone": "电话",
    "code": "编码",
    "status": "状态",
}
FORM_FIELDS = [
    "code",
    "name",
    "address",
    "league",
    "county",
    "lat",
    "lng",
    "coord",
    "kind",
    "build_mode",
    "host_type",
    "area_m2",
    "opening_hours",
    "phone",
    "extras",
]


async def staff_scope(request: web.Request) -> Scope:
    """The signed-in person's scope (sent to sign in otherwise); 404 when they hold no area."""
    account, _session = await require_staff(request)
    scope = await scope_of(services_of(request), account)
    if not scope.sees_stations:
        raise Refused(404, *NOT_FOUND)
    return scope


def _station_id(request: web.Request) -> int:
    raw = request.match_info["station_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise Refused(404, *NOT_FOUND)
    return int(raw)


async def own_station(request: web.Request, scope: Scope) -> Station:
    station = await get_station(services_of(request).db, _station_id(request))
    if station is None or not in_areas(station.league, station.county, scope.areas):
        raise Refused(404, *NOT_FOUND)
    return station


def tile_coord(request: web.Request) -> str:
    return services_of(request).settings.console_tile_coord


def map_context(request: web.Request, **urls: str) -> dict[str, Any]:
    settings = services_of(request).settings
    return {"tile_url": settings.console_tile_url, "map_urls": urls}


def with_tiles(request: web.Request, response: web.Response) -> web.Response:
    """Let a map page load images from the tile server (the console allows only its own)."""
    url = urlsplit(services_of(request).settings.console_tile_url)
    if url.scheme in ("http", "https") and url.hostname:
        host = ".".join("*" if "{" in part else part for part in url.hostname.split("."))
        port = f":{url.port}" if url.port else ""
        csp = SECURITY_HEADERS["Content-Security-Policy"].replace(
            "img-src 'self' data:", f"img-src 'self' data: {url.scheme}://{host}{port}"
        )
        response.headers["Content-Security-Policy"] = csp
    return response


async def stations_page(request: web.Request) -> web.Response:
    scope = await staff_scope(request)
    services = services_of(request)
    words = request.query.get("q", "").strip()[:100]
    revoked = request.query.get("show") == "revoked"
    raw_page = request.query.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1
    page = max(page, 1)
    offset = (page - 1) * PAGE_SIZE
    if revoked:  # only the database keeps revoked stations
        found = await list_stations(
            services.db,
            words=words,
            areas=scope.areas,
            status=StationStatus.REVOKED,
            offset=offset,
            limit=PAGE_SIZE,
        )
        rows: list[Any] = list(found.rows)
        total = found.total
    else:  # active and suspended: the finder's columns, no query
        listed = services.finder.listed
        positions = find_listed(listed, words=words.split()[:5], areas=scope.areas)
        rows = [listed[p] for p in positions[offset : offset + PAGE_SIZE].tolist()]
        total = len(positions)
    pages = max(1, -(-total // PAGE_SIZE))
    more = "&show=revoked" if revoked else ""
    return with_tiles(
        request,
        render(
            request,
            "stations.html",
            {
                "rows": rows,
                "total": total,
                "q": words,
                "revoked": revoked,
                "more": more,
                "page": page,
                "pages": pages,
                "status_labels": STATUS_LABELS,
                **map_context(request, points="/console/map/stations.json"),
            },
        ),
    )


async def station_page(request: web.Request) -> web.Response:
    scope = await staff_scope(request)
    station = await own_station(request, scope)
    return await _render_station(request, station)


def _describe(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "（空）"
    if name == "services":
        return "、".join(s.label for s in SERVICES if s.code in value) or "（空）"
    if isinstance(value, list):
        return "、".join(map(str, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if name == "kind":
        return KIND_LABELS.get(value, value)
    if name == "build_mode":
        return BUILD_LABELS.get(value, value)
    if name == "status":
        return STATUS_LABELS.get(value, value)
    return str(value)


async def _render_station(
    request: web.Request, station: Station, *, error: str = "", status: int = 200
) -> web.Response:
    services = services_of(request)
    assert station.id is not None
    history = []
    for entry in reversed(await station_history(services.db, station.id)):
        if entry.action == "status":
            old, new = entry.changes["status"]
            what = (
                f"建档，状态：{_describe('status', new)}"
                if old is None
                else f"状态：{_describe('status', old)} → {_describe('status', new)}"
            )
            lines = [what]
        else:
            lines = [
                f"{FIELD_LABELS.get(name, name)}：{_describe(name, old)} → {_describe(name, new)}"
                if entry.action == "edited"
                else f"{FIELD_LABELS.get(name, name)}：{_describe(name, new)}"
                for name, (old, new) in entry.changes.items()
            ]
            lines.insert(0, "在工作台新建" if entry.action == "created" else "修改")
        history.append(
            {
                "at": local_time(entry.at),
                "who": await _actor_name(request, entry.actor),
                "lines": lines,
                "reason": entry.reason,
            }
        )
    state = opening_state(station.opening_hours, services.clock.now())
    lat, lng = from_wgs84(Point(station.lat, station.lng), CoordSystem(tile_coord(request)))
    return with_tiles(
        request,
        render(
            request,
            "station.html",
            {
                "s": station,
                "open_now": state.is_open,
                "status_label": STATUS_LABELS.get(station.status, station.status),
                "kind_label": KIND_LABELS.get(station.kind, station.kind),
                "build_label": BUILD_LABELS.get(station.build_mode, station.build_mode),
                "services_text": _describe("services", station.services),
                "history": history,
                "done": ACTIONS.get(request.query.get("done", ""), (None, ""))[1]
                or {"saved": "已保存，找驿站时马上能看到新的信息。"}.get(
                    request.query.get("done", ""), ""
                ),
                "error": error,
                "shown_at": f"{lat:.6f},{lng:.6f}",
                **map_context(request, points=f"/console/map/stations.json?id={station.id}"),
            },
            status=status,
        ),
    )


async def _actor_name(request: web.Request, actor: str) -> str:
    if actor.startswith("import:"):
        return f"导入文件 {actor[7:]}"
    if actor.startswith("staff:") and actor[6:].isdigit():
        account = await services_of(request).credentials.account(int(actor[6:]))
        return account.name if account else "工作人员"
    if actor.startswith("demo"):
        return "演示数据"
    return actor or "系统"


async def change_status(request: web.Request) -> web.Response:
    account, _session, form = await form_of(request)
    services = services_of(request)
    scope = await scope_of(services, account)
    if not scope.sees_stations:
        raise Refused(404, *NOT_FOUND)
    station = await own_station(request, scope)
    action = request.path.rsplit("/", 1)[-1]
    new_status, _done = ACTIONS[action]
    reason = str(form.get("reason") or "").strip()
    if not reason or len(reason) > 500:
        error = "请写上原因（500 字以内），以后查看历史时用得上。"
        return await _render_station(request, station, error=error, status=422)
    changed = await set_status(
        services.db, station.code, new_status, reason=reason, source=f"staff:{account.id}"
    )
    if not changed:
        error = "这个驿站已撤销，不能再改状态；如要恢复，请用新的编码另建。"
        return await _render_station(request, station, error=error, status=409)
    await services.finder.stations_changed()
    return see_other(f"/console/stations/{station.id}?done={action}")
