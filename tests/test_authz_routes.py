"""Every console and `/admin/v1` route tried with no session, with another union's session and
with a lower role: nothing leaks, another union's item is the same 404 as a missing one, and no
action changes anything. The route list is read from the app itself, so a route added later is
tried anonymously too."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from console._cases import ACTIONS as CASE_ACTIONS
from handlers import SERVICES_KEY
from referrals import CaseError, NewCase
from tests.conftest import AppClient
from tests.console_web import file_case, page_csrf, sign_in, staff_with_login
from tests.test_membership_enroll import application
from tests.unions import load_unions

# Reachable without signing in, by design.
PUBLIC = {"/console", "/console/", "/console/login", "/console/password/{token}"}


def _paths(app: web.Application) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for resource in app.router.resources():
        info = resource.get_info()
        if "app" in info:  # a mounted sub-application (the console): its paths carry the prefix
            found += _paths(info["app"])
            continue
        path = str(info.get("formatter") or info.get("path") or info.get("prefix") or "")
        found += [(route.method, path) for route in resource if route.method != "HEAD"]
    return found


def _staff_paths(client: AppClient) -> list[tuple[str, str]]:
    paths = {
        (m, p)
        for m, p in _paths(client.app)
        if (p.startswith("/admin/v1") or p.startswith("/console")) and "/static" not in p
    }
    return sorted(paths)


def _fill(path: str, case_id: int, enrollment_id: int) -> list[str]:
    """The template with these ids, once per action its `{action}` stands for."""
    path = path.replace("{case_id}", str(case_id)).replace("{enrollment_id}", str(enrollment_id))
    actions = [""]
    if "{action}" in path:
        actions = ["approve", "reject"] if "/enrollments/" in path else list(CASE_ACTIONS)
    return [re.sub(r"\{[a-z_]+\}", "1", path.replace("{action}", a)) for a in actions]


async def _world(client: AppClient) -> dict[str, Any]:
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    case = await file_case(ctx, kind="legal_aid")  # HH-XC's
    enrollment = (await ctx.enrollments.enroll(application())).enrollment  # HH-XC-NEF's
    own = await staff_with_login(ctx, "王芳", "wangfang", "HH-XC", "HH-XC-NEF")
    await staff_with_login(ctx, "包头管理员", "btadmin", "BT", role="admin")
    await staff_with_login(ctx, "盟市工作人员", "hhstaff", "HH")  # above, but not an admin
    tokens = {}
    for name, key, role in (("包头令牌", "BT", "admin"), ("盟市令牌", "HH", "staff")):
        _, tokens[name] = await ctx.directory.add_staff(name, [key], role=role)
    return {"ctx": ctx, "case": case, "enrollment": enrollment, "own": own, "tokens": tokens}


async def test_every_route_refuses_a_visitor(client: AppClient) -> None:
    world = await _world(client)
    routes = _staff_paths(client)
    assert ("POST", "/console/cases/{case_id}/reveal") in routes  # the list is the real one
    assert ("GET", "/admin/v1/cases/{case_id}") in routes
    for method, template in routes:
        if template in PUBLIC:
            continue
        for path in _fill(template, world["case"].id, world["enrollment"].id):
            answer = await client.request(method, path, allow_redirects=False)
            if template.startswith("/admin/v1"):
                assert answer.status == 401, (method, path)
            elif method == "GET" and not path.endswith(".json"):
                assert answer.status == 303 and answer.headers["Location"] == "/console/", path
            else:
                assert answer.status == 401, (method, path, answer.status)
    case = await world["ctx"].referrals.get(world["case"].id)
    assert case.status == "new"
    assert [e.action for e in await world["ctx"].referrals.events(case.id)] == [
        "created",
        "routed",
    ]


async def _same_as_missing(
    client: AppClient, method: str, path: str, missing: str, data: dict[str, str], **kw: Any
) -> None:
    hidden = await client.request(method, path, data=data, allow_redirects=False, **kw)
    gone = await client.request(method, missing, data=data, allow_redirects=False, **kw)
    assert hidden.status == gone.status == 404, (method, path, hidden.status)
    assert await hidden.read() == await gone.read(), path


async def test_another_union_and_a_lower_role_see_nothing_and_change_nothing(
    client: AppClient,
) -> None:
    world = await _world(client)
    ctx, case_id, enrollment_id = world["ctx"], world["case"].id, world["enrollment"].id
    item_routes = [
        (m, t) for m, t in _staff_paths(client) if "{case_id}" in t or "{enrollment_id}" in t
    ]
    assert len(item_routes) >= 6
    for login in ("btadmin", "hhstaff"):
        client.session.cookie_jar.clear()
        assert await sign_in(client, login) == 303
        csrf = await page_csrf(client)
        for method, template in item_routes:
            if template.startswith("/admin/v1"):
                continue
            paths = zip(
                _fill(template, case_id, enrollment_id),
                _fill(template, 987654, 987654),
                strict=True,
            )
            for path, missing in paths:
                form = {"csrf": csrf, "text": "试试", "reason": "试试", "what": "text"}
                await _same_as_missing(client, method, path, missing, form)
        # The queue and its JSON show none of it.
        listed = await (await client.get("/console/queue.json?status=all")).json()
        assert listed["rows"] == []
    for token in world["tokens"].values():
        headers = {"Authorization": f"Bearer {token}"}
        for method, template in item_routes:
            if not template.startswith("/admin/v1"):
                continue
            paths = zip(
                _fill(template, case_id, enrollment_id),
                _fill(template, 987654, 987654),
                strict=True,
            )
            for path, missing in paths:
                body = {"text": "x", "reason": "x"}
                hidden = await client.request(method, path, json=body, headers=headers)
                gone = await client.request(method, missing, json=body, headers=headers)
                assert hidden.status == gone.status == 404, (method, path, hidden.status)
                assert await hidden.json() == await gone.json(), path
    case = await ctx.referrals.get(case_id)
    assert case.status == "new" and case.claimed_by is None
    assert [e.action for e in await ctx.referrals.events(case_id)] == ["created", "routed"]
    assert (await ctx.enrollments.get(enrollment_id)).status == "submitted"


async def test_no_duplicate_across_unions(client: AppClient) -> None:
    world = await _world(client)
    ctx = world["ctx"]
    own = await ctx.credentials.account(world["own"])
    mine = world["case"]
    # A Baotou case (the region's chat above it has nothing to do with 王芳).
    from tests.console_web import XINCHENG  # noqa: F401  (same helper module)

    theirs = (
        await ctx.referrals.submit(
            NewCase(
                kind="legal_aid",
                category="unpaid_wages",
                channel="telegram",
                worker_ref="6001",
                description="包头的工资拖欠了两个月",
                source_ref="bt-1",
            )
        )
    ).case
    assert theirs.union_id != mine.union_id
    for target in (theirs.number, "FZZZZZZ"):
        try:
            await ctx.referrals.mark_duplicate(mine.id, own, target, "console")
        except CaseError as exc:
            assert "本工会另一条求助" in str(exc)
        else:
            raise AssertionError("marked a duplicate across unions")
    second = await file_case(ctx, kind="legal_aid", ref="m2")
    done = await ctx.referrals.mark_duplicate(second.id, own, mine.number, "console")
    assert done.case.status == "duplicate" and done.case.duplicate_of == mine.id
