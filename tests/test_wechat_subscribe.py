"""Mini-program subscribe messages (outbox kind `wechat_subscribe`) end to end: a worker enrolls
or asks for help through `/api/v1`, staff decide through `/admin/v1`, the outbox dispatcher
sends `subscribe/send` to the fake WeChat with the mini-program's token; and what WeChat's
refusals do to the row (43101/40003 given up, 45xxx retried later, a bad token refreshed)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.wechat import SUBSCRIBE_KIND, TemplateConfigError
from bot.wechat._subscribe import field_value, parse_fields
from core.outbox import OutboxMessage
from handlers import SERVICES_KEY, Services
from locations import Point, wgs84_to_gcj02
from membership import POLICY_VERSION, add_staff
from referrals import NewCase
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.unions import load_unions
from yizhan.app import create_app

ENROLL_TPL = "TPL-ENROLL-1"
CASE_TPL = "TPL-CASE-1"
SEND = "/cgi-bin/message/subscribe/send"


@pytest.fixture
def fake(fake_wechat: FakeWeChat) -> FakeWeChat:
    fake_wechat.templates = {ENROLL_TPL, CASE_TPL}
    return fake_wechat


Client = TestClient


async def _api(
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
    fake: FakeWeChat,
    **settings: Any,
) -> Client:
    overrides = {
        **wechat_settings(fake),
        "miniprogram_template_enrollment": ENROLL_TPL,
        "miniprogram_template_case": CASE_TPL,
        **settings,
    }
    client: Client = await aiohttp_client(create_app(backend(**overrides)))
    await load_unions(client.app[SERVICES_KEY])
    return client


async def _login(api: Client, fake: FakeWeChat, openid: str) -> dict[str, str]:
    code = f"code-{openid}-{len(fake.codes)}"  # a wx.login code works once
    fake.codes[code] = (openid, "session-key")
    body = await (await api.post("/api/v1/auth/login", json={"code": code})).json()
    return {"Authorization": f"Bearer {body['token']}"}


async def _enroll(api: Client, fake: FakeWeChat, openid: str, phone: str) -> int:
    me = await _login(api, fake, openid)
    fake.phones[f"phone-{openid}"] = phone
    made = await api.post(
        "/api/v1/membership",
        headers=me,
        json={
            "name": "李娜",
            "phone_code": f"phone-{openid}",
            "occupation": "courier",
            "employer": "中通快递",
            "league": "呼和浩特市",
            "county": "新城区",
            "consent": True,
            "consent_version": POLICY_VERSION,
        },
    )
    assert made.status == 201, await made.text()
    return int((await made.json())["id"])


async def _courier_staff(api: Client) -> dict[str, str]:
    _, token = await add_staff(api.app[SERVICES_KEY].db, "快递工会小王", ["HH-KD"])
    return {"Authorization": f"Bearer {token}"}


async def _rows(api: Client, recipient: str) -> list[OutboxMessage]:
    async with api.app[SERVICES_KEY].db.session() as session:
        return list(
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.kind == SUBSCRIBE_KIND,  # type: ignore[arg-type]
                        OutboxMessage.recipient == recipient,  # type: ignore[arg-type]
                    )
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
        )  # type: ignore[arg-type]


async def _settled(api: Client, recipient: str, count: int = 1) -> list[OutboxMessage]:
    """Deliver, then wait until `count` rows to `recipient` have been tried at least once (the
    app's own background dispatcher may be the one that took them)."""
    await api.app[SERVICES_KEY].outbox.drain()
    for _ in range(200):
        rows = await _rows(api, recipient)
        if len(rows) >= count and all(r.status != "sending" and r.attempts for r in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"rows to {recipient} never settled: {rows}")


async def _approved(api: Client, fake: FakeWeChat, openid: str, phone: str) -> list[OutboxMessage]:
    """`openid` enrolls, the courier union's staff approve; the rows of the outcome once tried."""
    enrollment = await _enroll(api, fake, openid, phone)
    await api.post(f"/admin/v1/enrollments/{enrollment}/approve", headers=await _courier_staff(api))
    return await _settled(api, openid)


async def test_approval_reaches_the_worker_as_a_subscribe_message(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    api = await _api(backend, aiohttp_client, fake)
    enrollment = await _enroll(api, fake, "o-lina", "13912345678")
    approved = await api.post(
        f"/admin/v1/enrollments/{enrollment}/approve", headers=await _courier_staff(api)
    )
    number = (await approved.json())["member_number"]

    [row] = await _settled(api, "o-lina")
    assert row.status == "sent" and row.result and row.result["template_id"] == ENROLL_TPL
    [sent] = fake.subscribed
    assert sent["touser"] == "o-lina" and sent["template_id"] == ENROLL_TPL
    assert sent["appid"] == "wx-mini"  # the mini-program's own token, not the Official Account's
    assert sent["data"]["character_string2"] == {"value": number}
    assert sent["data"]["phrase1"] == {"value": "已通过"}
    assert sent["data"]["thing3"] == {"value": "呼和浩特市快递行业工会"}
    assert sent["page"] == "pages/membership/index" and sent["miniprogram_state"] == "formal"
    # A second round sends nothing again.
    await api.app[SERVICES_KEY].outbox.drain()
    assert fake.count(SEND) == 1


async def test_a_long_rejection_reason_is_trimmed_to_what_wechat_takes(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    api = await _api(backend, aiohttp_client, fake)
    enrollment = await _enroll(api, fake, "o-zhao", "13912345679")
    reason = "您填写的工作单位与所选工会不对应，请改选所在区县的新就业形态工会后重新提交"
    await api.post(
        f"/admin/v1/enrollments/{enrollment}/reject",
        headers=await _courier_staff(api),
        json={"reason": reason},
    )

    [row] = await _settled(api, "o-zhao")
    assert row.status == "sent", row.last_error  # the fake answers 47003 to over-long values
    [sent] = fake.subscribed
    shown = sent["data"]["thing4"]["value"]
    assert len(shown) == 20 and shown.endswith("…") and reason.startswith(shown[:-1])
    assert sent["data"]["phrase1"] == {"value": "未通过"}
    assert sent["data"]["character_string2"] == {"value": "-"}  # no number: never empty


async def test_refused_subscription_is_given_up_not_retried(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    api = await _api(backend, aiohttp_client, fake)
    fake.refused.add("o-no")
    [row] = await _approved(api, fake, "o-no", "13912345670")
    assert row.status == "dead" and row.attempts == 1 and "43101" in row.last_error
    for _ in range(3):
        await api.app[SERVICES_KEY].outbox.drain()
    assert fake.count(SEND) == 1 and fake.subscribed == []
    # The worker can still see the outcome in the mini-program.
    me = await _login(api, fake, "o-no")
    assert (await (await api.get("/api/v1/membership/me", headers=me)).json())[
        "status"
    ] == "approved"


async def test_an_openid_of_another_app_is_given_up(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    api = await _api(backend, aiohttp_client, fake)
    fake.foreign.add("o-other")
    [row] = await _approved(api, fake, "o-other", "13912345671")
    assert row.status == "dead" and "40003" in row.last_error and fake.count(SEND) == 1


async def test_rate_limit_is_retried_later(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    api = await _api(backend, aiohttp_client, fake)
    enrollment = await _enroll(api, fake, "o-busy", "13912345672")
    fake.subscribe_errcode = 45009  # the day's quota is used up
    await api.post(f"/admin/v1/enrollments/{enrollment}/approve", headers=await _courier_staff(api))
    [row] = await _settled(api, "o-busy")
    wait = (row.next_attempt_at - datetime.now(UTC)).total_seconds()
    assert row.status == "pending" and "45009" in row.last_error and 3000 < wait <= 3600


async def test_a_rejected_token_is_refreshed_and_the_message_sent(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    api = await _api(backend, aiohttp_client, fake)
    enrollment = await _enroll(api, fake, "o-tok", "13912345673")
    tokens_before = fake.count("/cgi-bin/token")
    fake.revoke_tokens()  # someone fetched a new token elsewhere: ours answers 40001
    await api.post(f"/admin/v1/enrollments/{enrollment}/approve", headers=await _courier_staff(api))
    [row] = await _settled(api, "o-tok")
    assert row.status == "sent" and row.attempts == 1
    assert fake.count("/cgi-bin/token") == tokens_before + 1 and fake.count(SEND) == 2


async def test_a_page_not_yet_released_still_sends_the_message(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    api = await _api(backend, aiohttp_client, fake)
    fake.released_pages = {"pages/index/index"}
    [row] = await _approved(api, fake, "o-page", "13912345674")
    assert row.status == "sent" and "page" not in fake.subscribed[0]


async def test_without_a_template_rows_are_given_up_and_logged_once(
    fake: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = await _api(backend, aiohttp_client, fake, miniprogram_template_enrollment=None)
    staff = await _courier_staff(api)
    caplog.set_level(logging.WARNING, logger="bot.wechat._subscribe")
    for openid, phone in (("o-a", "13912345675"), ("o-b", "13912345676")):
        enrollment = await _enroll(api, fake, openid, phone)
        await api.post(f"/admin/v1/enrollments/{enrollment}/approve", headers=staff)
        [row] = await _settled(api, openid)
        assert row.status == "dead" and "MINIPROGRAM_TEMPLATE_ENROLLMENT" in row.last_error
    assert fake.count(SEND) == 0
    warnings = [r for r in caplog.records if "not sent" in r.getMessage()]
    assert len(warnings) == 1


async def test_case_steps_reach_a_mini_program_worker(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    api = await _api(backend, aiohttp_client, fake)
    auth = await _login(api, fake, "o-case")
    lat, lng = wgs84_to_gcj02(40.8580, 111.6655)  # 新城区
    made = await api.post(
        "/api/v1/cases",
        headers=auth,
        json={
            "kind": "legal_aid",
            "category": "unpaid_wages",
            "description": "站点拖欠两个月工资",
            "lat": lat,
            "lng": lng,
            "consent_contact": True,
        },
    )
    case = await made.json()
    _, token = await add_staff(api.app[SERVICES_KEY].db, "王芳", ["HH-XC"])
    staff = {"Authorization": f"Bearer {token}"}
    claimed = await api.post(f"/admin/v1/cases/{case['id']}/claim", headers=staff)
    assert (await claimed.json())["worker_notified"] is True
    outcome = "已协调站点负责人，拖欠的两个月工资将在本周五前全部补发到您的银行卡"
    await api.post(f"/admin/v1/cases/{case['id']}/resolve", headers=staff, json={"text": outcome})

    rows = await _settled(api, "o-case", count=2)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert rows[1].payload == {}  # a sent row keeps no copy of what it said
    # The subscribe message shortens the outcome; "我的求助" has the whole wording.
    mine = await (await api.get("/api/v1/cases/mine", headers=auth)).json()
    assert mine["cases"][0]["outcome"] == outcome
    first, second = fake.subscribed
    assert {first["template_id"], second["template_id"]} == {CASE_TPL}
    assert first["touser"] == second["touser"] == "o-case" and first["appid"] == "wx-mini"
    assert first["data"]["character_string1"] == {"value": case["number"]}
    assert first["data"]["phrase2"] == {"value": "处理中"}
    assert second["data"]["phrase2"] == {"value": "已办结"}
    assert second["data"]["thing3"]["value"] == outcome[:19] + "…"
    assert second["page"] == f"pages/cases/detail?id={case['id']}"


async def test_case_steps_reach_an_official_account_worker_by_customer_service_message(
    fake: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    """The Official Account has no subscribe template here: its users get the text (kind
    `wechat_text`) within WeChat's 48-hour window."""
    api = await _api(backend, aiohttp_client, fake)
    ctx = api.app[SERVICES_KEY]
    lat, lng = 40.8580, 111.6655
    made = await ctx.referrals.submit(
        NewCase(
            kind="legal_aid",
            category="unpaid_wages",
            channel="wechat",
            worker_ref="o-official",
            description="老板拖欠三个月工资",
            point=Point(lat, lng),
        )
    )
    _, token = await add_staff(ctx.db, "王芳", ["HH-XC"])
    claimed = await api.post(
        f"/admin/v1/cases/{made.case.id}/claim", headers={"Authorization": f"Bearer {token}"}
    )
    assert (await claimed.json())["worker_notified"] is True
    await ctx.outbox.drain()
    for _ in range(200):
        if fake.sent:
            break
        await asyncio.sleep(0.05)
    [sent] = fake.sent
    assert sent["touser"] == "o-official" and made.case.number in sent["text"]["content"]
    assert fake.subscribed == []


async def test_a_misread_field_map_stops_start_up(
    backend: Callable[..., Services], fake: FakeWeChat
) -> None:
    with pytest.raises(TemplateConfigError, match="MINIPROGRAM_TEMPLATE_CASE_FIELDS"):
        create_app(
            backend(
                **wechat_settings(fake), miniprogram_template_case_fields="number:character_string1"
            )
        )


def test_field_map_and_values() -> None:
    assert parse_fields(" status=phrase1 , union=thing3,") == {
        "status": "phrase1",
        "union": "thing3",
    }
    for bad in ("", "status", "status=phrase", "=thing1", "status=thing 1"):
        with pytest.raises(TemplateConfigError):
            parse_fields(bad)
    assert field_value("thing1", "一" * 25) == "一" * 19 + "…"
    assert field_value("thing1", "一" * 20) == "一" * 20
    assert field_value("phrase2", "已受理，等待认领") == "已受理，等"
    assert field_value("character_string3", "A" * 40) == "A" * 32
    assert field_value("thing4", "") == "无" and field_value("character_string2", None) == "-"
    assert field_value("thing1", "第一行\n第二行") == "第一行 第二行"
    assert field_value("time5", "2026年11月24日 10:00") == "2026年11月24日 10:00"
