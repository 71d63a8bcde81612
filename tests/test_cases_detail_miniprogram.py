"""A worker's case from the mini-program, end to end: the photo they uploaded (and only theirs)
goes with the report and staff see it, the case detail page the subscribe message opens shows
their own case and nobody else's, "我的求助" pages with a cursor, times are Beijing time with
their offset, and labels follow `Accept-Language`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from handlers import SERVICES_KEY, Services
from referrals import Case
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.photos import has_gps, phone_jpeg, upload_form
from tests.stations import add_stations, station
from tests.test_media import login
from tests.unions import load_unions
from yizhan.app import create_app


@pytest.fixture
async def api(
    fake_wechat: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
    tmp_path: Path,
) -> TestClient:
    settings = wechat_settings(fake_wechat) | {"media_url": f"file://{tmp_path / 'media'}"}
    client: TestClient = await aiohttp_client(create_app(backend(**settings)))
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    await add_stations(ctx, station("XC1", 40.8585, 111.6660, name="新城区海东路驿站"))
    return client


def _report(station_id: int, **extra: Any) -> dict[str, Any]:
    return {"kind": "feedback", "category": "broken", "station_id": station_id, **extra}


async def _cases(api: TestClient) -> int:
    async with api.app[SERVICES_KEY].db.session() as session:
        return (await session.execute(select(func.count()).select_from(Case))).scalar() or 0


async def test_a_report_with_my_photo_and_staff_see_it(
    api: TestClient, fake_wechat: FakeWeChat
) -> None:
    ctx = api.app[SERVICES_KEY]
    station_id = ctx.finder.index.stations[0].id
    rider = await login(api, fake_wechat, "o-rider")
    other = await login(api, fake_wechat, "o-other")
    mine = await (
        await api.post("/api/v1/media", data=upload_form(phone_jpeg()), headers=rider)
    ).json()
    theirs = await (
        await api.post("/api/v1/media", data=upload_form(phone_jpeg()), headers=other)
    ).json()

    # Someone else's photo id, a made-up one, or any other string is refused; nothing stored.
    for photo, status in ((theirs["id"], 422), ("m" + "0" * 24, 422), ("wxfile://tmp_1.jpg", 422)):
        resp = await api.post("/api/v1/cases", json=_report(station_id, photo=photo), headers=rider)
        assert resp.status == status, photo
        assert "照片" in (await resp.json())["detail"]
    assert await _cases(api) == 0

    resp = await api.post(
        "/api/v1/cases", json=_report(station_id, photo=mine["id"]), headers=rider
    )
    assert resp.status == 201
    case = await resp.json()
    assert case["photo"]["id"] == mine["id"]
    assert (await api.get(case["photo"]["url"])).status == 200

    # Staff of the responsible union see the photo through a link they can open.
    _staff, token = await ctx.directory.add_staff("王芳", ["HH-XC"])
    staff = await (
        await api.get(f"/admin/v1/cases/{case['id']}", headers={"Authorization": f"Bearer {token}"})
    ).json()
    assert staff["photo"] == mine["id"] and staff["photo_url"]
    shown = await api.get(staff["photo_url"])
    assert shown.status == 200 and not has_gps(await shown.read())


async def test_case_detail_is_mine_only(api: TestClient, fake_wechat: FakeWeChat) -> None:
    ctx = api.app[SERVICES_KEY]
    station_id = ctx.finder.index.stations[0].id
    rider = await login(api, fake_wechat, "o-rider")
    other = await login(api, fake_wechat, "o-other")
    created = await (
        await api.post(
            "/api/v1/cases", json=_report(station_id, description="水龙头坏了"), headers=rider
        )
    ).json()
    _staff, token = await ctx.directory.add_staff("王芳", ["HH-XC"])
    staff = {"Authorization": f"Bearer {token}"}
    assert (await api.post(f"/admin/v1/cases/{created['id']}/claim", headers=staff)).status == 200
    replied = await api.post(
        f"/admin/v1/cases/{created['id']}/reply", json={"text": "明天派人来修"}, headers=staff
    )
    assert replied.status == 200

    detail = await api.get(f"/api/v1/cases/{created['id']}", headers=rider)
    assert detail.status == 200
    got = await detail.json()
    assert got["number"] == created["number"] and got["category_label"] == "设施损坏"
    assert got["status"] == "claimed" and got["status_label"] == "工会正在处理"
    steps = {s["action"]: s for s in got["steps"]}
    assert list(steps) == ["created", "routed", "claimed", "replied"]
    assert steps["replied"]["detail"] == "明天派人来修" and steps["routed"]["detail"] == ""
    # Every time in Beijing time with its offset (the database keeps UTC).
    for at in (got["created_at"], got["updated_at"], *(s["at"] for s in got["steps"])):
        assert datetime.fromisoformat(at).utcoffset() == timedelta(hours=8), at
    assert got["created_at"].startswith("2026-11-24T10:00")
    mine = await (await api.get("/api/v1/cases/mine", headers=rider)).json()
    assert mine["cases"][0]["created_at"] == got["created_at"]

    # Another worker, an unknown id and a nonsense id: the same 404, nothing about the case.
    for who, case_id in ((other, created["id"]), (rider, 999999), (rider, 0)):
        resp = await api.get(f"/api/v1/cases/{case_id}", headers=who)
        assert resp.status == 404, case_id
        assert created["number"] not in await resp.text()
    assert (await api.get(f"/api/v1/cases/{created['id']}")).status == 401


async def test_my_cases_page_with_a_cursor(api: TestClient, fake_wechat: FakeWeChat) -> None:
    station_id = api.app[SERVICES_KEY].finder.index.stations[0].id
    rider = await login(api, fake_wechat, "o-rider")
    numbers = []
    for i in range(5):
        resp = await api.post(
            "/api/v1/cases", json=_report(station_id, request_id=f"r{i}"), headers=rider
        )
        numbers.append((await resp.json())["number"])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = await (await api.get("/api/v1/cases/mine", params=params, headers=rider)).json()
        seen += [c["number"] for c in page["cases"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == numbers[::-1] and pages == 3
    bad = await api.get("/api/v1/cases/mine", params={"cursor": "bm90LW91cnM"}, headers=rider)
    assert bad.status == 404 and "cursor" in (await bad.json())["detail"]


async def test_labels_and_problems_follow_accept_language(
    api: TestClient, fake_wechat: FakeWeChat
) -> None:
    rider = await login(api, fake_wechat, "o-rider")
    body = {"kind": "legal_aid", "category": "unpaid_wages", "description": "老板拖欠三个月工资"}
    english = rider | {"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"}
    resp = await api.post("/api/v1/cases", json=body, headers=english)
    got = await resp.json()
    assert resp.headers["Content-Language"] == "en"
    assert got["category_label"] == "Unpaid wages" and got["category"] == "unpaid_wages"
    chinese = await (
        await api.get(f"/api/v1/cases/{got['id']}", headers=rider | {"Accept-Language": "fr"})
    ).json()
    assert chinese["category_label"] == "拖欠工资"
    missing = await api.get("/api/v1/cases/999999", headers=english)
    problem = await missing.json()
    assert missing.status == 404 and problem["title"].isascii(), problem
    short = await api.post("/api/v1/cases", json=body | {"description": "欠薪"}, headers=english)
    assert short.status == 422 and "4" in (await short.json())["detail"]
