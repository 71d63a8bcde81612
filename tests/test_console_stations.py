"""The console's station pages over HTTP: the table, adding and editing a station (hours in
Chinese), suspending and revoking with a reason, the history, import with a dry run, export,
the map's JSON — and who may do which (no session, another union's staff, grassroots staff)."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp import FormData

from handlers import SERVICES_KEY, Services
from referrals import NewCase
from tests.conftest import AppClient
from tests.console_web import XINCHENG, page_csrf, sign_in, staff_with_login
from tests.stations import add_stations, station
from tests.unions import load_unions

FORM = {
    "name": "新华桥暖心驿站",
    "code": "HH-XC-0100",
    "league": "呼和浩特市",
    "county": "新城区",
    "address": "新华大街 1 号",
    # GCJ-02, as copied from Amap: stored in WGS-84 (about 300-600 m away in Hohhot)
    "lat": "40.859300",
    "lng": "111.671300",
    "coord": "gcj02",
    "opening_hours": "周一至周五 8:00-18:00，节假日休息",
    "kind": "standard",
    "build_mode": "self",
    "area_m2": "20",
    "services": ["rest", "drinking_water"],
    "most_beautiful": "on",
}


async def _setup(client: AppClient) -> Services:
    ctx: Services = client.app[SERVICES_KEY]
    await load_unions(ctx)
    await staff_with_login(ctx, "王芳", "wangfang", "HH-XC")  # 新城区
    await staff_with_login(ctx, "赵强", "zhaoqiang", "BT")  # 包头市
    await staff_with_login(ctx, "刘洋", "liuyang", "HH-MT")  # a grassroots union only
    await staff_with_login(ctx, "李敏", "limin", "NM")  # the region
    return ctx


def _form(data: dict[str, object], csrf: str) -> FormData:
    form = FormData()
    form.add_field("csrf", csrf)
    for name, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            form.add_field(name, str(one))
    return form


async def _as(client: AppClient, login: str) -> None:
    client.session.cookie_jar.clear()
    assert await sign_in(client, login) == 303


async def _nearby_ids(client: AppClient) -> list[int]:
    params = {"lat": str(XINCHENG.lat), "lng": str(XINCHENG.lng), "coord": "wgs84"}
    params["open_now"] = "false"
    body = await (await client.get("/api/v1/stations/nearby", params=params)).json()
    return [s["id"] for s in body["stations"]]


async def _create(client: AppClient, **changes: object) -> int:
    csrf = await page_csrf(client, "/console/stations/new")
    answer = await client.post(
        "/console/stations/new", data=_form({**FORM, **changes}, csrf), allow_redirects=False
    )
    assert answer.status == 303, await answer.text()
    found = re.fullmatch(r"/console/stations/(\d+)\?done=saved", answer.headers["Location"])
    assert found
    return int(found.group(1))


async def test_add_edit_suspend_and_revoke_a_station(client: AppClient) -> None:
    ctx = await _setup(client)
    await _as(client, "wangfang")
    station_id = await _create(client)

    # Live in search at once, at the WGS-84 position of the GCJ-02 coordinates typed.
    assert station_id in await _nearby_ids(client)
    record = ctx.finder.get(station_id)
    assert record is not None and record.opening_hours == "Mo-Fr 08:00-18:00; PH off"
    assert abs(record.point.lat - 40.8580) < 0.003 and abs(record.point.lng - 111.6650) < 0.008
    page = await (await client.get(f"/console/stations/{station_id}")).text()
    assert "新华桥暖心驿站" in page and "系统读作 Mo-Fr 08:00-18:00; PH off" in page
    assert "在工作台新建" in page and "王芳" in page

    # Edit: a bad hours text is refused in Chinese and changes nothing.
    csrf = await page_csrf(client, f"/console/stations/{station_id}/edit")
    bad = await client.post(
        f"/console/stations/{station_id}/edit",
        data=_form({**FORM, "opening_hours": "看心情开门"}, csrf),
    )
    assert bad.status == 422 and "开放时间" in await bad.text()
    assert ctx.finder.get(station_id).opening_hours == "Mo-Fr 08:00-18:00; PH off"  # type: ignore[union-attr]
    edited = await client.post(
        f"/console/stations/{station_id}/edit",
        data=_form({**FORM, "opening_hours": "每天 24小时", "code": "CHANGED"}, csrf),
        allow_redirects=False,
    )
    assert edited.status == 303
    record = ctx.finder.get(station_id)
    assert record is not None and record.opening_hours == "24/7" and record.code == "HH-XC-0100"
    page = await (await client.get(f"/console/stations/{station_id}")).text()
    assert "开放时间：Mo-Fr 08:00-18:00; PH off → 24/7" in page

    # Suspend needs a reason; then the station leaves search at once.
    refused = await client.post(
        f"/console/stations/{station_id}/suspend", data={"csrf": csrf, "reason": " "}
    )
    assert refused.status == 422 and "请写上原因" in await refused.text()
    assert station_id in await _nearby_ids(client)
    done = await client.post(
        f"/console/stations/{station_id}/suspend", data={"csrf": csrf, "reason": "装修一个月"}
    )
    assert done.status == 200 and "已暂停" in await done.text()
    assert station_id not in await _nearby_ids(client)
    page = await (await client.get(f"/console/stations/{station_id}")).text()
    assert "状态：正常开放 → 暂停" in page and "原因：装修一个月" in page

    revoked = await client.post(
        f"/console/stations/{station_id}/revoke", data={"csrf": csrf, "reason": "场地收回"}
    )
    assert "已撤销" in await revoked.text()
    assert (await client.get(f"/console/stations/{station_id}/edit")).status == 409
    again = await client.post(
        f"/console/stations/{station_id}/reactivate", data={"csrf": csrf, "reason": "试试"}
    )
    assert again.status == 409 and "不能再改状态" in await again.text()
    assert ctx.finder.get(station_id) is None


async def test_new_station_checks_like_an_import_row(client: AppClient) -> None:
    ctx = await _setup(client)
    await _as(client, "wangfang")
    csrf = await page_csrf(client, "/console/stations/new")
    for changes, words in (
        ({"name": ""}, "缺少名称"),
        ({"lat": "140.1"}, "纬度"),
        ({"county": "赛罕区"}, "辖区"),  # another county's station
        ({"kind": "standard", "area_m2": "2"}, "标准驿站面积"),
    ):
        answer = await client.post("/console/stations/new", data=_form({**FORM, **changes}, csrf))
        assert answer.status == 422 and words in await answer.text(), changes
    assert len(ctx.finder.listed) == 0
    await _create(client)
    taken = await client.post("/console/stations/new", data=_form(FORM, csrf))
    assert taken.status == 409 and "已被另一个驿站使用" in await taken.text()


async def test_hours_preview_as_typed(client: AppClient) -> None:
    await _setup(client)
    anonymous = await client.get("/console/stations/hours.json", params={"text": "每天 8-20"})
    assert anonymous.status == 401
    await _as(client, "wangfang")
    # Tuesday 10:00 in the tests' frozen clock.
    ok = await (
        await client.get("/console/stations/hours.json", params={"text": "每天 8:00-20:00"})
    ).json()
    assert ok["ok"] and ok["osm"] == "Mo-Su 08:00-20:00" and ok["open_now"]
    assert ok["now"].startswith("现在开放")
    shut = await (
        await client.get("/console/stations/hours.json", params={"text": "周六周日 9:00-12:00"})
    ).json()
    assert shut["ok"] and not shut["open_now"] and "开门" in shut["now"]
    bad = await (await client.get("/console/stations/hours.json", params={"text": "看心情"})).json()
    assert not bad["ok"] and bad["error"]


async def test_table_search_and_paging(client: AppClient) -> None:
    ctx = await _setup(client)
    items = [station(f"XC{i:03}", 40.85 + i * 1e-4, 111.66, name=f"新城驿站{i}") for i in range(60)]
    items.append(
        station("BT1", 40.65, 109.84, name="包头昆区驿站", league="包头市", county="昆都仑区")
    )
    items.append(station("XC-OLD", 40.85, 111.66, name="老车站驿站", status="revoked"))
    await add_stations(ctx, *items)
    await _as(client, "wangfang")
    first = await (await client.get("/console/stations")).text()
    assert "共 60 个在用（正常或暂停）的驿站" in first and "第 1 / 2 页" in first
    assert "包头昆区驿站" not in first and "老车站驿站" not in first
    second = await (await client.get("/console/stations?page=2")).text()
    assert "新城驿站0</a>" in second  # newest first: the first one added is last
    found = await (await client.get("/console/stations", params={"q": "XC007"})).text()
    assert "共 1 个" in found and "新城驿站7<" in found
    # Every word must match, in name, address or code; a word across two names matches nothing.
    both = await (await client.get("/console/stations", params={"q": "新城 驿站5"})).text()
    assert "共 11 个" in both  # 5, 50-59
    assert "共 0 个" in await (await client.get("/console/stations?q=8新城")).text()
    revoked = await (await client.get("/console/stations?show=revoked")).text()
    assert "共 1 个已撤销的驿站" in revoked and "老车站驿站" in revoked
    await _as(client, "limin")  # the region's staff see every station
    assert "共 61 个在用" in await (await client.get("/console/stations")).text()


async def test_map_json_states_and_scope(client: AppClient) -> None:
    ctx = await _setup(client)
    await add_stations(
        ctx,
        station("A", 40.858, 111.665),
        station("B", 40.859, 111.666, opening_hours="Sa-Su 09:00-12:00"),
        station("C", 40.860, 111.667, status="suspended"),
        station("BT1", 40.65, 109.84, league="包头市", county="昆都仑区"),
    )
    bbox = {"bbox": "40,109,42,112"}
    assert (await client.get("/console/map/stations.json", params=bbox)).status == 401
    await _as(client, "wangfang")
    body = await (await client.get("/console/map/stations.json", params=bbox)).json()
    states = {m["name"][-1]: m["state"] for m in body["stations"]}
    assert states == {"A": "open", "B": "closed", "C": "suspended"}
    marker = next(m for m in body["stations"] if m["name"].endswith("A"))
    assert marker["at"][1] > 111.67  # GCJ-02 for the default Amap tiles, not WGS-84
    bad = await client.get("/console/map/stations.json", params={"bbox": "x"})
    assert bad.status == 400
    await _as(client, "zhaoqiang")
    body = await (await client.get("/console/map/stations.json", params=bbox)).json()
    assert [m["name"] for m in body["stations"]] == ["测试驿站BT1"]

    # Two workers report A closed in its opening hours: its marker says so.
    a = next(s for s in ctx.finder.listed if s.code == "A")
    for worker in ("w1", "w2"):
        await ctx.referrals.submit(
            NewCase(
                kind="feedback",
                category="closed",
                channel="telegram",
                worker_ref=worker,
                station_id=a.id,
                source_ref=f"closed-{worker}",
            )
        )
        ctx.clock.advance(timedelta(minutes=30))  # type: ignore[attr-defined]
    await _as(client, "wangfang")
    body = await (await client.get("/console/map/stations.json", params=bbox)).json()
    assert {m["name"][-1]: m["state"] for m in body["stations"]}["A"] == "reported"


async def test_another_union_and_visitors_are_refused(client: AppClient) -> None:
    ctx = await _setup(client)
    await add_stations(ctx, station("XC1", 40.858, 111.665))
    sid = ctx.finder.listed[0].id
    pages = (
        "/console/stations",
        "/console/stations/new",
        "/console/stations/import",
        f"/console/stations/{sid}",
        f"/console/stations/{sid}/edit",
        "/console/coverage",
        "/console/stations/export?format=csv",
    )
    for path in pages:
        answer = await client.get(path, allow_redirects=False)
        assert answer.status == 303 and answer.headers["Location"] == "/console/", path
    leaflet = await client.get("/console/static/leaflet/leaflet.js")  # ours, not a CDN's
    assert leaflet.status == 200 and "Leaflet" in (await leaflet.text())[:2000]
    for path in (f"/console/stations/{sid}/suspend", "/console/stations/new"):
        assert (await client.post(path, data={"reason": "x"})).status == 401
    await _as(client, "zhaoqiang")  # Baotou's staff: Xincheng's station is "not found"
    for path in (f"/console/stations/{sid}", f"/console/stations/{sid}/edit"):
        answer = await client.get(path)
        assert answer.status == 404 and "没有找到" in await answer.text()
    missing = await client.get("/console/stations/99999")
    assert (
        missing.status == 404
        and await missing.text() == await (await client.get(f"/console/stations/{sid}")).text()
    )
    csrf = await page_csrf(client, "/console/stations")
    answer = await client.post(
        f"/console/stations/{sid}/suspend", data={"csrf": csrf, "reason": "别人的"}
    )
    assert answer.status == 404
    answer = await client.post(f"/console/stations/{sid}/edit", data=_form(FORM, csrf))
    assert answer.status == 404
    assert await _nearby_ids(client) == [sid]
    await _as(client, "liuyang")  # grassroots staff hold no area
    for path in ("/console/stations", "/console/coverage", f"/console/stations/{sid}"):
        assert (await client.get(path)).status == 404, path
    assert (await client.get("/console/map/gaps.json")).status == 401


async def test_import_dry_run_then_apply_and_export(client: AppClient) -> None:
    ctx = await _setup(client)
    await _as(client, "wangfang")
    rows = (
        "编码,名称,盟市,旗县区,纬度,经度,开放时间,服务项目\n"
        "XC-1,新城一号驿站,呼和浩特市,新城区,40.858,111.665,每天 8:00-20:00,休息;饮水\n"
        "XC-2,新城二号驿站,呼和浩特市,新城区,40.859,111.666,看心情,休息\n"
        "SH-1,赛罕驿站,呼和浩特市,赛罕区,40.79,111.70,24小时,休息\n"
    )
    csrf = await page_csrf(client, "/console/stations/import")
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", rows.encode(), filename="新城名单.csv", content_type="text/csv")
    report = await (await client.post("/console/stations/import", data=form)).text()
    assert "还没有写入任何数据" in report and "第 3 行" in report
    assert "不在您所在工会的辖区" in report and "新增 1 个" in report
    assert len(ctx.finder.listed) == 0  # a dry run writes nothing
    token = re.search(r'name="token" value="([^"]+)"', report)
    assert token
    refused = await client.post(
        "/console/stations/import/apply", data={"csrf": csrf, "token": token.group(1)}
    )
    assert refused.status == 422 and len(ctx.finder.listed) == 0
    await _as(client, "limin")  # someone else holding the id cannot apply the upload
    other = await client.post(
        "/console/stations/import/apply",
        data={
            "csrf": await page_csrf(client, "/console/stations/import"),
            "token": token.group(1),
            "skip_invalid": "on",
        },
    )
    assert other.status == 410 and len(ctx.finder.listed) == 0
    await _as(client, "wangfang")
    csrf = await page_csrf(client, "/console/stations/import")
    applied = await client.post(
        "/console/stations/import/apply",
        data={"csrf": csrf, "token": token.group(1), "skip_invalid": "on"},
    )
    assert "新增 1 个" in await applied.text()
    assert [s.code for s in ctx.finder.listed] == ["XC-1"]
    gone = await client.post(
        "/console/stations/import/apply", data={"csrf": csrf, "token": token.group(1)}
    )
    assert gone.status == 410

    export = await client.get("/console/stations/export?format=csv")
    assert export.status == 200 and "attachment" in export.headers["Content-Disposition"]
    assert "新城一号驿站" in (await export.read()).decode("utf-8-sig")
