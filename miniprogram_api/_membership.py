"""`/api/v1/membership…`: 一键入会 from the mini-program.

The phone number is never typed: the client sends the `getPhoneNumber` button code and we ask
WeChat for the number, so it is verified. The enrollment belongs to the logged-in openid; the
outcome comes back as a subscribe message and through `GET /api/v1/membership/me`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from core.http import Problem, json_response
from core.pii import PiiCipher, PiiError
from core.store import Store, StoreError
from handlers import SERVICES_KEY
from locations import CoordSystem, nearest_seat, to_wgs84
from membership import (
    ID_POLICY_VERSION,
    ID_PURPOSE,
    OCCUPATIONS,
    POLICY_VERSION,
    PURPOSE,
    Application,
    EnrollmentError,
    EnrollmentInvalid,
    EnrollmentLocked,
    EnrollmentView,
    outcome_text,
)

from ._auth import SAME_BEARER, MiniUser, phone_number, require_user
from ._lang import Labels, labels_for
from ._routes import api_route, read_body, read_query

CHANNEL = "miniprogram"


class ResubmitIn(BaseModel):
    name: str = Field(min_length=1, max_length=40, title="姓名")
    occupation: str = Field(
        min_length=1,
        max_length=20,
        title="职业",
        description="职业代码（GET /api/v1/codes/occupations），也接受其显示名称",
        examples=list(OCCUPATIONS),
    )
    employer: str = Field(min_length=1, max_length=100, title="工作单位或平台")
    league: str = Field(min_length=1, max_length=50, title="盟市")
    county: str = Field(default="", max_length=50, title="旗县区")
    id_number: str = Field(default="", max_length=30, title="身份证号")
    consent: bool = Field(title="同意个人信息使用说明")
    consent_version: str = Field(
        title="所同意的说明版本",
        max_length=20,
        description="GET /api/v1/membership/options 的 policy_version；旧版本答 409（说明已更新）",
        json_schema_extra={"enum": [POLICY_VERSION]},
    )
    id_consent: bool = Field(default=False, title="同意提供身份证号")


class EnrollmentIn(ResubmitIn):
    """A first enrollment: the corrected fields of a resubmission plus the verified phone."""

    phone_code: str = Field(
        default="",
        max_length=128,
        title="手机号授权 code",
        description="`getPhoneNumber` 按钮返回的 code。上次提交已验证过手机号、但因表单有误未成功时"
        "（30 分钟内）可以不带，或带同一个 code：用已验证的手机号",
    )


class OptionsQuery(BaseModel):
    lat: float | None = Field(default=None, ge=-90, le=90, title="纬度 lat")
    lng: float | None = Field(default=None, ge=-180, le=180, title="经度 lng")
    coord: CoordSystem = Field(default=CoordSystem.GCJ02, title="坐标系 coord")


class MembershipOut(BaseModel):
    id: int
    status: Literal["submitted", "approved", "rejected"] = Field(
        description="submitted 审核中 · approved 已入会 · rejected 未通过"
    )
    status_label: str
    union: str
    member_number: str | None
    reject_reason: str | None
    name: str
    phone: str = Field(description="打码后的手机号")
    id_number: str | None = Field(description="打码后的身份证号")
    occupation: str
    occupation_label: str
    employer: str
    league: str
    county: str
    can_resubmit: bool
    message: str


class EnrollOut(MembershipOut):
    created: bool = Field(description="false：此手机号或身份证号已有入会申请，返回的是原来那份")


class OccupationOut(BaseModel):
    code: str
    name: str


class OptionsOut(BaseModel):
    occupations: list[OccupationOut]
    policy_version: str
    purpose: str
    id_policy_version: str
    id_purpose: str
    suggested: dict[str, str] | None


_LABELS = {"submitted": "审核中", "approved": "已入会", "rejected": "未通过"}


def membership_json(
    e: EnrollmentView, *, private: bool = True, t: Labels | None = None
) -> dict[str, Any]:
    """The worker's own view. `private=False` (the ID number is on an application made with
    another verified phone) answers nothing about that application: the neutral refusal of
    `foreign_id_number`, the same whatever its status or union."""
    if not private:
        raise foreign_id_number()
    t = t or (lambda text: text)
    return {
        "id": e.id,
        "status": e.status,
        "status_label": t(_LABELS.get(e.status, e.status)),
        "union": e.union_name,
        "member_number": e.member_number,
        "reject_reason": e.reject_reason or None,
        "name": e.name,
        "phone": e.masked_phone,
        "id_number": e.masked_id_number,
        "occupation": e.occupation,
        "occupation_label": t(OCCUPATIONS.get(e.occupation, e.occupation)),
        "employer": e.employer,
        "league": e.league,
        "county": e.county,
        "can_resubmit": e.status != "approved",
        "message": outcome_text(e),
    }


def foreign_id_number() -> Problem:
    """Someone posting an ID number that another account applied with learns nothing of that
    application (not its status, union or number): one refusal, whatever the application."""
    return Problem(
        409,
        "无法用这些信息申请",
        "这个身份证号不能用于新的入会申请。请核对号码；如有疑问，请拨打职工服务热线 12351。",
    )


def _problem(exc: EnrollmentError) -> Problem:
    if isinstance(exc, EnrollmentInvalid):
        return Problem(
            422,
            "入会信息有误",
            str(exc),
            invalid_params=[{"name": k, "reason": v} for k, v in exc.problems.items()],
        )
    if isinstance(exc, EnrollmentLocked):
        return Problem(409, "您已经是会员了", str(exc))
    return Problem(404, "没有找到您的入会申请", str(exc))


def _check_policy(version: str) -> None:
    if version != POLICY_VERSION:
        raise Problem(
            409,
            "说明已更新",
            "个人信息使用说明有更新，请重新阅读并同意后再提交。",
            policy_version=POLICY_VERSION,
        )


async def _kept(store: Store, key: str) -> str | None:
    try:
        return await store.get(key)
    except StoreError:
        return None


def _opened(cipher: PiiCipher, sealed: str | None) -> tuple[str, str]:
    """The kept phone and the digest of the code it came from ("" when none or unreadable)."""
    if not sealed:
        return "", ""
    try:
        kept = json.loads(cipher.decrypt(sealed))
        return str(kept["phone"]), str(kept["code"])
    except (PiiError, ValueError, KeyError, TypeError):
        return "", ""  # a rotated-away key, or junk: ask for a new tap


def _application(user: MiniUser, body: EnrollmentIn | ResubmitIn, phone: str) -> Application:
    return Application(
        name=body.name,
        phone=phone,
        phone_via="miniprogram_code",
        occupation=body.occupation,
        employer=body.employer,
        league=body.league,
        county=body.county,
        channel=CHANNEL,
        channel_user=user.openid,
        consent=body.consent,
        id_number=body.id_number,
        id_consent=body.id_consent,
    )


# A phone verified with a one-time code stays usable this long for the same worker's retry
# (sealed with the PII key in the shared store), so a form rejected after the exchange does
# not need a new tap on "获取手机号".
PHONE_KEPT_SECONDS = 1800


async def create(request: web.Request) -> web.Response:
    user = await require_user(request)
    body = await read_body(request, EnrollmentIn)
    _check_policy(body.consent_version)
    services = request.app[SERVICES_KEY]
    enrollments = services.enrollments
    try:
        # Everything but the phone first: a rejected form must not spend the one-time code.
        await enrollments.check(_application(user, body, ""))
    except EnrollmentError as exc:
        raise _problem(exc) from None
    kept_key = f"mp:verified-phone:{user.openid}"
    code_digest = hashlib.sha256(body.phone_code.encode()).hexdigest()
    kept_phone, kept_code = _opened(services.cipher, await _kept(services.store, kept_key))
    if kept_phone and (not body.phone_code or code_digest == kept_code):
        phone = kept_phone  # verified on an earlier try that failed after the exchange
    elif not body.phone_code:
        raise Problem(
            422,
            "入会信息有误",
            "请点“获取手机号”授权手机号。",
            invalid_params=[{"name": "phone_code", "reason": "请点“获取手机号”授权手机号。"}],
        )
    else:
        phone = await phone_number(request, body.phone_code)
        sealed = services.cipher.encrypt(json.dumps({"phone": phone, "code": code_digest}))
        with contextlib.suppress(StoreError):  # only the retry's convenience is lost
            await services.store.set(kept_key, sealed, ttl=PHONE_KEPT_SECONDS)
    try:
        result = await enrollments.enroll(_application(user, body, phone))
    except EnrollmentError as exc:
        raise _problem(exc) from None
    with contextlib.suppress(StoreError):
        await services.store.delete(kept_key)  # used: a new enrollment needs a new tap
    out = {
        **membership_json(result.enrollment, private=result.same_person),
        "created": result.created,
    }
    return json_response(out, status=201 if result.created else 200)


async def me(request: web.Request) -> web.Response:
    user = await require_user(request)
    found = await request.app[SERVICES_KEY].enrollments.enrollment_of(CHANNEL, user.openid)
    if found is None:
        raise Problem(404, "您还没有申请入会", "点“一键入会”，一分钟就能办好。")
    return json_response(membership_json(found, t=labels_for(request)))


async def correct(request: web.Request) -> web.Response:
    user = await require_user(request)
    body = await read_body(request, ResubmitIn)
    _check_policy(body.consent_version)
    enrollments = request.app[SERVICES_KEY].enrollments
    found = await enrollments.enrollment_of(CHANNEL, user.openid)
    if found is None:
        raise Problem(404, "您还没有申请入会", "点“一键入会”，一分钟就能办好。")
    try:
        # The phone stays the one verified at first submission.
        updated = await enrollments.resubmit(found.id, _application(user, body, found.phone))
    except EnrollmentError as exc:
        raise _problem(exc) from None
    return json_response(membership_json(updated, t=labels_for(request)))


async def options(request: web.Request) -> web.Response:
    query = read_query(request, OptionsQuery)
    suggested = None
    if query.lat is not None and query.lng is not None:
        seat = nearest_seat(to_wgs84(query.lat, query.lng, query.coord))
        suggested = {"league": seat.league, "county": seat.name}
    return json_response(
        OptionsOut(
            occupations=[
                OccupationOut(code=c, name=labels_for(request)(n)) for c, n in OCCUPATIONS.items()
            ],
            policy_version=POLICY_VERSION,
            purpose=PURPOSE,
            id_policy_version=ID_POLICY_VERSION,
            id_purpose=ID_PURPOSE,
            suggested=suggested,
        ).model_dump()
    )


def setup(app: web.Application) -> None:
    tags = ("membership",)
    api_route(
        app,
        "GET",
        "/api/v1/membership/options",
        options,
        query=OptionsQuery,
        response=OptionsOut,
        tags=tags,
        summary="入会表单的选项：职业、个人信息使用说明、按位置建议的盟市旗县",
    )
    api_route(
        app,
        "POST",
        "/api/v1/membership",
        create,
        body=EnrollmentIn,
        response=EnrollOut,
        success=(201, 200),
        auth=True,
        errors=(400, 401, 409, 503),
        tags=tags,
        summary="一键入会：提交入会申请",
        operation_id="enroll",
        links={
            name: {"operationId": name, "parameters": dict(SAME_BEARER)}
            for name in ("myMembership", "submitCase")
        },
    )
    api_route(
        app,
        "GET",
        "/api/v1/membership/me",
        me,
        response=MembershipOut,
        auth=True,
        errors=(401, 404),
        tags=tags,
        summary="我的会员：入会状态和会员号",
        operation_id="myMembership",
    )
    api_route(
        app,
        "PUT",
        "/api/v1/membership/me",
        correct,
        body=ResubmitIn,
        response=MembershipOut,
        auth=True,
        errors=(401, 404, 409),
        tags=tags,
        summary="修改后重新提交（审核中或未通过时）",
    )
