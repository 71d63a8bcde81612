"""The worker's language: `/lang` and its buttons switch between 中文 and English and are
remembered (over what the phone reports), and everything the worker receives follows — the
acknowledgement, and the claim / reply / resolve notices that staff actions send later."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from core.notices import Notice
from handlers import SERVICES_KEY, localize_notice, user_key
from tests.fakes.telegram import Call, FakeTelegram, buttons
from tests.test_cases_telegram import COUNTY_CHAT, Chat, bot, to_chat

__all__ = ["bot"]  # the fixture, shared with the case tests


class Speaker(Chat):
    """A worker whose phone reports `language`."""

    def __init__(self, client: TestClient, fake: FakeTelegram, user: int, language: str) -> None:
        super().__init__(client, fake, user)
        self.language = language

    def message(self, **content: Any) -> dict[str, Any]:
        body = super().message(**content)
        body["from"]["language_code"] = self.language
        return body

    def query(self, data: str) -> dict[str, Any]:
        body = super().query(data)
        body["from"]["language_code"] = self.language
        return body


async def test_lang_switch_is_remembered_over_the_phone_language(
    bot: TestClient, fake_telegram: FakeTelegram
) -> None:
    rider = Speaker(bot, fake_telegram, 61, "en")  # a Chinese rider whose phone says "en"
    assert "Help" in str((await rider.say("/help")).params)
    switch = await rider.say("/lang")
    assert set(buttons(switch)) == {"中文", "English"}
    chosen = await rider.press(buttons(switch)["中文"])
    assert "以后用中文" in chosen.params["text"]
    assert "可以这样用" in (await rider.say("/help")).params["text"]
    stored = await bot.app[SERVICES_KEY].store.get(f"lang:{user_key('telegram', '61')}")
    assert stored == "zh"
    back = await rider.press(buttons(await rider.say("语言"))["English"])
    assert "English" in back.params["text"]


async def test_an_english_worker_is_told_every_step_in_english(
    bot: TestClient, fake_telegram: FakeTelegram
) -> None:
    worker = Speaker(bot, fake_telegram, 62, "zh-hans")
    await worker.press(buttons(await worker.say("/lang"))["English"])
    topics = await worker.say("Legal aid")
    await worker.press(buttons(topics)["Labour contract"])
    await worker.say("The company will not sign a labour contract with me")
    consent = await worker.say("新城区")
    done = await worker.press(buttons(consent)["Yes, call me"])
    assert "Received. Your request number is" in done.params["text"], done.params["text"]
    assert "新城区总工会" in done.params["text"]  # a union's name is data and stays

    card = to_chat(fake_telegram, COUNTY_CHAT)[-1]
    staff = Chat(bot, fake_telegram, 501, chat=int(COUNTY_CHAT))
    await staff.tap(buttons(card)["认领"], card)
    claimed = to_chat(fake_telegram, "62")[-1].params["text"]
    assert "In progress" in claimed and "taken it on" in claimed, claimed
    _alert, made = await staff.tap(buttons(card)["办结"], card)
    await staff.tap(buttons(made[-1])["问题已解决"], made[-1])
    resolved: Call = to_chat(fake_telegram, "62")[-1]
    assert "Resolved" in resolved.params["text"] and "Problem solved" in resolved.params["text"]


def test_an_enrollment_outcome_in_english() -> None:
    approved = Notice(
        "恭喜！…",
        template="enrollment_result",
        data={"status": "已通过", "member_number": "NM2026-000001-8", "union": "包头市总工会"},
    )
    text = localize_notice(approved, "en").text
    assert "Congratulations" in text and "NM2026-000001-8" in text and "包头市总工会" in text
    rejected = Notice(
        "您的入会申请暂未通过…",
        template="enrollment_result",
        data={"status": "未通过", "reason": "信息不完整或有误，请核对后重新提交"},
    )
    assert "Details missing or wrong" in localize_notice(rejected, "en").text
    staff_card = Notice("新的入会申请 #1")  # no template: staff read it as it is
    assert localize_notice(staff_card, "en") is staff_card
    assert localize_notice(approved, "zh") is approved
