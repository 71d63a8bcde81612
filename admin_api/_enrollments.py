"""`/admin/v1/enrollments…`: staff list, read and decide their own union's enrollments.

Phones and ID numbers are masked in every answer; another union's enrollment is a 404, the
same answer as a missing one.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.http import Problem, json_response, read_json
from handlers import SERVICES_KEY
from membership import (
    EnrollmentError,
    EnrollmentInvalid,
    EnrollmentLocked,
    EnrollmentStatus,
    EnrollmentView,
    ReviewConflict,
    StaffInfo,
)

from ._auth import not_found, require_staff, require_union


def enrollment_json(e: EnrollmentView) -> dict[str, Any]:
    return {
        "id": e.id,
        "union": {"id": e.union_id, "name": e.union_name},
        "status": e.status,
        "revision": e.revision,
        "name": e.name,
        "phone": e.masked_phone,
        "id_number": e.masked_id_number,
        "occupation": e.occupation,
        "occupation_label": e.occupation_label,
        "employer": e.employer,
        "league": e.league,
        "county": e.county,
        "channel": e.channel,
        "member_number": e.member_number,
        "reject_reason": e.reject_reason or None,
        "submitted_at": e.submitted_at.isoformat(),
        "decided_at": e.decided_at.isoformat() if e.decided_at else None,
        "consent_version": e.consent_version,
        "id_consent_version": e.id_consent_version,
    }


async def whoami(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    return json_response(
        {
            "id": staff.id,
            "name": staff.name,
            "role": staff.role,
            "union_ids": sorted(staff.union_ids),
            "held_union_ids": sorted(staff.held_union_ids),
        }
    )


def _int(value: str, name: str, *, low: int = 0, high: int = 10**9) -> int:
    try:
        number = int(value)
    except ValueError:
        raise Problem(400, "请求有误", f"{name} 应为整数。") from None
    if not low <= number <= high:
        raise Problem(400, "请求有误", f"{name} 应在 {low}–{high} 之间。")
    return number


async def index(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    status = request.query.get("status") or None
    if status is not None and status not in {s.value for s in EnrollmentStatus}:
        raise Problem(400, "请求有误", "status 应为 submitted、approved 或 rejected。")
    limit = _int(request.query.get("limit", "50"), "limit", low=1, high=200)
    offset = _int(request.query.get("offset", "0"), "offset")
    items = await request.app[SERVICES_KEY].enrollments.list(
        staff.union_ids, status=status, limit=limit, offset=offset
    )
    return json_response({"enrollments": [enrollment_json(e) for e in items]})


async def _own(request: web.Request) -> tuple[StaffInfo, EnrollmentView]:
    staff = await require_staff(request)
    enrollment_id = _int(request.match_info["enrollment_id"], "申请编号")
    enrollment = await request.app[SERVICES_KEY].enrollments.get(enrollment_id)
    if enrollment is None:
        raise not_found("份入会申请")
    require_union(staff, enrollment.union_id, "份入会申请")
    return staff, enrollment


async def detail(request: web.Request) -> web.Response:
    _staff, enrollment = await _own(request)
    return json_response(enrollment_json(enrollment))


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await read_json(request)  # 400 when not JSON or nested too deep
    if not isinstance(body, dict):
        raise Problem(400, "请求有误", "请求内容应为 JSON 对象。")
    return body


def _revision(body: dict[str, Any]) -> int | None:
    revision = body.get("revision")
    if revision is None:
        return None
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        raise Problem(422, "内容有误", "revision 应为正整数（申请的第几次提交）。")
    return revision


def _problem(exc: EnrollmentError) -> Problem:
    if isinstance(exc, EnrollmentInvalid):
        return Problem(
            422,
            "内容有误",
            str(exc),
            invalid_params=[{"name": k, "reason": v} for k, v in exc.problems.items()],
        )
    if isinstance(exc, EnrollmentLocked | ReviewConflict):
        return Problem(409, "申请状态已变化", str(exc))
    return not_found("份入会申请")


async def decide(request: web.Request) -> web.Response:
    staff, enrollment = await _own(request)
    body = await _body(request)
    revision = _revision(body)
    enrollments = request.app[SERVICES_KEY].enrollments
    try:
        if request.match_info["action"] == "approve":
            decision = await enrollments.approve(enrollment.id, staff=staff, revision=revision)
        else:
            reason = body.get("reason")
            if not isinstance(reason, str):
                raise Problem(422, "内容有误", "请在 reason 中写明不通过的原因，方便申请人修改。")
            decision = await enrollments.reject(
                enrollment.id, reason, staff=staff, revision=revision
            )
    except EnrollmentError as exc:
        raise _problem(exc) from None
    return json_response({**enrollment_json(decision.enrollment), "changed": decision.changed})


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/v1/me", whoami)
    app.router.add_get("/admin/v1/enrollments", index)
    app.router.add_get("/admin/v1/enrollments/{enrollment_id}", detail)
    app.router.add_post("/admin/v1/enrollments/{enrollment_id}/{action:approve|reject}", decide)
