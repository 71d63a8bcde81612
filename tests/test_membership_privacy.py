"""An ID number's application is told only to the account that made it: another account that
posts the same ID number (with its own verified phone) gets one neutral refusal — not the
status, not the union, not the member number — whatever state the application is in."""

from __future__ import annotations

from collections.abc import Callable

from handlers import SERVICES_KEY, Services
from tests.conftest import AiohttpClient
from tests.fakes.wechat import FakeWeChat
from tests.test_membership_miniprogram import _client, _login, form

ID_NUMBER = "11010519491231002X"  # the GB 11643 example, valid check digit


async def test_another_account_learns_nothing_about_an_id_number(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    api = await _client(backend, aiohttp_client, fake_wechat)
    owner = await _login(api, fake_wechat, "o-owner")
    prober = await _login(api, fake_wechat, "o-prober")
    with_id = {"id_number": ID_NUMBER, "id_consent": True}
    mine = await api.post("/api/v1/membership", json=form(fake_wechat, **with_id), headers=owner)
    assert mine.status == 201
    created = await mine.json()
    assert created["occupation"] == "courier" and created["occupation_label"] == "快递员"

    async def probe() -> tuple[int, str]:
        resp = await api.post(
            "/api/v1/membership",
            json=form(fake_wechat, phone="13700001111", **with_id),
            headers=prober,
        )
        return resp.status, await resp.text()

    pending = await probe()
    ids = {u.key: u.id for u in await api.app[SERVICES_KEY].directory.all_unions()}
    await api.app[SERVICES_KEY].enrollments.approve(
        created["id"], actor="staff:1", union_ids=frozenset(ids.values())
    )
    approved = await probe()
    # The same answer before and after the decision, and nothing of the application in it.
    assert pending == approved
    status, text = pending
    assert status == 409
    for secret in (created["union"], "审核中", "已入会", "NM20", "李娜", created["phone"]):
        assert secret not in text, secret
    assert "12351" in text
    # The owner still sees everything about their own application.
    me = await (await api.get("/api/v1/membership/me", headers=owner)).json()
    assert me["status"] == "approved" and me["member_number"]
    # And the prober has no application of their own.
    assert (await api.get("/api/v1/membership/me", headers=prober)).status == 404
