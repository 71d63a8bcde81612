"""Staff authentication for `/admin/v1`: `Authorization: Bearer <token>` → the staff member.

`require_staff(request)` answers 401 (problem+json, Chinese) without a valid token (an
expired one is told so); `require_union(staff, union_id)` answers 404 for another union's
records, exactly as for a missing one (`not_found`), so ids cannot be probed.
"""

from __future__ import annotations

from aiohttp import web

from core.http import Problem
from handlers import SERVICES_KEY
from membership import StaffInfo, may_act

_REQUEST_KEY = web.RequestKey("staff", StaffInfo)


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "未通过身份验证",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="yizhan-admin"'},
    )


async def require_staff(request: web.Request) -> StaffInfo:
    """The staff member behind the request's bearer token (cached on the request)."""
    cached = request.get(_REQUEST_KEY)
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise _unauthorized("请在请求头 Authorization 中带上工作人员令牌（Bearer …）。")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("令牌格式不对，应为 “Authorization: Bearer 令牌”。")
    directory = request.app[SERVICES_KEY].directory
    staff = await directory.staff_for_token(token.strip())
    if staff is None:
        if await directory.token_expired(token.strip()):
            raise _unauthorized("令牌已过期，请向管理员索取新的令牌（yizhan staff token）。")
        raise _unauthorized("令牌无效或已停用，请向管理员索取新的令牌。")
    request[_REQUEST_KEY] = staff
    return staff


def not_found(what: str) -> Problem:
    """The one answer for a record that is missing or is another union's."""
    return Problem(404, "没有找到", f"没有找到这{what}，请核对编号。")


def require_union(staff: StaffInfo, union_id: int | None, what: str = "条记录") -> None:
    """404, as for a missing record, unless the staff member may act for this union."""
    if not may_act(staff, union_id):
        raise not_found(what)
