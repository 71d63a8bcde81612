"""The enrollment outcome reaches the worker on the app they applied through: an Official
Account worker by customer-service text (their openid belongs to that app), a mini-program
worker by subscribe message — through the real senders and the fake WeChat."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.outbox import OutboxMessage
from handlers import SERVICES_KEY, Services
from membership import Application, approve, enroll, reject
from tests.conftest import AppClient
from tests.fakes.wechat import FakeWeChat
from tests.unions import load_unions

OPENID = "o-official-worker"


@pytest.fixture
def wired(wechat_client: AppClient) -> Services:
    return wechat_client.app[SERVICES_KEY]  # the app's context, its WeChat senders registered


def application(channel: str, user: str, **changes: Any) -> Application:
    base = Application(
        name="张三",
        phone="13812345678",
        phone_via="miniprogram_code",
        occupation="sanitation",
        employer="个人",
        league="呼和浩特市",
        county="新城区",
        channel=channel,
        channel_user=user,
        consent=True,
    )
    return replace(base, **changes)


async def delivered(ctx: Services, recipient: str) -> list[OutboxMessage]:
    """The app's own dispatcher runs in the background: wait until it has recorded the send."""
    for _ in range(200):
        await ctx.outbox.drain()
        rows = await rows_to(ctx, recipient)
        if rows and all(r.status == "sent" for r in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(await rows_to(ctx, recipient))


async def rows_to(ctx: Services, recipient: str) -> list[OutboxMessage]:
    async with ctx.db.session() as session:
        return list(
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.recipient) == recipient)
                    .order_by(col(OutboxMessage.id))
                )
            ).scalars()
        )


async def test_official_account_worker_gets_a_text(
    wired: Services,
    fake_wechat: FakeWeChat,
) -> None:
    ids = await load_unions(wired)
    e = (await enroll(wired, application("wechat", OPENID))).enrollment
    decision = await approve(wired, e.id, actor="staff:1", union_ids=frozenset({ids["HH-XC-NEF"]}))
    number = decision.enrollment.member_number
    assert number
    [row] = await delivered(wired, OPENID)
    assert row.kind == "wechat"
    [sent] = fake_wechat.sent
    assert sent["touser"] == OPENID and sent["msgtype"] == "text"
    assert number in sent["text"]["content"] and "恭喜" in sent["text"]["content"]
    assert fake_wechat.subscribed == []  # never the mini-program's API with this app's openid


async def test_rejection_also_by_text(wired: Services, fake_wechat: FakeWeChat) -> None:
    ids = await load_unions(wired)
    e = (await enroll(wired, application("wechat", OPENID))).enrollment
    await reject(
        wired, e.id, "单位填写有误", actor="staff:1", union_ids=frozenset({ids["HH-XC-NEF"]})
    )
    await delivered(wired, OPENID)
    [sent] = fake_wechat.sent
    assert "单位填写有误" in sent["text"]["content"]


async def test_miniprogram_worker_still_gets_a_subscribe_message(
    wired: Services, fake_wechat: FakeWeChat
) -> None:
    ids = await load_unions(wired)
    e = (await enroll(wired, application("miniprogram", "o-mini-worker"))).enrollment
    await approve(wired, e.id, actor="staff:1", union_ids=frozenset({ids["HH-XC-NEF"]}))
    [row] = await rows_to(wired, "o-mini-worker")
    assert row.kind == "miniprogram" and row.payload["template"] == "enrollment_result"
    assert fake_wechat.sent == []
