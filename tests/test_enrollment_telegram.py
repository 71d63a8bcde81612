"""一键入会 through the Telegram webhook and a fake Bot API: four taps with the location known,
the staff chat's buttons, the worker told the outcome, reject → correct → resubmit, another
union's chat refused, and no plaintext phone in what staff get, the logs or the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from core.logging import PiiMaskingFilter
from core.notices import TELEGRAM, Recipient
from handlers import SERVICES_KEY, Services
from tests.conftest import AiohttpClient, AppClient
from tests.fakes.telegram import WEBHOOK_HEADERS, Call, FakeTelegram, buttons, telegram_settings
from tests.outbox import delivered
from tests.unions import load_unions
from yizhan.app import create_app

PHONE = "13812345678"
XINCHENG = (40.8580, 111.6655)  # 新城区, WGS-84


class Chat:
    """A Telegram user (or a staff group) talking to the bot through the webhook."""

    def __init__(
        self, client: AppClient, fake: FakeTelegram, user: int, chat: int | None = None
    ) -> None:
        self.client, self.fake, self.user = client, fake, user
        self.chat = chat if chat is not None else user
        self.taps = 0
        self.last_texts: list[str] = []

    async def _post(self, kind: str, body: dict[str, Any]) -> list[Call]:
        """Every call the bot made to this chat for the update (messages and edits), and
        for a button press its answer (answerCallbackQuery) last."""
        Chat.update_id += 1
        before = len(self.fake.calls)
        answers = len(self.fake.sent("answerCallbackQuery"))
        update = {"update_id": Chat.update_id, kind: body}
        resp = await self.client.post("/telegram/webhook", json=update, headers=WEBHOOK_HEADERS)
        assert resp.status == 200, await resp.text()
        await delivered(self.client)
        if kind == "callback_query":
            await self.fake.wait_for(answers + 1, "answerCallbackQuery")
        calls = self.fake.calls[before:]
        mine = [c for c in calls if c.params.get("chat_id") == str(self.chat)]
        return mine + [c for c in calls if c.method == "answerCallbackQuery"]

    def _chat(self) -> dict[str, Any]:
        return {"id": self.chat, "type": "private" if self.chat > 0 else "group"}

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": Chat.update_id,
            "date": 1764000000,
            "from": {"id": self.user, "is_bot": False, "first_name": "师傅"},
            "chat": self._chat(),
            **content,
        }

    async def say(self, text: str) -> str:
        calls = await self._post("message", self._message(text=text))
        return "\n".join(c.params["text"] for c in calls)

    async def location(self, lat: float, lng: float) -> None:
        await self._post("message", self._message(location={"latitude": lat, "longitude": lng}))

    async def share_contact(self, phone: str, *, own: bool = True, name: str = "张三") -> str:
        self.taps += 1
        contact = {
            "phone_number": phone,
            "first_name": name,
            "user_id": self.user if own else self.user + 1,
        }
        calls = await self._post("message", self._message(contact=contact))
        return "\n".join(c.params["text"] for c in calls)

    async def tap(self, data: str, card: Call | None = None) -> list[Call]:
        """Press a button of `card` (a sent message; its id and text come along as Telegram
        sends them); every call the press made, its answer last."""
        self.taps += 1
        query = {
            "id": f"cb{Chat.update_id}",
            "from": {"id": self.user, "is_bot": False, "first_name": "师傅"},
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 7 if card is None else card.result["message_id"],
                "date": 1764000000,
                "chat": self._chat(),
                "text": "" if card is None else card.params.get("text", ""),
            },
        }
        return await self._post("callback_query", query)

    async def press(self, data: str) -> Call:
        """Press a worker's button: the last message or edit it brought."""
        made = [c for c in await self.tap(data) if c.method != "answerCallbackQuery"]
        self.last_texts = [c.params.get("text", "") for c in made]
        return made[-1]

    update_id = 0


def alert_of(calls: list[Call]) -> str:
    """The alert a button press showed its presser alone ("" for none)."""
    answer = calls[-1]
    assert answer.method == "answerCallbackQuery"
    return str(answer.params.get("text", "")) if answer.params.get("show_alert") else ""


def last_to(fake: FakeTelegram, chat: str) -> Call:
    return [c for c in fake.sent("sendMessage") if c.params["chat_id"] == chat][-1]


