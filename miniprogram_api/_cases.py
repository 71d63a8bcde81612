"""`/api/v1/cases…`: report a station problem or ask for legal aid, and "我的求助".

A client may send `request_id` (or an `Idempotency-Key` header): sending the same request again
returns the case made the first time instead of a second one. The key is the user's own: another
user sending the same key gets a case of their own, never the first user's.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, RootModel

from core import CHINA_TZ
from core.http import Problem, json_response
from core.media import ID_PATTERN
from handlers import SERVICES_KEY
from locations import CoordSystem, to_wgs84
from referrals import (
    FEEDBACK_CATEGORIES,
    HOTLINES,
    LEGAL_CATEGORIES,
    CaseError,
    CaseView,
    NewCase,
    category_label,
    kind_label,
    status_label,
)

from ._auth import SAME_BEARER, check_text, require_user
from ._lang import Labels, labels_for
from ._paging import PageQuery, decode_cursor, encode_cursor
from ._routes import api_route, read_body, read_query

CHANNEL = "miniprogram"
# A legal-aid request (and feedback of category "other") needs a few words to act on.
MIN_STORY = 4


class _CaseFields(BaseModel):
    # Latitude and longitude come together or not at all.
    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={"dependentRequired": {"lat": ["lng"], "lng": ["lat"]}},
    )

    lat: float | None = Field(default=None, ge=-90, le=90, title="纬度")
    lng: float | None = Field(default=None, ge=-180, le=180, title="经度")
    coord: CoordSystem = Field(default=CoordSystem.GCJ02, title="坐标系")
    place: str = Field(default="", max_length=200, title="地点描述")
    photo: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        title="照片",
        description="POST /api/v1/media 返回的照片 ID（只能用自己上传的）",
    )
    consent_contact: bool = Field(default=False, title="同意工会工作人员联系我")
    request_id: str | None = Field(default=None, max_length=64, title="客户端请求 ID（防重复提交）")


class FeedbackIn(_CaseFields):
    kind: Literal["feedback"] = Field(title="类型：驿站反馈")
    category: Literal[tuple(FEEDBACK_CATEGORIES)] = Field(  # type: ignore[valid-type]
        title="类别",
        description="见 GET /api/v1/codes/feedback_categories；other 须写至少 4 个字的描述",
    )
    description: str = Field(default="", max_length=1000, title="情况描述")
    station_id: int = Field(ge=1, title="驿站编号")


class LegalAidIn(_CaseFields):
    kind: Literal["legal_aid"] = Field(title="类型：法律援助")
    category: Literal[tuple(LEGAL_CATEGORIES)] = Field(  # type: ignore[valid-type]
        title="类别", description="见 GET /api/v1/codes/legal_categories"
    )
    description: str = Field(
        min_length=MIN_STORY, max_length=1000, title="情况描述", description="至少 4 个字"
    )
    station_id: int | None = Field(default=None, ge=1, title="驿站编号")


class CaseIn(RootModel[Annotated[FeedbackIn | LegalAidIn, Field(discriminator="kind")]]):
    """A station report or a legal-aid request (told apart by `kind`)."""


class PhotoOut(BaseModel):
    id: str
    url: str = Field(description="显示照片的链接（带签名，约一小时内有效）")


class CaseOut(BaseModel):
    id: int
    number: str
    kind: Literal["feedback", "legal_aid"]
    kind_label: str
    category: str
    category_label: str
    status: Literal["new", "claimed", "resolved", "duplicate"]
    status_label: str
    description: str
    station_id: int | None
    place: str
    photo: PhotoOut | None
    outcome: str
    created_at: str = Field(description="北京时间，ISO 8601，带 +08:00")
    updated_at: str = Field(description="北京时间，ISO 8601，带 +08:00")


class SubmittedOut(CaseOut):
    acknowledgement: str
    urgent: bool
    hotlines: str


class MineOut(BaseModel):
    cases: list[CaseOut]
    next_cursor: str | None = Field(description="下一页的 cursor；null 表示没有更多")


class StepOut(BaseModel):
    action: str
    label: str
    detail: str = Field(description="工会的回复或办理结果；其他步骤为空")
    at: str = Field(description="北京时间，ISO 8601，带 +08:00")


class CaseDetailOut(CaseOut):
    steps: list[StepOut] = Field(description="办理经过，由早到晚")


class CasePath(BaseModel):
    case_id: int = Field(ge=1, le=2**31 - 1, description="求助 ID（提交时返回的 id）")


# What a worker is shown of each step of their case; others (internal routing) are left out.
STEP_LABELS = {
    "created": "已提交",
    "routed": "已转给工会",
    "escalated": "已转给上级工会",
    "claimed": "工会已认领",
    "replied": "工会回复",
    "resolved": "已办结",
    "reopened": "重新办理",
    "duplicate": "已合并到其他求助",
}
# Steps whose text is meant for the worker (a reply, an outcome).
WORKER_TEXT = frozenset({"replied", "resolved"})


def local_time(at: Any) -> str:
    """Every time in this API: Asia/Shanghai, ISO 8601 with its offset."""
    return str(at.astimezone(CHINA_TZ).isoformat())


def case_json(request: web.Request, case: CaseView, labels: Labels | None = None) -> dict[str, Any]:
    t = labels or labels_for(request)
    services = request.app[SERVICES_KEY]
    link = services.media.link_for(case.photo_ref, now=services.clock.now().timestamp())
    photo = {"id": case.photo_ref, "url": link} if link else None
    return {
        "id": case.id,
        "number": case.number,
        "kind": case.kind,
        "kind_label": t(kind_label(case.kind)),
        "category": case.category,
        "category_label": t(category_label(case.kind, case.category)),
        "status": case.status,
        "status_label": t(status_label(case.status)),
        "description": case.description,
        "station_id": case.station_id,
        "place": case.place_text,
        "photo": photo,
        "outcome": case.outcome,
        "created_at": local_time(case.created_at),
        "updated_at": local_time(case.updated_at),
    }


async def submit(request: web.Request) -> web.Response:
    user = await require_user(request)
    body = (await read_body(request, CaseIn)).root
    if (body.lat is None) != (body.lng is None):
        raise Problem(422, "提交的内容有误", "经纬度要一起提供。")
    services = request.app[SERVICES_KEY]
    # Only a photo this account uploaded (and the check has not refused): nothing else is
    # shown to staff as a worker's photo. The same answer for "no such id" and "not yours".
    if (
        body.photo is not None
        and await services.media.owned(body.photo, CHANNEL, user.openid) is None
    ):
        raise Problem(
            422,
            "照片无法使用",
            "没有找到这张照片，请重新上传后再提交。",
            invalid_params=[{"name": "photo", "reason": "照片：请先上传，再填返回的 ID"}],
        )
    for text in (body.description, body.place):
        if text.strip():
            verdict = await check_text(request, user, text)
            if verdict.verdict == "risky":
                raise Problem(422, "内容未通过检查", "描述里有不适宜的内容，请修改后再提交。")
    point = None
    if body.lat is not None and body.lng is not None:
        point = to_wgs84(body.lat, body.lng, body.coord)
    key = body.request_id or request.headers.get("Idempotency-Key") or None
    # Scoped to the user, and hashed to fit the column whatever an openid's length.
    source = hashlib.sha256(f"{user.openid}\0{key}".encode()).hexdigest() if key else None
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
        photo_ref=body.photo or "",
        consent_contact=body.consent_contact,
    )
    try:
        got = await services.referrals.submit(new)
    except CaseError as exc:
        raise Problem(422, "提交的内容有误", str(exc)) from None
    t = labels_for(request)
    out = {
        **case_json(request, got.case, t),
        "acknowledgement": t(got.acknowledgement),
        "urgent": got.urgent,
        "hotlines": t(HOTLINES),
    }
    return json_response(out, status=201 if got.created else 200)


async def mine(request: web.Request) -> web.Response:
    user = await require_user(request)
    page = read_query(request, PageQuery)
    position = decode_cursor(page.cursor, "cases")
    before = position.get("before")
    cases = await request.app[SERVICES_KEY].referrals.of_worker(
        CHANNEL,
        user.openid,
        limit=page.limit + 1,  # one more tells whether there is a next page
        before_id=before if isinstance(before, int) else None,
    )
    shown = cases[: page.limit]
    more = len(cases) > page.limit and shown[-1].id is not None
    t = labels_for(request)
    return json_response(
        {
            "cases": [case_json(request, c, t) for c in shown],
            "next_cursor": encode_cursor({"k": "cases", "before": shown[-1].id}) if more else None,
        }
    )


async def detail(request: web.Request) -> web.Response:
    """One of the worker's own cases with its steps (the subscribe message opens this page).
    Another worker's case, or one that does not exist, is the same 404."""
    user = await require_user(request)
    try:
        case_id = int(request.match_info["case_id"])
    except ValueError:
        raise _not_found() from None
    referrals = request.app[SERVICES_KEY].referrals
    case = await referrals.get(case_id) if 0 < case_id < 2**31 else None
    if case is None or case.channel != CHANNEL or case.worker_ref != user.openid:
        raise _not_found()
    t = labels_for(request)
    steps = [
        {
            "action": e.action,
            "label": t(STEP_LABELS[e.action]),
            "detail": e.detail if e.action in WORKER_TEXT else "",
            "at": local_time(e.at),
        }
        for e in await referrals.events(case_id)
        if e.action in STEP_LABELS
    ]
    return json_response({**case_json(request, case, t), "steps": steps})


