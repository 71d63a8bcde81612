"""A station whose list gave no hours: found, never shown as open, shown with 开放时间未确认 and
its phone, after stations known to be open within a walk — in chat and over the API."""

from __future__ import annotations

from handlers import SERVICES_KEY, Services
from tests.conftest import AppClient
from tests.stations import HOHHOT, add_stations, station
from tests.test_handlers import msg, place, texts

LAT, LNG = HOHHOT


async def _stations(ctx: Services) -> None:
    await add_stations(
        ctx,
        station(
            "UNSURE",
            LAT + 0.001,
            LNG,  # 110 m: the nearest, but nobody knows when it is open
            name="未知时间驿站",
            opening_hours="",
            hours_known=False,
            phone="0471-6600009",
        ),
        station("OPEN", LAT + 0.005, LNG, name="开放驿站"),  # 550 m, 24/7
        station("FAR", LAT + 0.03, LNG, name="远处驿站"),  # 3.3 km, 24/7
    )


async def test_chat_offers_the_open_station_first_then_the_unsure_one_with_its_phone(
    context: Services,
) -> None:
    await _stations(context)
    conversation = context.conversation
    first = await conversation.handle(msg(at=HOHHOT))
    assert place(first).title == "开放驿站"
    detail = next(r for r in first if hasattr(r, "buttons") and r.buttons)
    nxt = next(b for row in detail.buttons for b in row if b.label == "下一个驿站")  # type: ignore[attr-defined]
    second = await conversation.handle(msg(data=nxt.data))
    assert place(second).title == "未知时间驿站"
    words = texts(second)
    assert "开放时间未确认" in words and "0471-6600009" in words
    assert "去之前请先打电话问问是否开放" in words
    assert "营业" not in words  # never presented as open


async def test_api_marks_hours_known_and_never_open_now(client: AppClient) -> None:
    await _stations(client.app[SERVICES_KEY])
    params = {"lat": LAT, "lng": LNG, "coord": "wgs84"}
    body = await (await client.get("/api/v1/stations/nearby", params=params)).json()
    stations = {s["code"]: s for s in body["stations"]}
    assert [s["code"] for s in body["stations"]] == ["OPEN", "UNSURE", "FAR"]
    unsure = stations["UNSURE"]
    assert (unsure["hours_known"], unsure["open_now"], unsure["opening_hours"]) == (
        False,
        False,
        "",
    )
    assert stations["OPEN"]["hours_known"] is True and stations["OPEN"]["open_now"] is True
    detail = await (await client.get(f"/api/v1/stations/{unsure['id']}")).json()
    assert (detail["hours_known"], detail["open_now"]) == (False, False)
