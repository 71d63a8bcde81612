"""Unions and staff (`/console/unions…`), for admins (`membership.may_manage`: the unions they
hold and every one below): each union's staff chats, its staff, new staff (staff or admin) with
a login, removal, and password resets.

New staff and resets get a one-time set-password link (`Credentials.make_link`, the same as
`yizhan staff link`), shown once to the admin and sent to the person's chat accounts; a reset
first replaces the old password with a random one nobody knows, so it and every session end.

A union typed into the form is read by the union file's own reader (`parse_union_csv`, one
row), so the form passes exactly the checks of `yizhan unions import`; saving goes through
`Directory.import_unions`, which sets the union's chats to exactly those given.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from membership import (
    LINK_HOURS,
    ROLE_LABELS,
    CredentialError,
    DirectoryError,
    UnionInfo,
    UnionRow,
    clean_role,
    parse_union_csv,
)

from ._pages import NOT_FOUND, Refused, form_of, render, require_staff, see_other, services_of
from ._scope import Scope, scope_of

LEVELS = {
    "region": "自治区总工会",
    "league": "盟市总工会",
    "county": "旗县区总工会",
    "grassroots": "基层工会",
    "industry": "行业工会",
}
COLUMNS = [
    "code",
    "name",
    "level",
    "league",
    "county",
    "adcode",
    "industries",
    "employers",
    "pool",
    "requires_id_number",
    "telegram_chat_id",
    "wecom_robot_key",
    "parent",
]
DONE = {
    "chats": "工作群已保存，新的求助和入会申请会发到这里。",
    "staff": "工作人员已添加。",
    "removed": "已停用，对方的登录马上失效。",
    "created": "工会已添加。",
}


async def _admin(request: web.Request) -> Scope:
    account, _session = await require_staff(request)
    scope = await scope_of(services_of(request), account)
    if not scope.manages_unions:
        raise Refused(404, *NOT_FOUND)
    return scope


async def _admin_form(request: web.Request) -> tuple[Any, Scope, Mapping[str, Any]]:
    account, _session, form = await form_of(request)
    scope = await scope_of(services_of(request), account)
    if not scope.manages_unions:
        raise Refused(404, *NOT_FOUND)
    return account, scope, form


def _union_of(request: web.Request, scope: Scope) -> UnionInfo:
    raw = request.match_info["union_id"]
    found = next((u for u in scope.unions if raw.isdigit() and u.id == int(raw)), None)
    if found is None:
        raise Refused(404, *NOT_FOUND)
    return found


def _chat(union: UnionInfo, channel: str) -> str:
    return next((c.address for c in union.chats if c.channel == channel), "")


def _read_row(values: Mapping[str, str]) -> UnionRow | str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([values.get(name, "") for name in COLUMNS])
    parsed = parse_union_csv(out.getvalue())
    if parsed.problems:
        return "；".join(p.reason for p in parsed.problems)
    return parsed.rows[0]


def _row_values(union: UnionInfo, by_id: dict[int, UnionInfo]) -> dict[str, str]:
    parent = by_id.get(union.parent_id) if union.parent_id is not None else None
    return {
        "code": union.key,
        "name": union.name,
        "level": union.level,
        "league": union.league,
        "county": union.county,
        "adcode": union.adcode,
        "industries": ";".join(union.industries),
        "employers": ";".join(union.employers),
        "pool": "是" if union.pool else "否",
        "requires_id_number": "是" if union.requires_id_number else "否",
        "telegram_chat_id": _chat(union, "telegram"),
        "wecom_robot_key": _chat(union, "wecom"),
        "parent": parent.key if parent else "",
    }


async def unions_page(request: web.Request) -> web.Response:
    scope = await _admin(request)
    return _render_unions(request, scope)


def _render_unions(
    request: web.Request,
    scope: Scope,
    *,
    error: str = "",
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    by_id = {u.id: u for u in scope.all_unions}
    return render(
        request,
        "unions.html",
        {
            "unions": [
                {
                    "u": u,
                    "level": LEVELS.get(u.level, u.level),
                    "parent": by_id.get(u.parent_id or 0),
                }
                for u in scope.unions
            ],
            "levels": LEVELS,
            "parents": [u for u in scope.unions if u.level in ("region", "league", "county")],
            "v": values or {},
            "error": error,
            "done": DONE.get(request.query.get("done", ""), ""),
        },
        status=status,
    )


async def add_union(request: web.Request) -> web.Response:
    _account, scope, form = await _admin_form(request)
    values = {name: str(form.get(name) or "").strip() for name in COLUMNS}
    parent = next((u for u in scope.unions if str(u.id) == values["parent"]), None)
    if parent is None:
        return _render_unions(request, scope, error="请选择上级工会。", values=values, status=422)
    values["parent"] = parent.key
    if not values["code"]:
        return _render_unions(
            request,
            scope,
            error="请填写工会编码（如 HH-XC-01），以后导入名录时用它对应。",
            values=values,
            status=422,
        )
    row = _read_row(values)
    if isinstance(row, str):
        return _render_unions(request, scope, error=row, values=values, status=422)
    if (parent.league and row.league != parent.league) or (
        parent.county and row.county != parent.county
    ):
        error = f"新工会应在上级工会的辖区（{parent.league}{parent.county}）内。"
        return _render_unions(request, scope, error=error, values=values, status=422)
    if any(u.key == row.key for u in scope.all_unions):
        return _render_unions(
            request, scope, error=f"编码 {row.key} 已被使用。", values=values, status=409
        )
    if row.level == "region" or (row.level == parent.level and row.level != "grassroots"):
        error = "新工会的级别应低于上级工会。"
        return _render_unions(request, scope, error=error, values=values, status=422)
    try:
        await services_of(request).directory.import_unions([row])
    except DirectoryError as exc:
        return _render_unions(request, scope, error=str(exc), values=values, status=409)
    return see_other("/console/unions?done=created")


async def union_page(request: web.Request) -> web.Response:
    scope = await _admin(request)
    return await _render_union(request, scope, _union_of(request, scope))


async def _render_union(
    request: web.Request,
    scope: Scope,
    union: UnionInfo,
    *,
    error: str = "",
    status: int = 200,
    link: str = "",
    login: str = "",
    sent: int = 0,
) -> web.Response:
    services = services_of(request)
    staff = []
    for info in await services.directory.list_staff():
        if union.id in info.held_union_ids:
            staff.append(
                {
                    "s": info,
                    "login": await services.credentials.login_of(info.id) or "（未设登录名）",
                    "role": ROLE_LABELS.get(clean_role(info.role), info.role),
                }
            )
    return render(
        request,
        "union.html",
        {
            "u": union,
            "level": LEVELS.get(union.level, union.level),
            "telegram": _chat(union, "telegram"),
            "wecom": _chat(union, "wecom"),
            "staff": staff,
            "error": error,
            "done": DONE.get(request.query.get("done", ""), ""),
            "link": link,
            "link_login": login,
            "link_hours": f"{LINK_HOURS:.0f}",
            "sent": sent,
            "roles": ROLE_LABELS,
        },
        status=status,
    )


async def set_chats(request: web.Request) -> web.Response:
    _account, scope, form = await _admin_form(request)
    union = _union_of(request, scope)
    values = _row_values(union, {u.id: u for u in scope.all_unions})
    values["telegram_chat_id"] = str(form.get("telegram_chat_id") or "").strip()
    values["wecom_robot_key"] = str(form.get("wecom_robot_key") or "").strip()
    row = _read_row(values)
    if isinstance(row, str):
        return await _render_union(request, scope, union, error=row, status=422)
    await services_of(request).directory.import_unions([row])
    return see_other(f"/console/unions/{union.id}?done=chats")


def _random_password() -> str:
    return "yz-" + secrets.token_urlsafe(24)  # never shown: it only replaces the old one


async def _link(request: web.Request, staff_id: int, login: str) -> tuple[str, int]:
    """A one-time set-password link (as `yizhan staff link`), sent to their chat accounts."""
    services = services_of(request)
    token = await services.credentials.make_link(staff_id, login)
    base = services.settings.public_url.rstrip("/")
    url = (
        f"{base}/console/password/{token}"
        if base
        else f"{request.url.origin()}/console/password/{token}"
    )
    return url, await services.credentials.send_link(staff_id, url)


async def add_staff(request: web.Request) -> web.Response:
    _account, scope, form = await _admin_form(request)
    union = _union_of(request, scope)
    services = services_of(request)
    name, login = str(form.get("name") or "").strip(), str(form.get("login") or "").strip()
    if not name or not login:
        return await _render_union(request, scope, union, error="请填写姓名和登录名。", status=422)
    if await services.credentials.login_taken(login):
        return await _render_union(
            request, scope, union, error=f"登录名“{login}”已有人使用，请换一个。", status=409
        )
    try:
        role = clean_role(str(form.get("role") or "staff"))
    except ValueError as exc:
        return await _render_union(request, scope, union, error=str(exc), status=422)
    try:
        info, _token = await services.directory.add_staff(name, [union.key], role=role)
        try:
            url, sent = await _link(request, info.id, login)
        except CredentialError:
            await services.directory.deactivate_staff(info.id)  # no half-made account is left
            raise
    except (DirectoryError, CredentialError) as exc:
        return await _render_union(request, scope, union, error=str(exc), status=422)
    return await _render_union(request, scope, union, link=url, login=login, sent=sent)


async def _staff_member(request: web.Request, scope: Scope, union: UnionInfo) -> int:
    raw = request.match_info["staff_id"]
    for info in await services_of(request).directory.list_staff():
        # Only someone all of whose unions this admin manages.
        if (
            raw.isdigit()
            and info.id == int(raw)
            and union.id in info.held_union_ids
            and all(scope.manages(uid) for uid in info.held_union_ids)
        ):
            return info.id
    raise Refused(404, *NOT_FOUND)


async def remove_staff(request: web.Request) -> web.Response:
    account, scope, _form = await _admin_form(request)
    union = _union_of(request, scope)
    staff_id = await _staff_member(request, scope, union)
    if staff_id == account.id:
        return await _render_union(
            request, scope, union, error="不能停用自己的账号，请上级工会的管理员操作。", status=422
        )
    await services_of(request).directory.deactivate_staff(staff_id)
    return see_other(f"/console/unions/{union.id}?done=removed")


async def reset_password(request: web.Request) -> web.Response:
    """The old password stops working at once (and every session with it); the person sets a
    new one through the link."""
    _account, scope, _form = await _admin_form(request)
    union = _union_of(request, scope)
    staff_id = await _staff_member(request, scope, union)
    services = services_of(request)
    login = await services.credentials.login_of(staff_id)
    if login is None:
        return await _render_union(
            request, scope, union, error="这位工作人员还没有登录名。", status=422
        )
    await services.credentials.set_password(staff_id, login, _random_password())
    url, sent = await _link(request, staff_id, login)
    return await _render_union(request, scope, union, link=url, login=login, sent=sent)
