"""一键入会 through the mini-program API and a fake WeChat: enroll with a phone code, duplicate,
race, reject → correct → approve, the worker's notices, and staff of another union get 404."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from core.notices import MINIPROGRAM
from core.outbox import OutboxMessage
from handlers import SERVICES_KEY, Services
from locations import wgs84_to_gcj02
from membership import POLICY_VERSION
from tests.conftest import AiohttpClient, AppClient
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.unions import load_unions
from yizhan.app import create_app

PHONE = "13912345678"


async def _client(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient, fake: FakeWeChat
) -> AppClient:
    client = await aiohttp_client(create_app(backend(**wechat_settings(fake))))
    await load_unions(client.app[SERVICES_KEY])
    return client


async def _login(api: AppClient, fake: FakeWeChat, openid: str) -> dict[str, str]:
    code = f"code-{openid}"
    fake.codes[code] = (openid, "session-key")
    body = await (await api.post("/api/v1/auth/login", json={"code": code})).json()
    return {"Authorization": f"Bearer {body['token']}"}


def form(fake: FakeWeChat, phone: str = PHONE, **changes: Any) -> dict[str, Any]:
    code = f"phone-{phone}-{len(fake.phones)}"
    fake.phones[code] = phone
    body = {
        "name": "李娜",
        "phone_code": code,
        "occupation": "courier",
        "employer": "中通快递",
        "league": "呼和浩特市",
        "county": "新城区",
        "consent": True,
        "consent_version": POLICY_VERSION,
    }
    body.update(changes)
    return body


async def _outbox(api: AppClient) -> list[OutboxMessage]:
    async with api.app[SERVICES_KEY].db.session() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def test_options_suggest_the_place_from_a_location(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    api = await _client(backend, aiohttp_client, fake_wechat)
    lat, lng = wgs84_to_gcj02(40.8580, 111.6655)  # 新城区 seat, as wx.getLocation gives it
    body = await (
        await api.get("/api/v1/membership/options", params={"lat": lat, "lng": lng})
    ).json()
    assert body["suggested"] == {"league": "呼和浩特市", "county": "新城区"}
    assert {"code": "food_delivery", "name": "外卖骑手"} in body["occupations"]
    assert body["policy_version"] == POLICY_VERSION


async def test_enroll_duplicate_reject_correct_approve(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    api = await _client(backend, aiohttp_client, fake_wechat)
    me = await _login(api, fake_wechat, "o-lina")
    assert (await api.get("/api/v1/membership/me", headers=me)).status == 404

    bad = await api.post(
        "/api/v1/membership", headers=me, json=form(fake_wechat, name="李", consent=False)
    )
    assert bad.status == 422
    problem = await bad.json()
    assert {p["name"] for p in problem["invalid_params"]} == {"name", "consent"}
    assert (await api.get("/api/v1/membership/me", headers=me)).status == 404
    stale = await api.post(
        "/api/v1/membership", headers=me, json=form(fake_wechat, consent_version="old")
    )
    assert stale.status == 409

    created = await api.post("/api/v1/membership", headers=me, json=form(fake_wechat))
    assert created.status == 201
    first = await created.json()
    assert first["status"] == "submitted" and first["phone"] == "139****5678"
    assert first["union"] == "呼和浩特市快递行业工会" and PHONE not in await created.text()

    other_device = await _login(api, fake_wechat, "o-lina-2")
    again = await api.post(
        "/api/v1/membership", headers=other_device, json=form(fake_wechat, name="李娜娜")
    )
    assert again.status == 200
    body = await again.json()
    assert body["created"] is False and body["id"] == first["id"] and body["name"] == "李娜"

    ctx = api.app[SERVICES_KEY]
    _, courier_token = await ctx.directory.add_staff("快递工会小王", ["HH-KD"])
    _, baotou_token = await ctx.directory.add_staff("包头小赵", ["BT"])
    courier = {"Authorization": f"Bearer {courier_token}"}
    baotou = {"Authorization": f"Bearer {baotou_token}"}
    path = f"/admin/v1/enrollments/{first['id']}"
    assert (await api.get(path, headers=baotou)).status == 404
    assert (await api.post(f"{path}/approve", headers=baotou)).status == 404

    await api.post(f"{path}/reject", headers=courier, json={"reason": "请写明所在网点"})
    mine = await (await api.get("/api/v1/membership/me", headers=me)).json()
    assert mine["status"] == "rejected" and mine["reject_reason"] == "请写明所在网点"
    assert mine["can_resubmit"] is True

    fixed = form(fake_wechat, employer="中通快递新城网点")
    del fixed["phone_code"]
    resubmitted = await api.put("/api/v1/membership/me", headers=me, json=fixed)
    assert resubmitted.status == 200 and (await resubmitted.json())["status"] == "submitted"
    approved = await (await api.post(f"{path}/approve", headers=courier)).json()
    number = approved["member_number"]
    mine = await (await api.get("/api/v1/membership/me", headers=me)).json()
    assert mine["status"] == "approved" and mine["member_number"] == number
    assert mine["can_resubmit"] is False
    locked = await api.put("/api/v1/membership/me", headers=me, json=fixed)
    assert locked.status == 409

    notices = [m for m in await _outbox(api) if m.kind == MINIPROGRAM]
    assert [m.recipient for m in notices] == ["o-lina", "o-lina"]
    assert notices[0].payload["data"]["reason"] == "请写明所在网点"
    assert notices[1].payload["data"]["member_number"] == number
    staff_chat = [m for m in await _outbox(api) if m.kind == "telegram"]
    assert [m.recipient for m in staff_chat] == ["-1004", "-1004"]  # first and corrected


async def test_two_processes_racing_make_one_membership(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    one = await _client(backend, aiohttp_client, fake_wechat)
    two = await aiohttp_client(create_app(backend(**wechat_settings(fake_wechat))))
    heads = [await _login(api, fake_wechat, f"o-{i}") for i, api in enumerate([one, two] * 4)]
    answers = await asyncio.gather(
        *[
            api.post("/api/v1/membership", headers=h, json=form(fake_wechat))
            for api, h in zip([one, two] * 4, heads, strict=True)
        ]
    )
    statuses = sorted(r.status for r in answers)
    assert statuses == [200] * 7 + [201]
    ids = {(await r.json())["id"] for r in answers}
    assert len(ids) == 1
