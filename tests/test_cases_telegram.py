"""Feedback and legal aid end to end: Telegram updates through the webhook, the conversation, the
referrals domain and the outbox to a fake Bot API — the worker's dialogs, routing to the right
county's staff chat (imported boundaries), staff claim / reply / resolve by button reaching the
worker, escalation on a frozen clock, and duplicate updates that change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from core import FrozenClock
from core.notices import TELEGRAM, Recipient
from handlers import SERVICES_KEY, DialogState, Services, user_key
from locations import Point
from referrals import Case, NewCase, import_boundaries
from tests.fakes.telegram import WEBHOOK_HEADERS, Call, FakeTelegram, buttons, telegram_settings
from tests.outbox import delivered
from tests.shared import require_boundaries
from tests.stations import add_stations, station
from tests.unions import load_unions
from yizhan.app import create_app

XINCHENG = (40.8580, 111.6655)  # 新城区, WGS-84: its county union has chat -1002
SAIHAN = (40.8070, 111.7010)  # 赛罕区: no county union, so 呼和浩特市总工会 (-1001)
COUNTY_CHAT, LEAGUE_CHAT = "-1002", "-1001"


class Chat:
    """A Telegram user (a worker in a private chat, or staff in a group) talking to the bot."""

    update_id = 5000

    def __init__(
        self, client: TestClient, fake: FakeTelegram, user: int, chat: int | None = None
    ) -> None:
        self.client, self.fake, self.user = client, fake, user
        self.chat = chat if chat is not None else user

    async def post(
        self,
        kind: str,
        body: dict[str, Any],
        *,
        update_id: int | None = None,
        expect_reply: bool = True,
    ) -> list[Call]:
        if update_id is None:
            Chat.update_id += 1
            update_id = Chat.update_id
        before = len(self.fake.sent("sendMessage"))
        resp = await self.client.post(
            "/telegram/webhook", json={"update_id": update_id, kind: body}, headers=WEBHOOK_HEADERS
        )
        assert resp.status == 200, await resp.text()
        if expect_reply:
            await self.fake.wait_for(before + 1, "sendMessage")
        await delivered(self.client)
        return [
            c
            for c in self.fake.sent("sendMessage")[before:]
            if c.params["chat_id"] == str(self.chat)
        ]

    def message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": Chat.update_id,
            "date": 1764000000,
            "from": {"id": self.user, "is_bot": False, "first_name": "师傅"},
            "chat": {"id": self.chat, "type": "private" if self.chat > 0 else "group"},
            **content,
        }

    async def say(self, text: str) -> Call:
        return (await self.post("message", self.message(text=text)))[-1]

    async def location(self, lat: float, lng: float) -> Call:
        return (
            await self.post("message", self.message(location={"latitude": lat, "longitude": lng}))
        )[-1]

    def query(self, data: str) -> dict[str, Any]:
        return {
            "id": f"cb{Chat.update_id}",
            "chat_instance": "1",
            "data": data,
            "from": {"id": self.user, "is_bot": False, "first_name": "师傅"},
            "message": {
                "message_id": 7,
                "date": 1764000000,
                "chat": {"id": self.chat, "type": "private"},
            },
        }

    async def press(self, data: str) -> Call:
        return (await self.post("callback_query", self.query(data)))[-1]


def to_chat(fake: FakeTelegram, chat: str) -> list[Call]:
    return [c for c in fake.sent("sendMessage") if c.params["chat_id"] == chat]


@pytest.fixture
async def bot(
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
) -> TestClient:
    ctx = backend(**telegram_settings(fake_telegram))
    client: TestClient = await aiohttp_client(create_app(ctx))
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    assert await import_boundaries(ctx.db, require_boundaries()) == 116  # `yizhan regions import`
    await add_stations(
        ctx,
        station(
            "XC1",
            40.8585,
            111.6660,
            name="新城区海东路驿站",
            county="新城区",
            opening_hours="Mo-Su 08:00-20:00",
        ),
        station("XC2", 40.8600, 111.6700, name="新城区东风路驿站"),
    )
    await ctx.directory.add_staff("王芳", ["HH-XC"], identities=[Recipient(TELEGRAM, "501")])
    await ctx.directory.add_staff("李强", ["HH"], identities=[Recipient(TELEGRAM, "502")])
    return client


async def test_a_case_card_reaches_the_staff_chat_through_the_bot_api(
    bot: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    """Outbox rows of kind "telegram" in the referrals shape ({"text", "buttons"}) are really
    sent, whichever telegram sender the app registered."""
    ctx = bot.app[SERVICES_KEY]
    got = await ctx.referrals.submit(
        NewCase(
            kind="legal_aid",
            category="work_injury",
            channel="telegram",
            worker_ref="77",
            description="送货时摔伤了，公司不给报工伤",
            point=Point(*XINCHENG),
        )
    )
    assert got.routed_to == "新城区总工会"
    cards = await fake_telegram.wait_for(1, "sendMessage")
    await delivered(bot)
    card = to_chat(fake_telegram, COUNTY_CHAT)
    assert len(card) == 1 and got.case.number in card[0].params["text"]
    assert set(buttons(card[0])) == {"认领", "回复", "办结"}
    assert cards


async def _feedback(worker: Chat, fake: FakeTelegram, *, consent: str = "可以联系我") -> Call:
    """Location shared, then 反馈问题 → station → category → a sentence → consent."""
    await worker.location(*XINCHENG)
    pick = await worker.say("反馈问题")
    station_button = next(d for label, d in buttons(pick).items() if "海东路驿站" in label)
    categories = await worker.press(station_button)
    assert "新城区海东路驿站" in categories.params["text"]
    ask = await worker.press(buttons(categories)["该开没开"])
    ask_consent = await worker.say("下午三点来的，门锁着，牌子上写八点到八点")
    assert "打电话" in ask_consent.params["text"]
    return await worker.press(buttons(ask_consent)[consent]) if ask else ask


async def test_feedback_dialog_reaches_the_county_chat_and_shows_in_my_cases(
    bot: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    worker = Chat(bot, fake_telegram, 42)
    done = await _feedback(worker, fake_telegram)
    text = done.params["text"]
    number = next(w for w in text.replace("。", " ").split() if w.startswith("F") and len(w) == 7)
    assert "已收到" in text and "新城区总工会" in text
    card = to_chat(fake_telegram, COUNTY_CHAT)
    assert len(card) == 1
    assert number in card[0].params["text"] and "新城区海东路驿站" in card[0].params["text"]
    assert "该开没开" in card[0].params["text"] and "门锁着" in card[0].params["text"]
    assert "工人同意工会联系" in card[0].params["text"]
    assert not to_chat(fake_telegram, LEAGUE_CHAT)
    mine = await worker.say("我的求助")
    assert number in mine.params["text"] and "等待工会认领" in mine.params["text"]


async def test_typed_station_name_and_no_consent(
    bot: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    worker = Chat(bot, fake_telegram, 45)
    ask = await worker.say("反馈问题")
    assert "驿站名称" in ask.params["text"]  # no location yet
    missing = await worker.say("火星")
    assert "没有找到" in missing.params["text"]
    categories = await worker.say("东风路")
    assert "新城区东风路驿站" in categories.params["text"]
    skip = await worker.press(buttons(categories)["没有饮水"])
    consent = await worker.press(buttons(skip)["跳过"])
    done = await worker.press(buttons(consent)["不用，在这里回复"])
    assert "已收到" in done.params["text"]
    card = to_chat(fake_telegram, COUNTY_CHAT)[-1]
    assert "没有饮水" in card.params["text"] and "未同意电话联系" in card.params["text"]


async def test_legal_aid_urgent_topic_shows_hotlines_and_routes_by_the_place_named(
    bot: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    worker = Chat(bot, fake_telegram, 43)
    topics = await worker.say("法律援助")
    replies = await worker.post("callback_query", worker.query(buttons(topics)["工伤"]))
    assert "12351" in replies[0].params["text"] and "12348" in replies[0].params["text"]
    too_short = await worker.say("摔了")
    assert "多说几个字" in too_short.params["text"]
    place = await worker.say("送外卖时在路口摔伤，站点不给报工伤")
    assert "旗县区" in place.params["text"]
    consent = await worker.say("赛罕区")
    done = await worker.press(buttons(consent)["可以联系我"])
    assert "呼和浩特市总工会" in done.params["text"] and "12351" in done.params["text"]
    card = to_chat(fake_telegram, LEAGUE_CHAT)  # 赛罕区 has no county union in the directory
    assert len(card) == 1 and "工伤" in card[0].params["text"] and "紧急" in card[0].params["text"]
    cases = await bot.app[SERVICES_KEY].referrals.of_worker("telegram", "43")
    assert [c.area_name for c in cases] == ["赛罕区"] and cases[0].level == "league"


async def test_a_story_waiting_in_the_dialog_is_kept_encrypted(
    bot: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    """Between the description and the consent question the words wait in the shared store
    (Redis in production, which may write them to disk): never in plaintext."""
    worker = Chat(bot, fake_telegram, 46)
    await worker.location(*XINCHENG)
    topics = await worker.say("法律援助")
    await worker.press(buttons(topics)["拖欠工资"])
    story = "我叫赵六，电话13712345678，美团站长拖欠三个月工资"
    consent = await worker.say(story)
    assert "打电话" in consent.params["text"]
    waiting = await bot.app[SERVICES_KEY].store.get(DialogState.key(user_key("telegram", "46")))
    assert waiting is not None and "case:consent" in waiting
    assert not any(words in waiting for words in ("赵六", "13712345678", "美团", "拖欠"))
    await worker.press(buttons(consent)["可以联系我"])
    card = to_chat(fake_telegram, COUNTY_CHAT)[-1]
    # Staff read the story with the phone masked (the case page reveals it, on the record).
    assert story.replace("13712345678", "137****5678") in card.params["text"]


async def test_staff_claim_reply_resolve_by_buttons_reach_the_worker(
    bot: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    worker = Chat(bot, fake_telegram, 42)
    await _feedback(worker, fake_telegram)
    card = to_chat(fake_telegram, COUNTY_CHAT)[0]
    actions = buttons(card)

    stranger = Chat(bot, fake_telegram, 999, chat=int(COUNTY_CHAT))
    assert "登记" in (await stranger.press(actions["认领"])).params["text"]
    league_staff = Chat(bot, fake_telegram, 502, chat=int(LEAGUE_CHAT))
    assert "不归您所在的工会" in (await league_staff.press(actions["认领"])).params["text"]

    staff = Chat(bot, fake_telegram, 501, chat=int(COUNTY_CHAT))
    claimed = await staff.press(actions["认领"])
    assert "王芳 已认领" in claimed.params["text"]
    told = to_chat(fake_telegram, "42")[-1].params["text"]
    assert "新城区总工会的王芳受理" in told

    prompt = await staff.press(actions["回复"])
    assert "回复" in prompt.params["text"]
    answer = await staff.say("已联系站长，明早八点前开门，谢谢您反映")
    assert "已转给求助人" in answer.params["text"]
    assert "明早八点前开门" in to_chat(fake_telegram, "42")[-1].params["text"]

    outcomes = await staff.press(actions["办结"])
    resolved = await staff.press(buttons(outcomes)["问题已解决"])
    assert "已办结" in resolved.params["text"]
    assert "已办结：问题已解决" in to_chat(fake_telegram, "42")[-1].params["text"]
    again = await staff.press(actions["认领"])
    assert "已由王芳认领" in again.params["text"] or "已办结" in again.params["text"]

    mine = await worker.say("我的求助")
    assert "已办结" in mine.params["text"] and "问题已解决" in mine.params["text"]
    service = bot.app[SERVICES_KEY].referrals
    case = (await service.of_worker("telegram", "42"))[0]
    events = await service.events(case.id or 0)
    assert [e.action for e in events] == ["created", "routed", "claimed", "replied", "resolved"]
    assert {e.channel for e in events[2:]} == {"telegram"}
    assert {e.actor_name for e in events[2:]} == {"王芳"}


async def test_unclaimed_legal_aid_escalates_to_the_league_on_the_frozen_clock(
    bot: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    ctx = bot.app[SERVICES_KEY]
    clock = ctx.clock
    assert isinstance(clock, FrozenClock)
    worker = Chat(bot, fake_telegram, 47)
    await worker.location(*XINCHENG)
    topics = await worker.say("法律援助")
    await worker.post("callback_query", worker.query(buttons(topics)["拖欠工资"]))
    consent = await worker.say("快递站拖欠我两个月工资一万二")
    assert "刚才发送的位置" in consent.params["text"]  # no question about the place
    await worker.press(buttons(consent)["不用，在这里回复"])
    assert len(to_chat(fake_telegram, COUNTY_CHAT)) == 1 and not to_chat(fake_telegram, LEAGUE_CHAT)

    service = ctx.referrals
    start = clock.now()
    clock.set(start + timedelta(hours=3, minutes=59))  # 13:59: within 4 working hours
    assert await service.escalate_due() == 0
    clock.set(start + timedelta(hours=4))  # Tuesday 14:00
    assert await service.escalate_due() == 1
    await delivered(bot)
    escalated = to_chat(fake_telegram, LEAGUE_CHAT)
    assert len(escalated) == 1 and "超时未认领，已升级" in escalated[0].params["text"]
    assert "新城区总工会" in escalated[0].params["text"]
    assert await service.escalate_due() == 0  # nothing twice
    league_staff = Chat(bot, fake_telegram, 502, chat=int(LEAGUE_CHAT))
    claimed = await league_staff.press(buttons(escalated[0])["认领"])
    assert "李强 已认领" in claimed.params["text"]
    assert "呼和浩特市总工会的李强受理" in to_chat(fake_telegram, "47")[-1].params["text"]


async def test_duplicate_update_makes_no_second_case_or_staff_message(
    bot: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    worker = Chat(bot, fake_telegram, 48)
    topics = await worker.say("法律援助")
    desc = await worker.press(buttons(topics)["劳动合同"])
    assert "12348" not in desc.params["text"]  # not an urgent topic
    place = await worker.say("公司不和我签劳动合同")
    consent = await worker.say("新城区")
    Chat.update_id += 1
    update_id = Chat.update_id
    body = worker.query(buttons(consent)["可以联系我"])
    first = await worker.post("callback_query", body, update_id=update_id)
    assert "已收到" in first[-1].params["text"] and place
    sent_before = len(fake_telegram.sent())
    again = await worker.post("callback_query", body, update_id=update_id, expect_reply=False)
    assert again == [] and len(fake_telegram.sent()) == sent_before
    stale = await worker.press(buttons(consent)["可以联系我"])  # a second tap, a new update
    assert "过期" in stale.params["text"]
    async with bot.app[SERVICES_KEY].db.session() as session:
        count = (await session.execute(select(func.count()).select_from(Case))).scalar()
    assert count == 1
    assert len(to_chat(fake_telegram, COUNTY_CHAT)) == 1


async def test_the_same_dialog_on_wechat_and_leaving_it_by_the_menu(
    backend: Callable[..., Services],
) -> None:
    """Channel-agnostic: the conversation alone, as the WeChat adapter drives it."""
    from handlers import Message, Text

    ctx = backend()
    await ctx.start()
    await load_unions(ctx)
    talk = ctx.conversation

    async def say(text: str | None = None, data: str | None = None) -> Text:
        replies = await talk.handle(
            Message(channel="wechat", user_id="o-9", chat_id="o-9", text=text, data=data)
        )
        last = replies[-1]
        assert isinstance(last, Text)
        return last

    topics = await say("法律援助")
    data = {b.label: b.data for row in topics.buttons for b in row}
    await say(data=data["账号封禁或处罚"])
    left = await say("附近驿站")  # a menu button mid-form: the form is dropped, not filled in
    assert "发送位置" in left.text
    assert await ctx.referrals.of_worker("wechat", "o-9") == []

    await say("法律援助")
    await say(data=data["账号封禁或处罚"])
    await say("平台无故封了我的骑手账号，还扣了押金")
    consent = await say("东胜区")
    yes = {b.label: b.data for row in consent.buttons for b in row}["可以联系我"]
    done = await say(data=yes)
    cases = await ctx.referrals.of_worker("wechat", "o-9")
    assert len(cases) == 1 and cases[0].number in done.text
    assert cases[0].area_name == "东胜区" and cases[0].consent_contact
    assert cases[0].category == "account_penalty"
    await ctx.finder.stop()
