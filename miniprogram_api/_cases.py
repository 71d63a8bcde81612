"""`/api/v1/cases…`: report a station problem or ask for legal aid, and "我的求助".

A client may send `request_id` (or an `Idempotency-Key` header): sending the same request again
returns the case made the first time instead of a second one.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from core.http import Problem, json_response
from handlers import SERVICES_KEY
from locations import CoordSystem, to_wgs84
from referrals import (
    HOTLINES,
    CaseError,
    CaseView,
    NewCase,
    category_label,
    kind_label,
    status_label,
)

from ._auth import check_text, require_user
from ._routes import api_route, read_body

CHANNEL = "miniprogram"


class CaseIn(BaseModel):
    kind: Literal["feedback", "legal_aid"] = Field(title="类型：驿站反馈或法律援助")
    category: str = Field(max_length=32, title="类别代码，如 closed、unpaid_wages")
    description: str = Field(default="", max_length=1000, title="情况描述")
    station_id: int | None = Field(default=None, title="驿站编号（驿站反馈必填）")
    lat: float | None = Field(default=None, ge=-90, le=90, title="纬度")
    lng: float | None = Field(default=None, ge=-180, le=180, title="经度")
    coord: CoordSystem = Field(default=CoordSystem.GCJ02, title="坐标系")
    place: str = Field(default="", max_length=200, title="地点描述")
    photo: str = Field(default="", max_length=500, title="照片（上传后得到的文件 ID）")
    consent_contact: bool = Field(default=False, title="同意工会工作人员联系我")
    request_id: str | None = Field(default=None, max_length=64, title="客户端请求 ID（防重复提交）")


class CaseOut(BaseModel):
    id: int
    number: str
    kind: str
    kind_label: str
    category: str
    category_label: str
    status: str
    status_label: str
    description: str
    station_id: int | None
    place: str
    outcome: str
    created_at: str
    updated_at: str


class SubmittedOut(CaseOut):
    acknowledgement: str
    urgent: bool
    hotlines: str


class MineOut(BaseModel):
    cases: list[CaseOut]


def case_json(case: CaseView) -> dict[str, Any]:
    return {
        "id": case.id,
        "number": case.number,
        "kind": case.kind,
        "kind_label": kind_label(case.kind),
        "category": case.category,
        "category_label": category_label(case.kind, case.category),
        "status": case.status,
        "status_label": status_label(case.status),
        "description": case.description,
        "station_id": case.station_id,
        "place": case.place_text,
        "outcome": case.outcome,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
    }


async def submit(request: web.Request) -> web.Response:
    user = await require_user(request)
    body = await read_body(request, CaseIn)
    if (body.lat is None) != (body.lng is None):
        raise Problem(422, "提交的内容有误", "经纬度要一起提供。")
    for text in (body.description, body.place):
        if text.strip():
            verdict = await check_text(request, user, text)
            if verdict.verdict == "risky":
                raise Problem(422, "内容未通过检查", "描述里有不适宜的内容，请修改后再提交。")
    point = None
    if body.lat is not None and body.lng is not None:
        point = to_wgs84(body.lat, body.lng, body.coord)
    source = body.request_id or request.headers.get("Idempotency-Key") or None
    new = NewCase(
        kind=body.kind,
        category=body.category,
        channel=CHANNEL,
        worker_ref=user.openid,
        description=body.description,
        source_ref=source,
        station_id=body.station_id,
        point=point,
        place_text=body.place.strip(),
        photo_ref=body.photo,
        consent_contact=body.consent_contact,
    )
    try:
        got = await request.app[SERVICES_KEY].referrals.submit(new)
    except CaseError as exc:
        raise Problem(422, "提交的内容有误", str(exc)) from None
    out = {
        **case_json(got.case),
        "acknowledgement": got.acknowledgement,
        "urgent": got.urgent,
        "hotlines": HOTLINES,
    }
    return json_response(out, status=201 if got.created else 200)


async def mine(request: web.Request) -> web.Response:
    user = await require_user(request)
    cases = await request.app[SERVICES_KEY].referrals.of_worker(CHANNEL, user.openid, limit=50)
    return json_response({"cases": [case_json(c) for c in cases]})


def setup(app: web.Application) -> None:
    tags = ("cases",)
    api_route(
        app,
        "POST",
        "/api/v1/cases",
        submit,
        body=CaseIn,
        response=SubmittedOut,
        auth=True,
        errors=(401, 422),
        tags=tags,
        summary="反映驿站问题或申请法律援助；立即返回求助编号",
    )
    api_route(
        app,
        "GET",
        "/api/v1/cases/mine",
        mine,
        response=MineOut,
        auth=True,
        errors=(401,),
        tags=tags,
        summary="我的求助：编号、状态和处理结果",
    )
