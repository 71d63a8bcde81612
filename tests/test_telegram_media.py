"""Media in the chat: a photo captioned "驿站门锁了" starts a feedback report that keeps the
photo and the words; a photo during a report joins it; a voice message and a sticker are told
what the bot can take instead. Through the webhook and the fake Bot API."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from handlers import SERVICES_KEY
from tests.fakes.telegram import FakeTelegram, buttons
from tests.test_cases_telegram import COUNTY_CHAT, XINCHENG, Chat, bot, to_chat

__all__ = ["bot"]  # the fixture, shared with the case tests

PHOTO = [
    {"file_id": "small-id", "file_unique_id": "s", "width": 90, "height": 90},
    {"file_id": "large-id", "file_unique_id": "l", "width": 1280, "height": 960},
]


async def test_a_captioned_photo_becomes_a_report_with_the_photo(
    bot: TestClient, fake_telegram: FakeTelegram
) -> None:
    worker = Chat(bot, fake_telegram, 71)
    await worker.location(*XINCHENG)
    replies = await worker.post("message", worker.message(photo=PHOTO, caption="驿站门锁了"))
    assert "收到照片" in replies[0].params["text"]
    pick = replies[-1]
    station = next(d for label, d in buttons(pick).items() if "海东路驿站" in label)
    categories = await worker.press(station)
    consent = await worker.press(buttons(categories)["该开没开"])
    assert "打电话" in consent.params["text"]  # the caption was the description
    done = await worker.press(buttons(consent)["可以联系我"])
    assert "已收到" in done.params["text"]
    card = to_chat(fake_telegram, COUNTY_CHAT)[-1].params["text"]
    assert "驿站门锁了" in card and "附有照片" in card
    [case] = await bot.app[SERVICES_KEY].referrals.of_worker("telegram", "71")
    assert case.photo_ref == "telegram:large-id"  # the largest size, by its file_id


async def test_a_photo_joins_the_report_being_filled_in(
    bot: TestClient, fake_telegram: FakeTelegram
) -> None:
    worker = Chat(bot, fake_telegram, 72)
    await worker.location(*XINCHENG)
    pick = await worker.say("反馈问题")
    station = next(d for label, d in buttons(pick).items() if "海东路驿站" in label)
    categories = await worker.press(station)
    joined = await worker.post("message", worker.message(photo=PHOTO))
    assert "照片收到了" in joined[-1].params["text"]
    ask = await worker.press(buttons(categories)["没有饮水"])
    consent = await worker.press(buttons(ask)["跳过"])
    await worker.press(buttons(consent)["不用，在这里回复"])
    [case] = await bot.app[SERVICES_KEY].referrals.of_worker("telegram", "72")
    assert case.photo_ref == "telegram:large-id" and case.category == "no_water"


async def test_voice_and_stickers_are_told_what_works(
    bot: TestClient, fake_telegram: FakeTelegram
) -> None:
    worker = Chat(bot, fake_telegram, 73)
    voice = await worker.post("message", worker.message(voice={"file_id": "v", "duration": 3}))
    assert "语音我还看不懂" in voice[-1].params["text"] and "发送位置" in voice[-1].params["text"]
    sticker = {"file_id": "st", "type": "regular", "width": 512, "height": 512}
    answer = await worker.post("message", worker.message(sticker=sticker))
    assert "表情我还看不懂" in answer[-1].params["text"]
    assert "没太明白" not in answer[-1].params["text"]
