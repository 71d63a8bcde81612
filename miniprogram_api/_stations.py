"""`/api/v1/stations/…` and `/api/v1/services`: finding stations. Coordinates in and out are in
the system the client names (`coord`, default GCJ-02, what `wx.openLocation` needs)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError, field_validator

from core.http import Problem, json_response
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

from ._routes import api_route


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
    limit: int = Field(default=5, ge=1, le=50)
    max_distance_m: float | None = Field(default=None, gt=0, le=500_000)

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
    extras: list[str] = Field(description="服务目录以外的设施，如 WiFi、空调")
    kind: str
    build_mode: str
    host_type: str
    most_beautiful: bool
    smart_24h: bool
    phone: str
    status: str


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
    stations: list[MatchOut]


class StationDetail(StationOut):
    coord: CoordSystem
    open_now: bool
    open_until: str | None
    opens_at: str | None


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


def station_json(station: StationRecord, coord: CoordSystem) -> dict[str, Any]:
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
        "extras": list(station.extras),
        "kind": station.kind,
        "build_mode": station.build_mode,
        "host_type": station.host_type,
        "most_beautiful": station.most_beautiful,
        "smart_24h": station.smart_24h,
        "phone": station.phone,
        "status": station.status,
    }


def match_json(match: Match, coord: CoordSystem) -> dict[str, Any]:
    state = match.state
    return {
        **station_json(match.station, coord),
        "distance_m": round(match.distance_m),
        "walk_minutes": match.walk_minutes,
        "ebike_minutes": match.ebike_minutes,
        "open_now": state.is_open,
        "open_24h": state.always_open,
        "open_until": state.until.isoformat() if state.until else None,
        "opens_at": state.opens_at.isoformat() if state.opens_at else None,
        "reported_closed": match.reported_closed,
    }


async def nearby(request: web.Request) -> web.Response:
    raw: dict[str, Any] = {k: v for k, v in request.query.items() if k != "service"}
    raw["service"] = request.query.getall("service", [])
    try:
        query = NearbyQuery.model_validate(raw)
    except ValidationError as exc:
        raise invalid_query(exc) from None
    context = request.app[SERVICES_KEY]
    point = to_wgs84(query.lat, query.lng, query.coord)
    matches = context.finder.nearest_open(
        point,
        services=query.service,
        limit=query.limit,
        max_distance=query.max_distance_m,
        open_now=query.open_now,
        # Stations two workers just reported closed rank after open alternatives.
        demoted=await context.closed_reports.demoted(),
    )
    return json_response(
        {"coord": query.coord.value, "stations": [match_json(m, query.coord) for m in matches]}
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
    state = opening_state(station.opening_hours, context.clock.now())
    body = station_json(station, coord)
    body.update(
        coord=coord.value,
        open_now=state.is_open and station.status == "active",
        open_until=state.until.isoformat() if state.until else None,
        opens_at=state.opens_at.isoformat() if state.opens_at else None,
    )
    return json_response(body)


async def services(_request: web.Request) -> web.Response:
    return json_response(
        {
            "services": [
                {"code": s.code, "name": s.label, "name_en": s.label_en, "basic": s.basic}
                for s in SERVICES
            ]
        }
    )


def setup(app: web.Application) -> None:
    api_route(
        app,
        "GET",
        "/api/v1/stations/nearby",
        nearby,
        query=NearbyQuery,
        response=NearbyResponse,
        tags=("stations",),
        summary="附近现在开放的驿站，由近到远",
    )
    api_route(
        app,
        "GET",
        "/api/v1/stations/{station_id}",
        detail,
        path=StationPath,
        query=DetailQuery,
        response=StationDetail,
        errors=(404,),
        tags=("stations",),
        summary="驿站详情",
    )
    api_route(
        app,
        "GET",
        "/api/v1/services",
        services,
        response=ServicesResponse,
        tags=("stations",),
        summary="服务项目目录",
    )
