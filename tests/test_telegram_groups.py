"""A worker's dialog stays private: in a group the bot answers a worker's command with one
pointer and a deep link to its private chat (the bot's username from getMe), chatter gets no
reply, a staff group hears only staff business, `/start <payload>` starts the dialog asked for,
and 我的会员 / 我的求助 answer only the account that made the item. Through the webhook and the
fake Bot API; afterwards nothing in the groups holds personal data."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from core.notices import TELEGRAM, Recipient
from handlers import Services
from tests.conftest import AiohttpClient, AppClient
from tests.fakes.telegram import (
    BOT_USERNAME,
    WEBHOOK_HEADERS,
    Call,
    FakeTelegram,
    buttons,
    telegram_settings,
)
from tests.outbox import delivered
from tests.unions import load_unions
from yizhan.app import create_app

PHONE = "13812345678"
XINCHENG = (40.8580, 111.6655)
GROUP, STAFF_GROUP = -2001, -1004  # an ordinary group; the courier union's staff group


class Member:
    """A Telegram user speaking in `chat` (their private chat by default)."""

    update_id = 9000

    def __init__(self, client: AppClient, fake: FakeTelegram, user: int, chat: int = 0) -> None:
        self.client, self.fake, self.user = client, fake, user
        self.chat = chat or user

    async def send(self, **content: Any) -> list[Call]:
        Member.update_id += 1
        before = len(self.fake.calls)
        kind = "private" if self.chat > 0 else "supergroup"
        message = {
            "message_id": Member.update_id,
            "date": 1764000000,
            "from": {"id": self.user, "is_bot": False, "first_name": "骑手"},
            "chat": {"id": self.chat, "type": kind},
            **content,
        }
        resp = await self.client.post(
            "/telegram/webhook",
            json={"update_id": Member.update_id, "message": message},
            headers=WEBHOOK_HEADERS,
        )
        assert resp.status == 200, await resp.text()
        await delivered(self.client)
        return [c for c in self.fake.calls[before:] if c.params.get("chat_id") == str(self.chat)]

    async def say(self, text: str) -> list[Call]:
        return await self.send(text=text)

    async def press(self, data: str) -> list[Call]:
        Member.update_id += 1
        before = len(self.fake.calls)
        query = {
            "id": f"q{Member.update_id}",
            "from": {"id": self.user, "is_bot": False, "first_name": "骑手"},
            "chat_instance": "1",
            "data": data,
            "message": {"message_id": 5, "date": 1764000000, "chat": {"id": self.chat}},
        }
        resp = await self.client.post(
            "/telegram/webhook",
            json={"update_id": Member.update_id, "callback_query": query},
            headers=WEBHOOK_HEADERS,
        )
        assert resp.status == 200
        await delivered(self.client)
        return [c for c in self.fake.calls[before:] if c.params.get("chat_id") == str(self.chat)]


def link(payload: str) -> str:
    return f"https://t.me/{BOT_USERNAME}?start={payload}"


def pointer(calls: list[Call], payload: str) -> None:
    """One short message with one URL button into the private chat, and nothing else."""
    assert [c.method for c in calls] == ["sendMessage"], calls
    params = calls[0].params
    assert "私聊" in params["text"] and len(params["text"]) < 60
    rows = params["reply_markup"]["inline_keyboard"]
    assert rows == [[{"text": "私聊驿站通", "url": link(payload)}]]


@pytest.fixture
async def bot(
    fake_telegram: FakeTelegram, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> AppClient:
    ctx = backend(**telegram_settings(fake_telegram))
    client = await aiohttp_client(create_app(ctx))
    await load_unions(ctx)
    await ctx.directory.add_staff("王芳", ["HH-KD"], identities=[Recipient(TELEGRAM, "901")])
    return client


async def test_a_group_gets_pointers_and_the_private_chat_the_dialog(
    bot: AppClient, fake_telegram: FakeTelegram
) -> None:
    rider = Member(bot, fake_telegram, 42, GROUP)
    for said, payload in (
        ("一键入会", "join"),
        ("我的会员", "member"),
        ("我的求助", "cases"),
        ("反馈问题", "feedback"),
        ("/legal@" + BOT_USERNAME, "legal"),
        ("厕所", "near"),
        ("/start", "help"),
    ):
        pointer(await rider.say(said), payload)
    pointer(await rider.send(location={"latitude": XINCHENG[0], "longitude": XINCHENG[1]}), "near")
    assert await rider.say("大家早上好") == []  # chatter: no reply at all
    assert await rider.say("今天好冷啊，注意保暖") == []
    assert await rider.say("海东路驿站今天人好多，附近的厕所也排队") == []
    assert len(fake_telegram.sent("getMe")) == 1  # the username is asked once

    # The link's payload starts the dialog in the private chat, with its private-only keyboard.
    private = Member(bot, fake_telegram, 42)
    [intro] = await private.say("/start join")
    keyboard = intro.params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True
    contact = {"phone_number": PHONE, "first_name": "张三", "user_id": 42}
    await private.send(location={"latitude": XINCHENG[0], "longitude": XINCHENG[1]})
    await private.say("/start join")
    named = (await private.send(contact=contact))[-1]
    here = (await private.press(buttons(named)["就是“张三”"]))[-1]
    occupations = (await private.press(buttons(here)["就在呼和浩特市新城区"]))[-1]
    employers = (await private.press(buttons(occupations)["快递员"]))[-1]
    summary = (await private.press(buttons(employers)["顺丰速运"]))[-1]
    done = (await private.press(buttons(summary)["✅ 确认提交"]))[-1]
    assert "已提交" in done.params["text"]

    # Another member of the group: in the group a pointer; in their own chat, nothing of 42's.
    other = Member(bot, fake_telegram, 43, GROUP)
    pointer(await other.say("我的会员"), "member")
    [mine] = await Member(bot, fake_telegram, 43).say("我的会员")
    assert "还没有申请入会" in mine.params["text"]
    [cases] = await Member(bot, fake_telegram, 43).say("我的求助")
    assert "还没有提交过求助" in cases.params["text"]

    # A worker's button pressed in a group: a private alert, nothing in the group.
    assert await other.press("n:40.85800,111.66550:0:") == []
    alerts = fake_telegram.sent("answerCallbackQuery")
    assert alerts[-1].params.get("show_alert") and "私聊" in alerts[-1].params["text"]

    # The staff group: the new application's card, and to chatter no answer.
    staff_group = Member(bot, fake_telegram, 901, STAFF_GROUP)
    assert await staff_group.say("大家早上好") == []
    cards = [
        c for c in fake_telegram.sent("sendMessage") if c.params["chat_id"] == str(STAFF_GROUP)
    ]
    assert len(cards) == 1 and "新的入会申请" in cards[0].params["text"]

    # Nothing personal was ever posted to the ordinary group.
    in_group = json.dumps(
        [c.params for c in fake_telegram.calls if c.params.get("chat_id") == str(GROUP)],
        ensure_ascii=False,
    )
    for secret in (PHONE, "138****5678", "张三", "顺丰", "快递员", "request_contact", '"keyboard"'):
        assert secret not in in_group, secret


async def test_a_start_payload_that_is_unknown_is_the_welcome(
    bot: AppClient, fake_telegram: FakeTelegram
) -> None:
    [welcome] = await Member(bot, fake_telegram, 44).say("/start <script>")
    assert "驿站通" in welcome.params["text"]
    [welcome] = await Member(bot, fake_telegram, 44).say("/start nothing_we_know")
    assert "驿站通" in welcome.params["text"]
