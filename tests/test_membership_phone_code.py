"""The worker's one-time phone code (`getPhoneNumber`) is precious: a form with mistakes is
refused before the code is spent, and a failure after the exchange keeps the verified phone
(sealed, in the shared store) so the corrected form goes through without a new tap."""

from __future__ import annotations

from collections.abc import Callable

from handlers import SERVICES_KEY, Services
from tests.conftest import AiohttpClient
from tests.fakes.wechat import FakeWeChat
from tests.test_membership_miniprogram import PHONE, _client, _login, form

EXCHANGE = "/wxa/business/getuserphonenumber"


def exchanges(fake: FakeWeChat) -> int:
    return sum(1 for path, _query, _body in fake.calls if path == EXCHANGE)


async def test_a_rejected_form_does_not_spend_the_code_and_a_later_failure_keeps_the_phone(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    api = await _client(backend, aiohttp_client, fake_wechat)
    me = await _login(api, fake_wechat, "o-code")
    body = form(fake_wechat, name="李", id_number="123")  # two mistakes
    code = body["phone_code"]

    bad = await api.post("/api/v1/membership", headers=me, json=body)
    assert bad.status == 422
    assert {p["name"] for p in (await bad.json())["invalid_params"]} >= {"name", "id_number"}
    assert exchanges(fake_wechat) == 0  # the code was never shown to WeChat

    # Mistakes only the domain finds after the exchange (here: a union that wants an ID
    # number — 美团 workers' grassroots union): the verified phone is kept for the retry.
    meituan = dict(body, name="李娜", id_number="", employer="美团", occupation="food_delivery")
    after = await api.post("/api/v1/membership", headers=me, json=meituan)
    assert after.status == 422, await after.text()
    assert [p["name"] for p in (await after.json())["invalid_params"]] == ["id_number"]
    assert exchanges(fake_wechat) == 0  # still caught before the exchange

    fake_wechat.phones.pop(code)  # from now on the code is spent at WeChat
    fake_wechat.phones["code-used"] = PHONE
    first = dict(body, name="李娜", id_number="", phone_code="code-used")
    ctx = api.app[SERVICES_KEY]
    real_enroll = ctx.enrollments.enroll
    failures = [RuntimeError("database went away")]

    async def flaky_enroll(application):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return await real_enroll(application)

    ctx.enrollments.enroll = flaky_enroll  # type: ignore[method-assign]
    failed = await api.post("/api/v1/membership", headers=me, json=first)
    assert failed.status == 500 and exchanges(fake_wechat) == 1
    fake_wechat.phones.pop("code-used")  # WeChat answers a code once

    # The retry brings the same (spent) code, or none: the kept phone is used, no new tap.
    retry = await api.post("/api/v1/membership", headers=me, json=first)
    assert retry.status == 201, await retry.text()
    assert (await retry.json())["phone"] == "139****5678"
    assert exchanges(fake_wechat) == 1
    # Used up by the enrollment: a later submission needs a fresh code again.
    again = dict(first, phone_code="")
    later = await api.post("/api/v1/membership", headers=me, json=again)
    assert later.status == 422
    assert [p["name"] for p in (await later.json())["invalid_params"]] == ["phone_code"]


async def test_the_kept_phone_belongs_to_one_worker_and_is_sealed(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    api = await _client(backend, aiohttp_client, fake_wechat)
    ctx = api.app[SERVICES_KEY]
    me = await _login(api, fake_wechat, "o-one")
    other = await _login(api, fake_wechat, "o-two")
    body = form(fake_wechat)
    real_enroll = ctx.enrollments.enroll
    calls = 0

    async def failing_once(application):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("blip")
        return await real_enroll(application)

    ctx.enrollments.enroll = failing_once  # type: ignore[method-assign]
    assert (await api.post("/api/v1/membership", headers=me, json=body)).status == 500
    stored = await ctx.store.get("mp:verified-phone:o-one")
    assert stored and PHONE not in stored  # sealed with the PII key
    # Another worker without a code of their own gets nothing from it.
    theirs = await api.post("/api/v1/membership", headers=other, json=dict(body, phone_code=""))
    assert theirs.status == 422
