"""`/api/v1/stations/…` and `/api/v1/services`: finding stations. Coordinates in and out are in
the system the client names (`coord`, default GCJ-02, what `wx.openLocation` needs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError, field_validator

from core import CHINA_TZ
from core.http import Problem
from handlers import SERVICES_KEY
from locations import (
    BY_CODE,
    SERVICES,
    CoordSystem,
    Match,
    StationRecord,
    from_wgs84,
    opening_state,
    to_wgs84,
)

from ._cache import CATALOGUE_MAX_AGE, cached_json
from ._codes import CodeSet, label
from ._lang import labels_for, language
from ._paging import CURSOR_PATTERN, decode_cursor, encode_cursor
from ._routes import api_route

# Paging walks the nearest stations in order; past this many, narrow the search instead.
MAX_OFFSET = 500


class NearbyQuery(BaseModel):
    lat: float = Field(ge=-90, le=90, description="纬度")
    lng: float = Field(ge=-180, le=180, description="经度")
    coord: CoordSystem = Field(default=CoordSystem.GCJ02, description="坐标系，默认 gcj02")
    service: list[str] = Field(
        default_factory=list,
        description="服务项目代码，可重复，须全部提供",
        json_schema_extra={"items": {"enum": [s.code for s in SERVICES]}},
    )
    open_now: bool = Field(default=True, description="只要现在开放的驿站")
    limit: int = Field(default=5, ge=1, le=50, description="每页条数")
    max_distance_m: float | None = Field(
        default=None,
        gt=0,
        le=500_000,
        description="最远距离（米）；不填用服务器的默认值（10 公里）",
    )
    cursor: str | None = Field(
        default=None, pattern=CURSOR_PATTERN, description="上一页答复里的 next_cursor"
    )

    @field_validator("service")
    @classmethod
    def _known_services(cls, codes: list[str]) -> list[str]:
        unknown = [c for c in codes if c not in BY_CODE]
        if unknown:
            raise ValueError(f"不认识的服务项目：{'、'.join(unknown)}")
        return codes


class StationPath(BaseModel):
    station_id: int = Field(description="驿站编号")


class DetailQuery(BaseModel):
    coord: CoordSystem = Field(default=CoordSystem.GCJ02, description="坐标系，默认 gcj02")


class LatLng(BaseModel):
    lat: float
    lng: float


class StationOut(BaseModel):
    id: int
    code: str
    name: str
    address: str
    league: str
    county: str
    location: LatLng
    opening_hours: str = Field(description="OpenStreetMap 格式的开放时间")
    opening_hours_text: str = Field(description="工会原文写的开放时间；原本就是 OSM 格式时为空")
    hours_known: bool = Field(
        description="false：工会没有给出开放时间，不会标为开放（开放时间未确认）"
    )
    services: list[str]
    service_labels: list[str] = Field(description="与 services 一一对应的显示名称")
    extras: list[str] = Field(description="服务目录以外的设施，如 WiFi、空调")
    kind: str
    kind_label: str
    build_mode: str
    build_mode_label: str
    host_type: str
    most_beautiful: bool
    smart_24h: bool
    phone: str
    status: str
    status_label: str


class MatchOut(StationOut):
    distance_m: int
    walk_minutes: int
    ebike_minutes: int
    open_now: bool
    open_24h: bool
    open_until: str | None
    opens_at: str | None
    reported_closed: bool


class NearbyResponse(BaseModel):
    coord: CoordSystem
    stations: list[MatchOut] = Field(description="范围内的驿站，由近到远")
    next_cursor: str | None = Field(description="下一页的 cursor；null 表示没有更多")
    max_distance_m: float = Field(description="这次查找的最远距离（米）")
    opening_soon: list[MatchOut] = Field(
        description="范围内没有开放的驿站时：最早开门的几个（opens_at 为开门时间），否则为空"
    )
    notice: str | None = Field(description="范围内没有开放的驿站时给用户看的一句话")


class PhotoOut(BaseModel):
    id: str
    url: str = Field(description="显示照片的链接（带签名，约一小时内有效）")


class StationDetail(StationOut):
    coord: CoordSystem
    open_now: bool
    open_until: str | None
    opens_at: str | None
    photos: list[PhotoOut]


class ServiceOut(BaseModel):
    code: str
    name: str
    name_en: str
    basic: bool


class ServicesResponse(BaseModel):
    services: list[ServiceOut]


_FIELD_NAMES = {
    "lat": "纬度 lat",
    "lng": "经度 lng",
    "coord": "坐标系 coord（gcj02、wgs84 或 bd09）",
    "service": "服务项目 service",
    "open_now": "open_now（true 或 false）",
    "limit": "数量 limit（1–50）",
    "max_distance_m": "最远距离 max_distance_m",
    "cursor": "翻页标记 cursor",
}


def invalid_query(exc: ValidationError) -> Problem:
    """A 422 naming, in Chinese, every parameter that was wrong."""
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        message = str(error.get("ctx", {}).get("error", "")) or "缺少或格式不对"
        problems.append({"name": name, "reason": f"{_FIELD_NAMES.get(name, name)}：{message}"})
    detail = "；".join(p["reason"] for p in problems)
    return Problem(422, "查询参数有误", detail, invalid_params=problems)


def station_json(
    station: StationRecord, coord: CoordSystem, request: web.Request | None = None
) -> dict[str, Any]:
    t = labels_for(request) if request is not None else (lambda text: text)
    lang = language(request) if request is not None else "zh"
    lat, lng = from_wgs84(station.point, coord)
    return {
        "id": station.id,
        "code": station.code,
        "name": station.name,
        "address": station.address,
        "league": station.league,
        "county": station.county,
        "location": {"lat": round(lat, 7), "lng": round(lng, 7)},
        "opening_hours": station.opening_hours,
        "opening_hours_text": station.opening_hours_text,
        "hours_known": station.hours_known,
        "services": list(station.services),
        "service_labels": [label(CodeSet.SERVICES, c, t, lang) for c in station.services],
        "extras": list(station.extras),
        "kind": station.kind,
        "kind_label": label(CodeSet.STATION_KINDS, station.kind, t),
        "build_mode": station.build_mode,
        "build_mode_label": label(CodeSet.BUILD_MODES, station.build_mode, t),
        "host_type": station.host_type,
        "most_beautiful": station.most_beautiful,
        "smart_24h": station.smart_24h,
        "phone": station.phone,
        "status": station.status,
        "status_label": label(CodeSet.STATION_STATUSES, station.status, t),
    }


def match_json(
    match: Match, coord: CoordSystem, request: web.Request | None = None
) -> dict[str, Any]:
    state = match.state
    return {
        **station_json(match.station, coord, request),
        "distance_m": round(match.distance_m),
        "walk_minutes": match.walk_minutes,
        "ebike_minutes": match.ebike_minutes,
        "open_now": state.is_open,
        "open_24h": state.always_open,
        "open_until": _local(state.until),
        "opens_at": _local(state.opens_at),
        "reported_closed": match.reported_closed,
    }


def _local(at: datetime | None) -> str | None:
    return at.astimezone(CHINA_TZ).isoformat() if at is not None else None


async def nearby(request: web.Request) -> web.Response:
    raw: dict[str, Any] = {k: v for k, v in request.query.items() if k != "service"}
    raw["service"] = request.query.getall("service", [])
    try:
        query = NearbyQuery.model_validate(raw)
    except ValidationError as exc:
        raise invalid_query(exc) from None
    context = request.app[SERVICES_KEY]
    offset = decode_cursor(query.cursor, "nearby").get("offset", 0)
    if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        offset = 0
    reach = query.max_distance_m or context.settings.nearby_max_distance_m
    point = to_wgs84(query.lat, query.lng, query.coord)
    now = context.clock.now()
    matches = context.finder.nearest_open(
        point,
        at=now,
        services=query.service,
        limit=offset + query.limit + 1,  # one more tells whether there is a next page
        max_distance=reach,
        open_now=query.open_now,
        # Stations two workers just reported closed rank after open alternatives.
        demoted=await context.closed_reports.demoted(),
    )
    page = matches[offset : offset + query.limit]
    more = len(matches) > offset + query.limit
    soon: list[Match] = []
    notice = None
    if query.open_now and not matches and offset == 0:
        # As the chat does: say so, and name the stations within reach that open first.
        soon = context.finder.soonest_openings(
            point, at=now, services=query.service, max_distance=reach, limit=query.limit
        )
        t = labels_for(request)
        km = f"{reach / 1000:g}"
        notice = t("附近 {km} 公里内暂时没有开放的驿站。").format(km=km)
        if soon:
            notice += t("下面是最早开门的驿站。")
    return cached_json(
        request,
        {
            "coord": query.coord.value,
            "stations": [match_json(m, query.coord, request) for m in page],
            "next_cursor": (
                encode_cursor({"k": "nearby", "offset": offset + query.limit}) if more else None
            ),
            "max_distance_m": reach,
            "opening_soon": [match_json(m, query.coord, request) for m in soon],
            "notice": notice,
        },
    )


async def detail(request: web.Request) -> web.Response:
    try:
        station_id = int(request.match_info["station_id"])
        coord = CoordSystem(request.query.get("coord", CoordSystem.GCJ02))
    except ValueError:
        raise Problem(
            400, "请求有误", "驿站编号应为数字，坐标系为 gcj02、wgs84 或 bd09。"
        ) from None
    context = request.app[SERVICES_KEY]
    station = context.finder.get(station_id)
    if station is None:
        raise Problem(404, "没有找到这个驿站", "它可能已撤销，请查找附近的其他驿站。")
    now = context.clock.now()
    state = opening_state(station.opening_hours, now)
    body = station_json(station, coord, request)
    photos = await context.media.of_subject("station", str(station.id))
    body.update(
        coord=coord.value,
        open_now=state.is_open and station.status == "active",
        open_until=_local(state.until),
        opens_at=_local(state.opens_at),
        photos=[{"id": p.id, "url": context.media.link(p.id, now=now.timestamp())} for p in photos],
    )
    return cached_json(request, body)


async def services(request: web.Request) -> web.Response:
    t, lang = labels_for(request), language(request)
    return cached_json(
        request,
        {
            "services": [
                {
                    "code": s.code,
                    "name": label(CodeSet.SERVICES, s.code, t, lang),
                    "name_en": s.label_en,
                    "basic": s.basic,
                }
                for s in SERVICES
            ]
        },
        max_age=CATALOGUE_MAX_AGE,
    )


def setup(app: web.Application) -> None:
    api_route(
        app,
        "GET",
        "/api/v1/stations/nearby",
        nearby,
        query=NearbyQuery,
        response=NearbyResponse,
        headers=("ETag", "Cache-Control"),
        errors=(404,),
        tags=("stations",),
        summary="附近现在开放的驿站，由近到远，按 cursor 翻页；范围内都没开时给出最早开门的",
    )
    api_route(
        app,
        "GET",
        "/api/v1/stations/{station_id}",
        detail,
        path=StationPath,
        query=DetailQuery,
        response=StationDetail,
        headers=("ETag", "Cache-Control"),
        errors=(404,),
        tags=("stations",),
        summary="驿站详情",
        operation_id="getStation",
    )
    api_route(
        app,
        "GET",
        "/api/v1/services",
        services,
        response=ServicesResponse,
        headers=("ETag", "Cache-Control"),
        tags=("stations",),
        summary="服务项目目录",
    )
