"""One authorisation rule for every surface: staff act on their own unions' work; admins also
on everything below their unions in the tree. Another union's item is a 404 exactly like a
missing one, in `/admin/v1` and in the console."""

from __future__ import annotations

from handlers import SERVICES_KEY
from membership import Role, may_act, may_manage, unions_visible_to
from membership._access import scope
from tests.conftest import AppClient
from tests.console_web import file_case, sign_in, staff_with_login
from tests.unions import load_unions

TREE = [(1, None), (2, 1), (3, 2), (4, 3), (5, 1), (6, 5)]


def test_scope_follows_the_tree_for_admins_only() -> None:
    assert scope(Role.STAFF, {2}, TREE) == {2}
    assert scope(Role.ADMIN, {2}, TREE) == {2, 3, 4}
    assert scope(Role.ADMIN, {1}, TREE) == {1, 2, 3, 4, 5, 6}
    assert scope(Role.ADMIN, {5, 3}, TREE) == {3, 4, 5, 6}
    assert scope(Role.ADMIN, set(), TREE) == frozenset()
    # A cycle (which an import refuses) still ends.
    assert scope(Role.ADMIN, {7}, [(7, 8), (8, 7)]) == {7, 8}


async def test_roles_from_the_directory(client: AppClient) -> None:
    ctx = client.app[SERVICES_KEY]
    ids = await load_unions(ctx)
    league_admin, _ = await ctx.directory.add_staff("盟市管理员", ["HH"], role="admin")
    league_staff, _ = await ctx.directory.add_staff("盟市工作人员", ["HH"])
    county = {ids["HH-XC"], ids["HH-XC-NEF"], ids["HH-MT"]}
    assert unions_visible_to(league_admin) == {ids["HH"], ids["HH-KD"], *county}
    assert unions_visible_to(league_staff) == {ids["HH"]}
    assert may_act(league_admin, ids["HH-MT"]) and not may_act(league_admin, ids["BT"])
    assert not may_act(league_admin, ids["NM"])  # above them: no
    assert may_manage(league_admin, ids["HH-XC"]) and not may_manage(league_staff, ids["HH"])
    assert not may_act(None, ids["HH"]) and not may_act(league_staff, None)
    # A role change is seen by the next lookup; a bad one is refused in Chinese.
    promoted = await ctx.directory.set_role(league_staff.id, "admin")
    assert promoted.role == "admin" and may_act(promoted, ids["HH-MT"])
    account = await ctx.credentials.account(league_admin.id)
    assert account is None  # no login yet: not a console account
    await staff_with_login(ctx, "区管理员", "xcadmin", "HH-XC", role="admin")
    sessions = await ctx.directory.list_staff()
    assert {s.role for s in sessions} == {"admin"}


async def test_admin_api_and_console_agree_on_who_sees_a_case(client: AppClient) -> None:
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    case = await file_case(ctx, kind="legal_aid")  # 新城区: HH-XC's
    _, league_admin = await ctx.directory.add_staff("盟市管理员", ["HH"], role="admin")
    _, league_staff = await ctx.directory.add_staff("盟市工作人员", ["HH"])
    _, other_admin = await ctx.directory.add_staff("包头管理员", ["BT"], role="admin")

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    seen = await client.get(f"/admin/v1/cases/{case.id}", headers=auth(league_admin))
    assert seen.status == 200 and (await seen.json())["number"] == case.number
    listed = await (await client.get("/admin/v1/cases", headers=auth(league_admin))).json()
    assert [c["id"] for c in listed["cases"]] == [case.id]
    missing = await client.get("/admin/v1/cases/987654", headers=auth(league_staff))
    for token in (league_staff, other_admin):
        hidden = await client.get(f"/admin/v1/cases/{case.id}", headers=auth(token))
        assert hidden.status == 404 and await hidden.json() == await missing.json()
        listed = await (await client.get("/admin/v1/cases", headers=auth(token))).json()
        assert listed["cases"] == []
    me = await (await client.get("/admin/v1/me", headers=auth(league_admin))).json()
    assert me["role"] == "admin" and len(me["union_ids"]) > len(me["held_union_ids"]) == 1

    await staff_with_login(ctx, "盟市管理员二", "hhadmin", "HH", role="admin")
    assert await sign_in(client, "hhadmin") == 303
    page = await client.get(f"/console/cases/{case.id}")
    assert page.status == 200 and case.number in await page.text()
    claimed = await client.post(f"/admin/v1/cases/{case.id}/claim", headers=auth(league_admin))
    assert claimed.status == 200 and (await claimed.json())["claimed_by"] == "盟市管理员"
