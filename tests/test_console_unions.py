"""The console's coverage page and its map data, and the unions-and-staff pages: a league
union's staff add a union below theirs, set its chats, add staff (who can then sign in), reset a
password and remove staff; nobody else can (another league, grassroots staff, no session)."""

from __future__ import annotations

import re

from handlers import SERVICES_KEY, Services
from referrals import import_boundaries
from tests.conftest import AppClient
from tests.console_web import page_csrf, sign_in, staff_with_login
from tests.shared import BOUNDARIES
from tests.stations import add_stations, station
from tests.unions import load_unions


async def _setup(client: AppClient) -> tuple[Services, dict[str, int]]:
    ctx: Services = client.app[SERVICES_KEY]
    ids = await load_unions(ctx)
    await staff_with_login(ctx, "张伟", "zhangwei", "HH", role="admin")  # 呼和浩特市总工会
    await staff_with_login(ctx, "王芳", "wangfang", "HH-XC", role="admin")
    await staff_with_login(ctx, "孙丽", "sunli", "HH")  # the league's staff, not an admin
    await staff_with_login(ctx, "赵强", "zhaoqiang", "BT", role="admin")
    await staff_with_login(ctx, "刘洋", "liuyang", "HH-MT")
    return ctx, ids


async def _set_password(client: AppClient, link: str, password: str) -> None:
    path = link[link.index("/console/password/") :]
    form = await (await client.get(path)).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf, form
    done = await client.post(
        path, data={"csrf": csrf.group(1), "password": password, "again": password}
    )
    assert "密码设置好了" in await done.text()


async def _as(client: AppClient, login: str, password: str | None = None) -> int:
    client.session.cookie_jar.clear()
    return await sign_in(client, login, *([password] if password else []))


async def test_coverage_page_against_the_notice(client: AppClient) -> None:
    ctx, _ids = await _setup(client)
    await add_stations(
        ctx,
        station("XC1", 40.858, 111.665, most_beautiful=True),
        station("XC2", 40.859, 111.666, smart_24h=True),
        station("XC3", 40.860, 111.667),
        station("XC4", 40.861, 111.668, status="suspended"),
        station("BT1", 40.65, 109.84, league="包头市", county="昆都仑区"),
    )
    assert (await _as(client, "wangfang")) == 303
    page = await (await client.get("/console/coverage")).text()
    assert "驿站总数</dt><dd>4 家（目标 ≥ 3,000）" in page  # active only, region-wide
    assert "✗ 未达标" in page
    # The county's own row: 3 active stations, one of them 最美 (33.3 %).
    assert re.search(r"<td>呼和浩特市</td><td>新城区</td><td class=\"n\">3</td>", page)
    assert "33.3%" in page and "昆都仑区" not in page
    assert 'data-gaps="/console/map/gaps.json"' in page

    gaps = await (await client.get("/console/map/gaps.json")).json()
    # Hohhot's urban area only (the staff's league), in GCJ-02; near the stations, covered.
    assert gaps["gaps"] and {g["league"] for g in gaps["gaps"]} == {"呼和浩特市"}
    assert all(g["stations"] in (0, 1) for g in gaps["gaps"])
    near = [
        g
        for g in gaps["gaps"]
        if abs(g["at"][0] - 40.8595) < 0.002 and abs(g["at"][1] - 111.672) < 0.002
    ]
    assert near == []  # three stations within a 15-minute walk: cross-covered

    answer = await client.get("/console/coverage")
    assert (
        "img-src 'self' data: https://webrd01.is.autonavi.com;"
        in answer.headers["Content-Security-Policy"]
    )


async def test_boundaries_on_the_map(client: AppClient) -> None:
    ctx, _ids = await _setup(client)
    await import_boundaries(ctx.db, BOUNDARIES)
    assert (await _as(client, "wangfang")) == 303
    body = await (await client.get("/console/map/boundaries.json")).json()
    assert [f["properties"]["name"] for f in body["features"]] == ["新城区"]
    assert (await _as(client, "zhangwei")) == 303
    body = await (await client.get("/console/map/boundaries.json")).json()
    assert [f["properties"]["name"] for f in body["features"]] == ["呼和浩特市"]


