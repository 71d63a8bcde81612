"""Media in the chat: a photo captioned "驿站门锁了" starts a feedback report that keeps the
photo and the words; a photo during a report joins it; staff open the photo from the case; a
photo that cannot be kept is answered with why; a voice message and a sticker are told what the
bot can take instead. Through the webhook and the fake Bot API, which serves the photo's file."""

from __future__ import annotations

import io

import httpx
import pytest
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy import func, select

from core.media import MediaItem, is_media_id
from handlers import SERVICES_KEY
from integrations import TelegramClient, TelegramFileTooLarge, TelegramRejected
from tests.fakes.telegram import Call, FakeTelegram, buttons
from tests.photos import has_gps, phone_jpeg
from tests.test_cases_telegram import COUNTY_CHAT, XINCHENG, Chat, bot, to_chat

__all__ = ["bot"]  # the fixture, shared with the case tests

PHOTO = [
    {"file_id": "small-id", "file_unique_id": "s", "width": 90, "height": 90},
    {"file_id": "large-id", "file_unique_id": "l", "width": 1280, "height": 960},
]
SENT = phone_jpeg((1280, 960))  # what the rider's phone took, GPS in its EXIF


@pytest.fixture(autouse=True)
def photo_on_telegram(fake_telegram: FakeTelegram) -> None:
    fake_telegram.files["large-id"] = SENT
    fake_telegram.files["small-id"] = phone_jpeg((90, 90))


async def report_haidong(worker: Chat) -> Call:
    """A report on 海东路驿站 begun: the question that asks what is wrong."""
    await worker.location(*XINCHENG)
    pick = await worker.say("反馈问题")
    station = next(d for label, d in buttons(pick).items() if "海东路驿站" in label)
    return await worker.press(station)


async def finish_no_water(worker: Chat, categories: Call) -> None:
    ask = await worker.press(buttons(categories)["没有饮水"])
    consent = await worker.press(buttons(ask)["跳过"])
    await worker.press(buttons(consent)["不用，在这里回复"])


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
    ctx = bot.app[SERVICES_KEY]
    [case] = await ctx.referrals.of_worker("telegram", "71")
    assert is_media_id(case.photo_ref)
    assert fake_telegram.downloads == ["photos/large-id.jpg"]  # the largest size only

    # Staff of the county open the photo from the case: the picture, without the GPS.
    _staff, token = await ctx.directory.add_staff("王芳", ["HH-XC"])
    staff = await (
        await bot.get(f"/admin/v1/cases/{case.id}", headers={"Authorization": f"Bearer {token}"})
    ).json()
    assert staff["photo"] == case.photo_ref
    shown = await bot.get(staff["photo_url"])
    assert shown.status == 200
    data = await shown.read()
    with Image.open(io.BytesIO(data)) as image, Image.open(io.BytesIO(SENT)) as sent:
        assert image.size == sent.size
        assert image.getpixel((10, 10)) == pytest.approx(sent.getpixel((10, 10)), abs=8)
    assert not has_gps(data)


async def test_a_photo_joins_the_report_being_filled_in(
    bot: TestClient, fake_telegram: FakeTelegram
) -> None:
    worker = Chat(bot, fake_telegram, 72)
    categories = await report_haidong(worker)
    joined = await worker.post("message", worker.message(photo=PHOTO))
    assert "照片收到了" in joined[-1].params["text"]
    await finish_no_water(worker, categories)
    [case] = await bot.app[SERVICES_KEY].referrals.of_worker("telegram", "72")
    assert is_media_id(case.photo_ref) and case.category == "no_water"


async def test_a_photo_that_cannot_be_kept_is_answered_with_why(
    bot: TestClient, fake_telegram: FakeTelegram
) -> None:
    worker = Chat(bot, fake_telegram, 74)
    categories = await report_haidong(worker)

    fake_telegram.files["large-id"] = b"%PDF-1.4 not a picture"
    refused = await worker.post("message", worker.message(photo=PHOTO, caption="门锁了"))
    assert "照片收不下" in refused[-1].params["text"]
    del fake_telegram.files["large-id"]  # Telegram no longer has it
    lost = await worker.post("message", worker.message(photo=PHOTO))
    assert "照片这次没收到" in lost[-1].params["text"]

    # The report being filled in is as it was: it goes on, without a photo or those words.
    await finish_no_water(worker, categories)
    [case] = await bot.app[SERVICES_KEY].referrals.of_worker("telegram", "74")
    assert case.photo_ref == "" and "门锁了" not in (case.description or "")
    async with bot.app[SERVICES_KEY].db.session() as session:
        assert (await session.execute(select(func.count()).select_from(MediaItem))).scalar() == 0


async def test_a_photo_in_a_group_is_not_fetched(
    bot: TestClient, fake_telegram: FakeTelegram
) -> None:
    member = Chat(bot, fake_telegram, 75, chat=-2001)
    await member.post(
        "message", member.message(photo=PHOTO, caption="驿站门锁了"), expect_reply=False
    )
    assert fake_telegram.downloads == []
    assert await bot.app[SERVICES_KEY].referrals.of_worker("telegram", "75") == []


async def test_the_client_downloads_within_a_size(fake_telegram: FakeTelegram) -> None:
    async with httpx.AsyncClient() as http:
        client = TelegramClient(http, fake_telegram.token, base_url=fake_telegram.base_url)
        assert await client.download("large-id", max_bytes=len(SENT)) == SENT
        with pytest.raises(TelegramFileTooLarge):
            await client.download("large-id", max_bytes=len(SENT) - 1)
        with pytest.raises(TelegramRejected):
            await client.download("gone-id", max_bytes=len(SENT))


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
