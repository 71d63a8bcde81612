"""Telegram end to end: the real server and a fake Bot API server, over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.outbox import counts
from handlers import SERVICES_KEY, Services
from locations import Point, distance_m
from tests.fakes.telegram import WEBHOOK_HEADERS, WEBHOOK_SECRET, FakeTelegram, telegram_settings
from tests.stations import HOHHOT, add_stations, station
from yizhan.app import create_app

LAT, LNG = HOHHOT


def _sender(user: int, lang: str) -> dict[str, Any]:
    return {"id": user, "is_bot": False, "first_name": "师傅", "language_code": lang}


def location_update(
    update_id: int,
    lat: float,
    lng: float,
    *,
    user: int = 42,
    lang: str = "zh-hans",
    edited: bool = False,
) -> dict[str, Any]:
    body = {
        "message_id": update_id,
        "date": 1764000000,
        "from": _sender(user, lang),
        "chat": {"id": user, "type": "private"},
        "location": {"latitude": lat, "longitude": lng},
    }
    return {"update_id": update_id, "edited_message" if edited else "message": body}


def text_update(
    update_id: int, text: str, *, user: int = 42, lang: str = "zh-hans"
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1764000000,
            "from": _sender(user, lang),
            "chat": {"id": user, "type": "private"},
            "text": text,
        },
    }


def callback_update(update_id: int, data: str, *, user: int = 42) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": _sender(user, "zh"),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 7,
                "date": 1764000000,
                "chat": {"id": user, "type": "private"},
            },
        },
    }


@pytest.fixture
async def app_client(
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
) -> TestClient:
    client: TestClient = await aiohttp_client(
        create_app(backend(**telegram_settings(fake_telegram)))
    )
    await add_stations(
        client.app[SERVICES_KEY],
        station("NEAR", LAT + 0.001, LNG, name="新华广场驿站", services=["rest", "drinking_water"]),
        station("MEAL", LAT + 0.006, LNG, name="热饭驿站", services=["meal_heating"]),
        station("BT", 40.6570, 109.8400, name="包头钢铁大街驿站"),
    )
    return client


async def post(
    client: TestClient, update: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    resp = await client.post(
        "/telegram/webhook", json=update, headers=WEBHOOK_HEADERS if headers is None else headers
    )
    return resp.status, await resp.json()


async def test_location_gets_a_venue_at_the_station_and_details(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    status, body = await post(app_client, location_update(1, LAT, LNG))
    assert status == 200 and body["outcome"] == "handled"
    venue, details = await fake_telegram.wait_for(2, "sendVenue", "sendMessage")
    assert venue.method == "sendVenue" and details.method == "sendMessage"  # pin first
    assert venue.params["chat_id"] == "42" and venue.params["title"] == "新华广场驿站"
    spot = Point(venue.params["latitude"], venue.params["longitude"])
    assert distance_m(spot, Point(LAT + 0.001, LNG)) < 1  # WGS-84, no GCJ-02 shift
    assert "营业" in details.params["text"] and "步行约 2 分钟" in details.params["text"]
    buttons = [b for row in details.params["reply_markup"]["inline_keyboard"] for b in row]
    assert any(b["text"] == "下一个驿站" and b["callback_data"].startswith("n:") for b in buttons)
    assert any(
        b["text"] == "高德地图" and b["url"].startswith("https://uri.amap.com/") for b in buttons
    )
    assert all(len(b.get("callback_data", "").encode()) <= 64 for b in buttons)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET + "x"},
    ],
)
async def test_wrong_or_missing_secret_is_refused_and_changes_nothing(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
    headers: dict[str, str],
) -> None:
    status, body = await post(app_client, location_update(5, LAT, LNG), headers=headers)
    assert status == 401 and body["title"] == "未通过身份验证"
    await asyncio.sleep(0.3)
    assert fake_telegram.calls == []
    assert await counts(app_client.app[SERVICES_KEY].db) == {}
    # The update was not marked as seen either: the genuine delivery still gets its answer.
    status, body = await post(app_client, location_update(5, LAT, LNG))
    assert body["outcome"] == "handled"
    await fake_telegram.wait_for(1, "sendVenue")


async def test_without_a_configured_secret_everything_is_refused(
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
) -> None:
    client = await aiohttp_client(
        create_app(backend(**telegram_settings(fake_telegram, secret=None)))
    )
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": ""}, WEBHOOK_HEADERS):
        status, _ = await post(client, location_update(9, LAT, LNG), headers=headers)
        assert status == 401
    assert fake_telegram.calls == []


async def test_repeated_update_id_gets_one_reply_across_processes(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
) -> None:
    # A second process.
    other = await aiohttp_client(create_app(backend(**telegram_settings(fake_telegram))))
    update = location_update(77, LAT, LNG)
    results = await asyncio.gather(
        post(app_client, update), post(other, update), post(app_client, update)
    )
    assert sorted(body["outcome"] for _, body in results) == ["duplicate", "duplicate", "handled"]
    await fake_telegram.wait_for(2, "sendVenue", "sendMessage")
    await asyncio.sleep(0.5)
    assert len(fake_telegram.sent("sendVenue")) == 1 and len(fake_telegram.sent("sendMessage")) == 1
    _, body = await post(other, update)  # much later: still remembered
    assert body["outcome"] == "duplicate"


async def test_429_is_retried_after_retry_after(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.fail_next("sendVenue", 429, retry_after=1)
    await post(app_client, location_update(11, LAT, LNG))
    venue, _ = await fake_telegram.wait_for(2, "sendVenue", "sendMessage")
    refused = fake_telegram.rejected[0]
    assert refused.method == "sendVenue"
    assert venue.at - refused.at >= 0.95
    assert venue.params == refused.params


async def test_5xx_is_retried_and_nothing_is_sent_twice(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.fail_next("sendMessage", 502, times=2)
    await post(app_client, location_update(12, LAT, LNG))
    await fake_telegram.wait_for(2, "sendVenue", "sendMessage")
    assert len(fake_telegram.rejected) == 2
    assert len(fake_telegram.sent("sendVenue")) == 1 and len(fake_telegram.sent("sendMessage")) == 1


async def test_service_words_and_place_names_route_correctly(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    await post(app_client, location_update(20, LAT, LNG))
    await fake_telegram.wait_for(1, "sendVenue")
    await post(app_client, text_update(21, "哪里能热饭"))
    venues = await fake_telegram.wait_for(2, "sendVenue")
    assert venues[1].params["title"] == "热饭驿站"
    await post(app_client, text_update(22, "包头"))
    venues = await fake_telegram.wait_for(3, "sendVenue")
    assert venues[2].params["title"] == "包头钢铁大街驿站"


async def test_button_press_is_answered_at_once_and_shows_the_next_station(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    await post(app_client, location_update(30, LAT, LNG))
    _, details = await fake_telegram.wait_for(2, "sendVenue", "sendMessage")
    nxt = next(
        b["callback_data"]
        for row in details.params["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "下一个驿站"
    )
    status, body = await post(app_client, callback_update(31, nxt))
    assert status == 200 and body["outcome"] == "handled"
    (answer,) = await fake_telegram.wait_for(1, "answerCallbackQuery")
    assert answer.params == {"callback_query_id": "cb31"}
    venues = await fake_telegram.wait_for(2, "sendVenue")
    assert venues[1].params["title"] == "热饭驿站"


async def test_live_location_refreshes_at_most_every_few_minutes(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    outcomes = []
    for i in range(4):
        _, body = await post(
            app_client, location_update(40 + i, LAT, LNG + i * 0.0001, edited=True)
        )
        outcomes.append(body["outcome"])
    assert outcomes == ["handled", "ignored", "ignored", "ignored"]
    await fake_telegram.wait_for(1, "sendVenue")
    await asyncio.sleep(0.3)
    assert len(fake_telegram.sent("sendVenue")) == 1
    # Someone else's live location is not held back by this one's.
    _, body = await post(app_client, location_update(50, LAT, LNG, user=43, edited=True))
    assert body["outcome"] == "handled"


async def test_english_users_get_english_and_start_shows_the_keyboard(
    app_client: TestClient,
    fake_telegram: FakeTelegram,
) -> None:
    await post(app_client, text_update(60, "/start", lang="en"))
    (start,) = await fake_telegram.wait_for(1, "sendMessage")
    keyboard = start.params["reply_markup"]["keyboard"]
    assert keyboard[0][0] == {"text": "Send location", "request_location": True}
    assert start.params["text"].startswith("Hello")
