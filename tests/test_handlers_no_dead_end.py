"""Nobody is left at a dead end: at night the nearest station open now is offered even beyond
10 km (with the e-bike time) beside the one that opens soonest, and "search further" reaches
further; a place outside the region says which regions are served; a typed place is measured
from the place named and says so."""

from __future__ import annotations

from datetime import datetime

from core import CHINA_TZ, FrozenClock
from handlers import Message, Place, Reply, Services, Text
from locations import Point
from tests.stations import HOHHOT, add_stations, station

LAT, LNG = HOHHOT


def located(at: tuple[float, float], user: str = "n1") -> Message:
    return Message(channel="console", user_id=user, chat_id=user, location=Point(*at))


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Text))


def pins(replies: list[Reply]) -> list[str]:
    return [r.title for r in replies if isinstance(r, Place)]


def button_data(replies: list[Reply]) -> dict[str, str]:
    return {
        b.label: b.data
        for r in replies
        if isinstance(r, Text)
        for row in r.buttons
        for b in row
        if b.data
    }


async def test_at_three_in_the_night_the_open_one_further_away_is_offered(
    context: Services,
) -> None:
    clock = context.clock
    assert isinstance(clock, FrozenClock)
    clock.set(datetime(2026, 11, 25, 3, 0, tzinfo=CHINA_TZ))
    await add_stations(
        context,
        # 1.4 km north, opens at 06:00; 11.4 km north, open all night.
        station("DAWN", LAT + 0.0126, LNG, name="早班驿站", opening_hours="Mo-Su 06:00-22:00"),
        station("ALLNIGHT", LAT + 0.1026, LNG, name="通宵驿站", opening_hours="24/7"),
        station("FAR", LAT + 0.9, LNG, name="远郊驿站", opening_hours="24/7"),  # ~100 km
    )
    replies = await context.conversation.handle(located(HOHHOT))
    body = texts(replies)
    assert pins(replies) == ["通宵驿站", "早班驿站"]
    assert "附近 10 公里内暂时没有开放的驿站" in body
    assert "现在开着的最近一个离您 11.4 公里，骑电动车约" in body
    assert "最早开门的是这一个（今天 06:00 开门）" in body and "12351" in body
    further = next(d for label, d in button_data(replies).items() if "扩大到" in label)

    wider = await context.conversation.handle(
        Message(channel="console", user_id="n1", chat_id="n1", data=further)
    )
    assert pins(wider) == ["通宵驿站"]  # open now, the nearest within the wider reach


async def test_a_place_outside_the_region_says_which_regions_are_served(
    context: Services,
) -> None:
    await add_stations(
        context,
        station("HH", LAT, LNG, name="呼市驿站"),
        station("BT", 40.657, 109.840, name="包头驿站", league="包头市", county="昆都仑区"),
    )
    for where in ((39.9042, 116.4074), (-33.8688, 151.2093), (20.0, 130.0)):  # Beijing, Sydney, sea
        replies = await context.conversation.handle(located(where, user="n2"))
        body = texts(replies)
        assert "不在驿站通的服务范围内" in body, where
        assert "呼和浩特市" in body and "包头市" in body
        assert "10 公里" not in body and pins(replies) == []


async def test_a_typed_place_is_measured_from_the_place_and_says_so(context: Services) -> None:
    await add_stations(context, station("SH", 40.8070, 111.7010, name="赛罕驿站", county="赛罕区"))
    replies = await context.conversation.handle(
        Message(channel="console", user_id="n3", chat_id="n3", text="赛罕区")
    )
    body = texts(replies)
    assert pins(replies) == ["赛罕驿站"]
    assert "赛罕区中心约" in body and "按地名估算" in body
    assert "距离 10 米" not in body and "步行约" not in body