def _not_found() -> Problem:
    return Problem(404, "没有找到这条求助", "请在“我的求助”里查看您提交过的求助。")


def setup(app: web.Application) -> None:
    tags = ("cases",)
    api_route(
        app,
        "POST",
        "/api/v1/cases",
        submit,
        body=CaseIn,
        response=SubmittedOut,
        success=(201, 200),
        auth=True,
        errors=(401, 422),
        tags=tags,
        summary="反映驿站问题或申请法律援助；立即返回求助编号（201；同一 request_id 再发返回原来那条，200）",
        operation_id="submitCase",
        links={
            "getCase": {
                "operationId": "getCase",
                "parameters": {"case_id": "$response.body#/id", **SAME_BEARER},
            }
        },
    )
    api_route(
        app,
        "GET",
        "/api/v1/cases/mine",
        mine,
        query=PageQuery,
        response=MineOut,
        auth=True,
        errors=(401, 404),
        tags=tags,
        summary="我的求助：编号、状态和处理结果，新的在前，按 cursor 翻页",
        operation_id="myCases",
    )
    api_route(
        app,
        "GET",
        "/api/v1/cases/{case_id}",
        detail,
        path=CasePath,
        response=CaseDetailOut,
        auth=True,
        errors=(401, 404),
        tags=tags,
        summary="求助详情和办理经过（只能看自己的）",
        operation_id="getCase",
    )
