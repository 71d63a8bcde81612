"""`POST /api/v1/cases` and `GET /api/v1/cases/mine` through the wired app: a tracking number at
once, GCJ-02 positions routed to the right county, retries that make no second case, clear
Chinese errors that store nothing, and each worker seeing only their own cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from core.outbox import OutboxMessage
from handlers import SERVICES_KEY, Services
from locations import wgs84_to_gcj02
from referrals import Case
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.stations import add_stations, station
from tests.unions import load_unions
from yizhan.app import create_app

XINCHENG = (40.8580, 111.6655)  # WGS-84, 新城区 (its county union has a staff chat)


@pytest.fixture
async def api(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> TestClient:
    client: TestClient = await aiohttp_client(create_app(backend(**wechat_settings(fake_wechat))))
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    await add_stations(ctx, station("XC1", 40.8585, 111.6660, name="新城区海东路驿站"))
    return client


async def login(api: TestClient, fake: FakeWeChat, openid: str) -> dict[str, str]:
    fake.codes[f"code-{openid}"] = (openid, "session-key")
    body = await (await api.post("/api/v1/auth/login", json={"code": f"code-{openid}"})).json()
    return {"Authorization": f"Bearer {body['token']}"}


async def _counts(api: TestClient) -> tuple[int, int]:
    async with api.app[SERVICES_KEY].db.session() as session:
        cases = (await session.execute(select(func.count()).select_from(Case))).scalar()
        rows = (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar()
    return cases or 0, rows or 0


async def test_legal_aid_from_the_mini_program(api: TestClient, fake_wechat: FakeWeChat) -> None:
    auth = await login(api, fake_wechat, "o-worker-1")
    lat, lng = wgs84_to_gcj02(*XINCHENG)  # what wx.getLocation gives
    body = {
        "kind": "legal_aid",
        "category": "unpaid_wages",
        "description": "站点拖欠两个月工资",
        "lat": lat,
        "lng": lng,
        "consent_contact": True,
        "request_id": "req-1",
    }
    made = await api.post("/api/v1/cases", json=body, headers=auth)
    assert made.status == 201, await made.text()
    case = await made.json()
    assert case["number"].startswith("L") and case["number"] in case["acknowledgement"]
    assert (
        case["urgent"] and "12351" in case["hotlines"] and "新城区总工会" in case["acknowledgement"]
    )
    assert case["status"] == "new" and case["category_label"] == "拖欠工资"

    again = await api.post("/api/v1/cases", json=body, headers=auth)  # a retried request
    assert again.status == 200 and (await again.json())["number"] == case["number"]
    assert await _counts(api) == (1, 1)  # one case, one staff card (chat -1002)

    mine = await (await api.get("/api/v1/cases/mine", headers=auth)).json()
    assert [c["number"] for c in mine["cases"]] == [case["number"]]
    assert mine["cases"][0]["status_label"] == "已受理，等待工会认领"
    other = await login(api, fake_wechat, "o-worker-2")
    assert (await (await api.get("/api/v1/cases/mine", headers=other)).json())["cases"] == []

    # The same request_id from another worker (a client that numbers its requests 1, 2, 3…)
    # is their own request: a case of their own, never the first worker's story.
    theirs = await api.post("/api/v1/cases", json=body, headers=other)
    assert theirs.status == 201, await theirs.text()
    own = await theirs.json()
    assert own["number"] != case["number"]
    assert own["description"] == body["description"]
    assert await _counts(api) == (2, 2)
    mine = await (await api.get("/api/v1/cases/mine", headers=other)).json()
    assert [c["number"] for c in mine["cases"]] == [own["number"]]


async def test_station_feedback_and_bad_input(api: TestClient, fake_wechat: FakeWeChat) -> None:
    auth = await login(api, fake_wechat, "o-worker-3")
    assert (await api.get("/api/v1/cases/mine")).status == 401
    assert (await api.post("/api/v1/cases", json={"kind": "feedback"})).status == 401
    station_id = api.app[SERVICES_KEY].finder.index.stations[0].id
    for bad, words in (
        ({"kind": "feedback", "category": "dirty"}, "驿站"),  # which station?
        ({"kind": "feedback", "category": "lottery", "station_id": station_id}, "类别"),
        ({"kind": "legal_aid", "category": "work_injury", "description": "疼"}, "至少 4 个字"),
        ({"kind": "feedback", "category": "dirty", "station_id": 999999}, "驿站"),
        (
            {"kind": "legal_aid", "category": "other", "description": "合同问题", "lat": 40.8},
            "经纬度",
        ),
    ):
        resp = await api.post("/api/v1/cases", json=bad, headers=auth)
        assert resp.status == 422, bad
        problem = await resp.json()
        assert resp.content_type == "application/problem+json" and words in problem["detail"]
    assert await _counts(api) == (0, 0)

    made = await api.post(
        "/api/v1/cases",
        headers=auth,
        json={
            "kind": "feedback",
            "category": "closed",
            "station_id": station_id,
            "description": "九点了还锁着门",
        },
    )
    assert made.status == 201
    case = await made.json()
    assert case["number"].startswith("F") and case["station_id"] == station_id
    mine = await (await api.get("/api/v1/cases/mine", headers=auth)).json()
    assert [c["category_label"] for c in mine["cases"]] == ["该开没开"]