async def test_league_admin_manages_unions_and_staff(client: AppClient) -> None:
    ctx, ids = await _setup(client)
    assert (await _as(client, "zhangwei")) == 303
    listing = await (await client.get("/console/unions")).text()
    assert "新城区总工会" in listing and "包头市总工会" not in listing
    assert "内蒙古自治区总工会" not in listing.split("<form")[0]  # above them: not theirs

    csrf = await page_csrf(client, "/console/unions")
    new = {
        "csrf": csrf,
        "parent": str(ids["HH-XC"]),
        "name": "新城区环卫工人工会",
        "code": "HH-XC-HW",
        "level": "grassroots",
        "league": "呼和浩特市",
        "county": "新城区",
        "employers": "新城区环卫局",
    }
    outside = await client.post("/console/unions/new", data={**new, "county": "赛罕区"})
    assert outside.status == 422 and "辖区" in await outside.text()
    foreign = await client.post("/console/unions/new", data={**new, "parent": str(ids["BT"])})
    assert foreign.status == 422
    added = await client.post("/console/unions/new", data=new, allow_redirects=False)
    assert added.status == 303
    union = await ctx.directory.find_union("HH-XC-HW")
    assert union is not None and union.parent_id == ids["HH-XC"] and union.chats == ()

    bad = await client.post(
        f"/console/unions/{union.id}/chats", data={"csrf": csrf, "telegram_chat_id": "群123"}
    )
    assert bad.status == 422 and "Telegram 群号" in await bad.text()
    await client.post(
        f"/console/unions/{union.id}/chats", data={"csrf": csrf, "telegram_chat_id": "-1009"}
    )
    union = await ctx.directory.find_union("HH-XC-HW")
    assert union is not None and [(c.channel, c.address) for c in union.chats] == [
        ("telegram", "-1009")
    ]

    page = await (
        await client.post(
            f"/console/unions/{union.id}/staff",
            data={"csrf": csrf, "name": "陈静", "login": "chenjing", "role": "staff"},
        )
    ).text()
    found = re.search(r'id="link">([^<]+)<', page)
    assert found and "只显示这一次" in page
    first = "环卫工人的冬天 2026"
    await _set_password(client, found.group(1), first)
    staff_id = await ctx.credentials.verify("chenjing", first)
    assert staff_id is not None

    # A reset ends the old password at once; the new link sets another.
    assert (await _as(client, "zhangwei")) == 303
    csrf = await page_csrf(client, "/console/unions")
    page = await (
        await client.post(
            f"/console/unions/{union.id}/staff/{staff_id}/password", data={"csrf": csrf}
        )
    ).text()
    found = re.search(r'id="link">([^<]+)<', page)
    assert found
    assert await ctx.credentials.verify("chenjing", first) is None
    second = "新的一年 平安顺利 2027"
    await _set_password(client, found.group(1), second)
    assert await _as(client, "chenjing", second) == 303
    assert (await client.get("/console/unions")).status == 404  # staff, not an admin

    assert (await _as(client, "zhangwei")) == 303
    csrf = await page_csrf(client, "/console/unions")
    removed = await client.post(
        f"/console/unions/{union.id}/staff/{staff_id}/remove",
        data={"csrf": csrf},
        allow_redirects=False,
    )
    assert removed.status == 303
    assert await _as(client, "chenjing", second) != 303


async def test_union_pages_refuse_everyone_else(client: AppClient) -> None:
    _ctx, ids = await _setup(client)
    xc = ids["HH-XC"]
    for path in ("/console/unions", f"/console/unions/{xc}"):
        answer = await client.get(path, allow_redirects=False)
        assert answer.status == 303 and answer.headers["Location"] == "/console/"
    assert (await client.post(f"/console/unions/{xc}/chats", data={})).status == 401
    assert (await _as(client, "zhaoqiang")) == 303  # Baotou: Hohhot's unions are "not found"
    csrf = await page_csrf(client, "/console/unions")
    for path in (f"/console/unions/{xc}", "/console/unions/99999"):
        answer = await client.get(path)
        assert answer.status == 404 and "没有找到" in await answer.text()
    answer = await client.post(
        f"/console/unions/{xc}/chats", data={"csrf": csrf, "telegram_chat_id": "-1"}
    )
    assert answer.status == 404
    answer = await client.post(
        f"/console/unions/{xc}/staff", data={"csrf": csrf, "name": "x", "login": "xxxxx"}
    )
    assert answer.status == 404
    for login in ("liuyang", "sunli"):  # staff (not admins) manage nothing, even the league's
        assert (await _as(client, login)) == 303
        assert (await client.get("/console/unions")).status == 404
        assert (await client.get(f"/console/unions/{xc}")).status == 404
    assert (await _as(client, "wangfang")) == 303  # a county admin cannot touch the league
    assert (await client.get(f"/console/unions/{ids['HH']}")).status == 404
    assert (await client.get(f"/console/unions/{xc}")).status == 200
