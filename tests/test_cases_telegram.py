"""Feedback and legal aid end to end: Telegram updates through the webhook, the conversation, the
referrals domain and the outbox to a fake Bot API — the worker's dialogs, routing to the right
county's staff chat (imported boundaries), staff claim / reply / resolve by button reaching the
worker, escalation on a frozen clock, and duplicate updates that change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from core import CONTEXT, AppContext
from core.app import create_app
from core.outbox import counts
from locations import Point
from membership import add_staff
from referrals import NewCase, import_boundaries, service_of
from tests.fakes.telegram import Call, FakeTelegram
from tests.stations import add_stations, station
from tests.unions import load_unions

BOUNDARIES = Path("/work/shared/data/nmg_admin_boundaries.geojson")
SECRET = "webhook-Secret_123"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
XINCHENG = (40.8580, 111.6655)  # 新城区, WGS-84: its county union has chat -1002
SAIHAN = (40.8070, 111.7010)  # 赛罕区: no county union, so 呼和浩特市总工会 (-1001)
COUNTY_CHAT, LEAGUE_CHAT = "-1002", "-1001"


class Chat:
    """A Telegram user (a worker in a private chat, or staff in a group) talking to the bot."""

    update_id = 5000

    def __init__(self, client: TestClient, fake: FakeTelegram, user: int,  # type: ignore[type-arg]
                 chat: int | None = None) -> None:
        self.client, self.fake, self.user = client, fake, user
        self.chat = chat if chat is not None else user

    async def post(self, kind: str, body: dict[str, Any], *, update_id: int | None = None,
                   expect_reply: bool = True) -> list[Call]:
        if update_id is None:
            Chat.update_id += 1
            update_id = Chat.update_id
        before = len(self.fake.sent("sendMessage"))
        resp = await self.client.post("/telegram/webhook", json={"update_id": update_id, kind: body},
                                      headers=HEADERS)
        assert resp.status == 200, await resp.text()
        if expect_reply:
            await self.fake.wait_for(before + 1, "sendMessage")
        await delivered(self.client)
        return [c for c in self.fake.sent("sendMessage")[before:]
                if c.params["chat_id"] == str(self.chat)]

    def message(self, **content: Any) -> dict[str, Any]:
        return {"message_id": Chat.update_id, "date": 1764000000,
                "from": {"id": self.user, "is_bot": False, "first_name": "师傅"},
                "chat": {"id": self.chat, "type": "private" if self.chat > 0 else "group"},
                **content}

    async def say(self, text: str) -> Call:
        return (await self.post("message", self.message(text=text)))[-1]

    async def location(self, lat: float, lng: float) -> Call:
        return (await self.post("message", self.message(
            location={"latitude": lat, "longitude": lng})))[-1]

    def query(self, data: str) -> dict[str, Any]:
        return {"id": f"cb{Chat.update_id}", "chat_instance": "1", "data": data,
                "from": {"id": self.user, "is_bot": False, "first_name": "师傅"},
                "message": {"message_id": 7, "date": 1764000000,
                            "chat": {"id": self.chat, "type": "private"}}}

    async def press(self, data: str) -> Call:
        return (await self.post("callback_query", self.query(data)))[-1]


async def delivered(client: TestClient) -> None:  # type: ignore[type-arg]
    """Wait until the outbox has sent everything queued so far."""
    async with asyncio.timeout(10):
        while set(await counts(client.app[CONTEXT].db)) - {"sent", "dead"}:
            await asyncio.sleep(0.02)


def buttons(call: Call) -> dict[str, str]:
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}


def to_chat(fake: FakeTelegram, chat: str) -> list[Call]:
    return [c for c in fake.sent("sendMessage") if c.params["chat_id"] == chat]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.close()


@pytest.fixture
async def bot(backend: Callable[..., AppContext], aiohttp_client: Callable[..., Any],
              fake: FakeTelegram) -> TestClient:  # type: ignore[type-arg]
    ctx = backend(telegram_bot_token=SecretStr(fake.token),
                  telegram_webhook_secret=SecretStr(SECRET), telegram_api_base=fake.base_url)
    client: TestClient = await aiohttp_client(create_app(ctx))  # type: ignore[type-arg]
    ctx = client.app[CONTEXT]
    await load_unions(ctx)
    assert await import_boundaries(ctx.db, BOUNDARIES) == 116  # `yizhan regions import`
    await add_stations(ctx, station("XC1", 40.8585, 111.6660, name="新城区海东路驿站",
                                    county="新城区", opening_hours="Mo-Su 08:00-20:00"),
                       station("XC2", 40.8600, 111.6700, name="新城区东风路驿站"))
    await add_staff(ctx.db, "王芳", ["HH-XC"], telegram_user_id="501")
    await add_staff(ctx.db, "李强", ["HH"], telegram_user_id="502")
    return client


async def test_a_case_card_reaches_the_staff_chat_through_the_bot_api(
    bot: TestClient, fake: FakeTelegram,  # type: ignore[type-arg]
) -> None:
    """Outbox rows of kind "telegram" in the referrals shape ({"text", "buttons"}) are really
    sent, whichever telegram sender the app registered."""
    ctx = bot.app[CONTEXT]
    got = await service_of(ctx).submit(NewCase(
        kind="legal_aid", category="work_injury", channel="telegram", worker_ref="77",
        description="送货时摔伤了，公司不给报工伤", point=Point(*XINCHENG)))
    assert got.routed_to == "新城区总工会"
    cards = await fake.wait_for(1, "sendMessage")
    await delivered(bot)
    card = to_chat(fake, COUNTY_CHAT)
    assert len(card) == 1 and got.case.number in card[0].params["text"]
    assert set(buttons(card[0])) == {"认领", "回复", "办结"}
    assert cards