@pytest.fixture
async def bot(
    fake_telegram: FakeTelegram, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> AppClient:
    ctx = backend(**telegram_settings(fake_telegram))
    client = await aiohttp_client(create_app(ctx))
    await load_unions(ctx)
    # Registered staff: 901 of the courier union (its group is -1004), 900 of 包头市总工会.
    await ctx.directory.add_staff("王芳", ["HH-KD"], identities=[Recipient(TELEGRAM, "901")])
    await ctx.directory.add_staff("李强", ["BT"], identities=[Recipient(TELEGRAM, "900")])
    return client


async def _enroll_courier(worker: Chat, fake: FakeTelegram, phone: str = PHONE) -> str:
    """Location known: 一键入会, then contact, name, place, occupation, employer, submit."""
    await worker.location(*XINCHENG)
    intro = await worker.say("一键入会")
    assert "同意" in intro
    keyboard = last_to(fake, str(worker.chat)).params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True
    worker.taps = 0
    asked = await worker.share_contact("+86" + phone)
    assert "身份证上的姓名" in asked  # asked, with the contact's name offered
    place = await worker.press(buttons(last_to(fake, str(worker.chat)))["就是“张三”"])
    assert "哪个旗县区" in str(worker.last_texts)
    occ = await worker.press(buttons(place)["就在呼和浩特市新城区"])  # the last location
    employer = await worker.press(buttons(occ)["快递员"])
    summary = await worker.press(buttons(employer)["顺丰速运"])
    assert "呼和浩特市新城区" in summary.params["text"]
    assert "姓名：张三" in summary.params["text"]
    assert "呼和浩特市快递行业工会" in summary.params["text"]
    done = await worker.press(buttons(summary)["✅ 确认提交"])
    return str(done.params["text"])


async def test_four_taps_then_staff_approve_in_their_chat(
    bot: AppClient,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.handler.addFilter(PiiMaskingFilter())  # as configure_logging does in production
    caplog.set_level(logging.DEBUG)
    worker = Chat(bot, fake_telegram, 42)
    done = await _enroll_courier(worker, fake_telegram)
    assert worker.taps == 6  # contact, name, place, occupation, employer, submit
    assert "已提交" in done

    await delivered(bot)
    staff_msg = fake_telegram.sent("sendMessage")
    to_staff = [c for c in fake_telegram.sent("sendMessage") if c.params["chat_id"] == "-1004"]
    assert len(to_staff) == 1
    assert "138****5678" in to_staff[0].params["text"] and PHONE not in str(staff_msg)
    card = to_staff[0]
    approve, reject = buttons(card)["✅ 通过"], buttons(card)["❌ 不通过"]
    why = "enr:why:" + approve.split(":", 2)[2] + ":0"
    back = "enr:back:" + approve.split(":", 2)[2]

    # Everyone but the union's registered staff: a member of the courier union's group who is
    # not registered (anyone can be added to a group), registered staff of another union
    # pressing in this very group, and the worker pressing the data in their own chat. Every
    # staff button: a private alert each time, nothing posted or edited, nothing decided.
    bystander = Chat(bot, fake_telegram, 902, chat=-1004)
    other_union = Chat(bot, fake_telegram, 900, chat=-1004)
    for presser, expected in (
        (bystander, "只有登记过的本工会工作人员"),
        (other_union, "不归您的工会"),
        (worker, "只有登记过的本工会工作人员"),
    ):
        for data in (approve, reject, why, back):
            calls = await presser.tap(data, card)
            assert expected in alert_of(calls), (presser.user, data)
            assert [c.method for c in calls] == ["answerCallbackQuery"], (presser.user, data)
    assert "正在审核" in await worker.say("我的会员")  # still waiting for a decision

    # The union's staff: ❌ turns the card's buttons into reasons, ↩ brings them back.
    staff = Chat(bot, fake_telegram, 901, chat=-1004)
    calls = await staff.tap(reject, card)
    assert [c.method for c in calls] == ["editMessageReplyMarkup", "answerCallbackQuery"]
    assert set(buttons(calls[0])) >= {"已在其他工会入会", "↩ 返回"}
    calls = await staff.tap(back, card)
    assert set(buttons(calls[0])) == {"✅ 通过", "❌ 不通过"}

    calls = await staff.tap(approve, card)
    edit = calls[0]
    assert (
        edit.method == "editMessageText" and edit.params["message_id"] == card.result["message_id"]
    )
    text = edit.params["text"]
    assert text.startswith(card.params["text"])  # the card as it was, and under it:
    assert "✅ 已通过" in text and "NM2026-" in text and "王芳" in text and "11-24 10:00" in text
    assert "reply_markup" not in edit.params  # no buttons left to press
    assert alert_of(calls) == "" and not [c for c in calls if c.method == "sendMessage"]
    await delivered(bot)
    notice = fake_telegram.sent("sendMessage")
    told = [c.params["text"] for c in notice if c.params["chat_id"] == "42"]
    assert any("恭喜" in text and "NM2026-" in text for text in told)
    assert "早已通过" in alert_of(await staff.tap(approve, card))

    mine = await worker.say("/member")
    assert "会员号：NM2026-" in mine
    assert "您是呼和浩特市快递行业工会的会员" in await worker.say("一键入会")
    assert PHONE not in caplog.text


async def test_reject_then_correct_and_resubmit(
    bot: AppClient,
    fake_telegram: FakeTelegram,
) -> None:
    worker = Chat(bot, fake_telegram, 44)
    await _enroll_courier(worker, fake_telegram, phone="13700001111")
    staff = Chat(bot, fake_telegram, 901, chat=-1004)
    first = [c for c in fake_telegram.sent("sendMessage") if c.params["chat_id"] == "-1004"][-1]
    reasons = (await staff.tap(buttons(first)["❌ 不通过"], first))[0]
    rejected = (await staff.tap(buttons(reasons)["信息不完整或有误，请核对后重新提交"], first))[0]
    assert rejected.method == "editMessageText" and "reply_markup" not in rejected.params
    assert "❌ 未通过：信息不完整" in rejected.params["text"] and "王芳" in rejected.params["text"]
    await delivered(bot)
    assert "暂未通过" in await worker.say("我的会员")

    status = await worker.say("一键入会")
    assert "暂未通过" in status and "验证手机号" in status
    await worker.share_contact("13700001111")
    summary = last_to(fake_telegram, "44")  # a correction starts from the last application
    assert "姓名：张三" in summary.params["text"] and "顺丰速运" in summary.params["text"]
    occupations = await worker.press("join:occ:courier")
    summary = await worker.press(buttons(occupations)["中国邮政"])
    done = await worker.press(buttons(summary)["✅ 确认提交"])
    assert "已提交" in done.params["text"]
    ctx = bot.app[SERVICES_KEY]
    mine = await ctx.enrollments.enrollment_of("telegram", "44")
    assert mine is not None and mine.revision == 2 and mine.employer == "中国邮政"
    # Staff get the corrected one with buttons of the new revision; the old buttons are stale.
    newest = [
        c
        for c in fake_telegram.sent("sendMessage")
        if c.params["chat_id"] == "-1004" and "重新提交" in c.params["text"]
    ]
    assert newest and buttons(newest[-1])["✅ 通过"].endswith(f"{mine.id}:2")
    stale = await staff.tap(buttons(first)["✅ 通过"], first)
    assert "重新提交" in alert_of(stale)


async def test_contact_of_someone_else_and_bad_name_are_handled(
    bot: AppClient,
    fake_telegram: FakeTelegram,
) -> None:
    worker = Chat(bot, fake_telegram, 46)
    await worker.say("一键入会")
    assert "自己的手机号" in await worker.share_contact(PHONE, own=False)
    ask_name = await worker.share_contact("13600002222", name="🚚快跑")
    assert "姓名" in ask_name and not buttons(last_to(fake_telegram, "46"))  # no bad name offered
    assert "不要带数字" in await worker.say("王5")
    place = await worker.say("王五")
    assert "旗县区" in place  # no location shared yet: nothing to offer
    occupations = await worker.say("赛罕区")
    employer = await worker.press(buttons(last_to(fake_telegram, "46"))["环卫工人"])
    summary = (await worker.press(buttons(employer)["个人/灵活就业"])).params["text"]
    assert "呼和浩特市赛罕区" in summary and "王五" in summary and "职业" in occupations
    assert (
        await bot.app[SERVICES_KEY].enrollments.enrollment_of("telegram", "46") is None
    )  # nothing yet


async def test_channels_without_contact_sharing_are_sent_to_the_mini_program(
    backend: Callable[..., Services],
) -> None:
    from handlers import Message

    ctx = backend()
    await ctx.start()
    replies = await ctx.conversation.handle(
        Message(channel="wechat", user_id="o-1", chat_id="o-1", text="一键入会")
    )
    assert "小程序" in replies[0].text  # type: ignore[union-attr]
    await ctx.finder.stop()


async def test_where_no_union_accepts_the_worker_may_change_the_place(
    backend: Callable[..., Services],
) -> None:
    """No union in the directory for the place: nothing typed is lost, 改地区 is offered."""
    from handlers import Contact, Message, Text

    ctx = backend()
    await ctx.start()

    async def send(**content: Any) -> list[Text]:
        replies = await ctx.conversation.handle(
            Message(
                channel="telegram", user_id="77", chat_id="77", can_share_contact=True, **content
            )
        )
        return [r for r in replies if isinstance(r, Text)]

    await send(text="一键入会")
    await send(contact=Contact(phone="13900001111", own=True, name="赵六"))
    await send(data="join:nameok")
    await send(text="阿拉善左旗")
    await send(data="join:occ:courier")
    [nobody] = await send(data="join:emp:0")
    assert "暂时还没有可以受理入会的工会" in nobody.text and "阿拉善" in nobody.text
    again = {b.label: b.data for row in nobody.buttons for b in row}
    ask = await send(data=again["改地区"])
    assert "哪个旗县区" in ask[0].text
    await load_unions(ctx)
    [summary] = await send(text="新城区")
    assert "姓名：赵六" in summary.text and "呼和浩特市快递行业工会" in summary.text
    await ctx.finder.stop()
