"""Personal data sealed wherever it rests: a worker enrolls (phone, ID number, name) and asks for
legal aid (a story with another phone, a place in their own words) through the mini-program
API; staff reject the first application with a reason that quotes it, the worker corrects it
(naming a one-person employer) and staff approve; staff reply and resolve through the admin API; then the SQLite file and its WAL
(or every PostgreSQL row of the run), Redis (when served) and the captured DEBUG logs are
searched for what was planted, and none of it is found."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from handlers import SERVICES_KEY, Services
from locations import wgs84_to_gcj02
from membership import POLICY_VERSION
from tests.conftest import AiohttpClient
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.test_cases_miniprogram import XINCHENG, login
from tests.unions import load_unions
from yizhan.app import create_app

PHONE = "13987654321"
ID_NUMBER = "11010519491231002X"  # the GB 11643 example, valid check digit
NAME = "赵铁柱"
STORY = "我在幸福里工地干了三个月，老板拖欠工资不给，工友电话13700001111也能作证"
PLACE = "幸福里小区七号楼东门"
REPLY = "您好，请带上考勤记录到区总工会二楼，我们帮您联系劳动监察"
EMPLOYER = "赵铁柱家电维修部"  # a one-person shop: the employer names the worker
REASON = "单位写的某建筑公司查无此单位，请写营业执照上的名称"
PLANTED = (
    PHONE,
    "13700001111",
    ID_NUMBER,
    NAME,
    "拖欠工资",
    "幸福里小区七号楼",
    "考勤记录",
    "家电维修部",
    "查无此单位",
)


def _found(data: bytes) -> list[str]:
    """Planted values in raw bytes: as UTF-8, and as JSON's \\uXXXX escapes (once or twice)."""
    flat = data.replace(b"\\\\", b"\\")
    return [v for v in PLANTED if v.encode() in data or v.encode("unicode_escape") in flat]


async def test_nothing_planted_in_an_enrollment_and_a_case_rests_in_plaintext(
    fake_wechat: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: AiohttpClient,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    api = await aiohttp_client(create_app(backend(**wechat_settings(fake_wechat))))
    ctx = api.app[SERVICES_KEY]
    await load_unions(ctx)
    _staff, token = await ctx.directory.add_staff("王芳", ["HH-XC", "HH-XC-NEF", "HH-MT"])
    staff = {"Authorization": f"Bearer {token}"}
    worker = await login(api, fake_wechat, "o-zhao")

    fake_wechat.phones["phone-zhao"] = PHONE
    enrolled = await api.post(
        "/api/v1/membership",
        headers=worker,
        json={
            "name": NAME,
            "phone_code": "phone-zhao",
            "occupation": "construction",
            "employer": "某建筑公司",
            "league": "呼和浩特市",
            "county": "新城区",
            "id_number": ID_NUMBER,
            "id_consent": True,
            "consent": True,
            "consent_version": POLICY_VERSION,
        },
    )
    assert enrolled.status == 201, await enrolled.text()
    application = await enrolled.json()
    rejected = await api.post(
        f"/admin/v1/enrollments/{application['id']}/reject", headers=staff, json={"reason": REASON}
    )
    assert rejected.status == 200, await rejected.text()
    corrected = await api.put(
        "/api/v1/membership/me",
        headers=worker,
        json={
            "name": NAME,
            "occupation": "construction",
            "employer": EMPLOYER,
            "league": "呼和浩特市",
            "county": "新城区",
            "id_number": ID_NUMBER,
            "id_consent": True,
            "consent": True,
            "consent_version": POLICY_VERSION,
        },
    )
    assert corrected.status == 200, await corrected.text()
    decided = await api.post(
        f"/admin/v1/enrollments/{application['id']}/approve", headers=staff, json={}
    )
    assert decided.status == 200, await decided.text()
    # Staff still read the employer whole, and the reason is on record in the decision log.
    assert (await decided.json())["employer"] == EMPLOYER

    lat, lng = wgs84_to_gcj02(*XINCHENG)
    made = await api.post(
        "/api/v1/cases",
        headers=worker,
        json={
            "kind": "legal_aid",
            "category": "unpaid_wages",
            "description": STORY,
            "place": PLACE,
            "lat": lat,
            "lng": lng,
        },
    )
    assert made.status == 201, await made.text()
    case = await made.json()
    for action, text in (("reply", REPLY), ("resolve", REPLY)):
        done = await api.post(
            f"/admin/v1/cases/{case['id']}/{action}", headers=staff, json={"text": text}
        )
        assert done.status == 200, await done.text()
    # The people who may read it still read it whole (masked first; whole on an audited reveal).
    seen = await (await api.get(f"/admin/v1/cases/{case['id']}", headers=staff)).json()
    assert "13700001111" not in seen["description"] and seen["place"] == PLACE
    revealed = await api.post(f"/admin/v1/cases/{case['id']}/reveal", headers=staff)
    assert (await revealed.json())["description"] == STORY
    await ctx.outbox.stop()  # as a server stopping; rows still pending stay sealed

    if ctx.db.is_sqlite:
        files = sorted(tmp_path.glob("yizhan.db*"))
        assert any(p.name.endswith("-wal") for p in files), files  # the live log, read as is
        data = b"".join(p.read_bytes() for p in files)
    else:  # every row of every table of this run's schema, as text
        async with ctx.db.engine.connect() as conn:
            tables = await conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
            parts = []
            for (table,) in tables.all():
                rows = await conn.exec_driver_sql(f'SELECT t::text FROM "{table}" t')
                parts.extend(str(r[0]) for r in rows)
        data = "\n".join(parts).encode()
    assert data and _found(data) == []

    if ctx.settings.redis_url:
        redis = Redis.from_url(ctx.settings.redis_url)
        try:
            dumped = [
                await redis.dump(key) or b""
                async for key in redis.scan_iter(match=f"{ctx.settings.redis_prefix}*")
            ]
        finally:
            await redis.aclose()
        assert dumped and _found(b"\n".join(dumped)) == []

    assert " DEBUG " in caplog.text or caplog.records
    assert _found(caplog.text.encode()) == []
