"""The conversation through its public door: a Message in, replies out."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from handlers import Conversation, Message, Place, Reply, Services, Text, build_root
from locations import CoordSystem, Point, distance_m, from_wgs84
from tests.stations import HOHHOT, add_stations, station

LAT, LNG = HOHHOT


def msg(
    text: str | None = None,
    *,
    at: tuple[float, float] | None = None,
    data: str | None = None,
    user: str = "u1",
    language: str = "zh-hans",
) -> Message:
    return Message(
        channel="console",
        user_id=user,
        chat_id=user,
        text=text,
        location=Point(*at) if at else None,
        data=data,
        language=language,
    )


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Text))


def place(replies: list[Reply]) -> Place:
    pins = [r for r in replies if isinstance(r, Place)]
    assert len(pins) == 1, replies
    return pins[0]


async def _town(ctx: Services) -> None:
    await add_stations(
        ctx,
        station(
            "NEAR",
            LAT + 0.001,
            LNG,
            name="新华广场驿站",
            address="新城区新华大街1号",
            services=["rest", "drinking_water"],
            opening_hours="Mo-Su 08:00-20:00",
            most_beautiful=True,
            phone="0471-6600001",
        ),
        station("TOILET", LAT + 0.004, LNG, name="如厕驿站", services=["toilet_guidance"]),
        station("MEAL", LAT + 0.006, LNG, name="热饭驿站", services=["meal_heating", "rest"]),
        station(
            "EBIKE", LAT + 0.008, LNG, name="换电驿站", services=["ebike_charging"], smart_24h=True
        ),
        station("RAIN", LAT + 0.009, LNG, name="雨具驿站", services=["rain_gear", "first_aid"]),
        station("SHUT", LAT + 0.0002, LNG, name="晚班驿站", opening_hours="Mo-Fr 20:00-22:00"),
    )


async def test_location_gives_nearest_open_station_with_details(context: Services) -> None:
    await _town(context)
    replies = await context.conversation.handle(msg(at=HOHHOT))
    pin = place(replies)
    assert pin.title == "新华广场驿站"
    assert distance_m(pin.point, Point(LAT + 0.001, LNG)) < 1
    body = texts(replies)
    assert "新华广场驿站" in body and "【最美驿站】" in body
    assert "地址：新城区新华大街1号" in body
    assert "距离 110 米，步行约 2 分钟，骑电动车约 1 分钟" in body
    assert "营业至 20:00" in body
    assert "服务：休息、饮水" in body
    assert "电话：0471-6600001" in body
    assert "晚班驿站" not in body  # closer, but closed at 10:00


async def test_navigation_links_use_each_maps_coordinate_system(context: Services) -> None:
    await _town(context)
    replies = await context.conversation.handle(msg(at=HOHHOT))
    detail = next(r for r in replies if isinstance(r, Text))
    urls = {b.label: b.url for row in detail.buttons for b in row if b.url}
    spot = Point(LAT + 0.001, LNG)
    glat, glng = from_wgs84(spot, CoordSystem.GCJ02)
    blat, blng = from_wgs84(spot, CoordSystem.BD09)
    amap = parse_qs(urlparse(urls["高德地图"]).query)
    lng_s, lat_s = amap["position"][0].split(",")
    assert amap["coordinate"] == ["gaode"]
    assert distance_m(Point(float(lat_s), float(lng_s)), Point(glat, glng)) < 0.5
    tencent = parse_qs(urlparse(urls["腾讯地图"]).query)["marker"][0]
    tlat, tlng = tencent.split(";")[0].removeprefix("coord:").split(",")
    assert distance_m(Point(float(tlat), float(tlng)), Point(glat, glng)) < 0.5
    baidu = parse_qs(urlparse(urls["百度地图"]).query)
    bl, bg = baidu["location"][0].split(",")
    assert baidu["coord_type"] == ["bd09ll"]
    assert distance_m(Point(float(bl), float(bg)), Point(blat, blng)) < 0.5
    # GCJ-02 really differs from WGS-84 here (hundreds of metres): the conversion mattered.
    assert distance_m(Point(glat, glng), spot) > 100


async def test_navigation_links_carry_names_with_url_characters(context: Services) -> None:
    name, address = "A&B 驿站 #2; 1:2,3/4+5%", "新城区 x=1&y=2 路/号?"
    await add_stations(context, station("ODD", LAT + 0.001, LNG, name=name, address=address))
    replies = await context.conversation.handle(msg(at=HOHHOT))
    detail = next(r for r in replies if isinstance(r, Text))
    urls = {b.label: b.url for row in detail.buttons for b in row if b.url}
    assert all(url is not None and " " not in url for url in urls.values())
    glat, glng = from_wgs84(Point(LAT + 0.001, LNG), CoordSystem.GCJ02)
    assert parse_qs(urlparse(urls["高德地图"]).query)["name"] == [name]
    tencent = parse_qs(urlparse(urls["腾讯地图"]).query)
    assert tencent["marker"] == [f"coord:{glat:.6f},{glng:.6f};title:{name};addr:{address}"]
    assert tencent["referer"] == ["yizhan"]
    baidu = parse_qs(urlparse(urls["百度地图"]).query)
    assert baidu["title"] == [name] and baidu["content"] == [address]
    assert baidu["src"] == ["yizhan"]


async def test_next_station_button_walks_outward(context: Services) -> None:
    await _town(context)
    conversation = context.conversation
    first = await conversation.handle(msg(at=HOHHOT))
    detail = next(r for r in first if isinstance(r, Text))
    nxt = next(b for row in detail.buttons for b in row if b.label == "下一个驿站")
    second = await conversation.handle(msg(data=nxt.data))
    assert place(second).title == "如厕驿站"
    detail2 = next(r for r in second if isinstance(r, Text))
    nxt2 = next(b for row in detail2.buttons for b in row if b.label == "下一个驿站")
    assert place(await conversation.handle(msg(data=nxt2.data))).title == "热饭驿站"


async def test_filter_button_offers_services_and_filters(context: Services) -> None:
    await _town(context)
    conversation = context.conversation
    detail = next(r for r in await conversation.handle(msg(at=HOHHOT)) if isinstance(r, Text))
    flt = next(b for row in detail.buttons for b in row if b.label == "按服务筛选")
    menu = (await conversation.handle(msg(data=flt.data)))[0]
    assert isinstance(menu, Text)
    meal = next(b for row in menu.buttons for b in row if b.label == "热饭")
    assert place(await conversation.handle(msg(data=meal.data))).title == "热饭驿站"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("厕所", "如厕驿站"),
        ("我想上厕所", "如厕驿站"),
        ("哪里能热饭", "热饭驿站"),
        ("微波炉", "热饭驿站"),
        ("喝水", "新华广场驿站"),
        ("换电", "换电驿站"),
        ("电动车充电", "换电驿站"),
        ("要买药", "雨具驿站"),
        ("下雨了", "雨具驿站"),
        ("借个雨伞", "雨具驿站"),
        ("附近驿站", "新华广场驿站"),
    ],
)
async def test_typed_needs_use_the_last_location(
    context: Services, words: str, expected: str
) -> None:
    await _town(context)
    conversation = context.conversation
    await conversation.handle(msg(at=HOHHOT))
    assert place(await conversation.handle(msg(words))).title == expected


async def test_typed_need_without_location_asks_for_it_then_applies_it(context: Services) -> None:
    await _town(context)
    conversation = context.conversation
    replies = await conversation.handle(msg("热饭"))
    assert len(replies) == 1 and isinstance(replies[0], Text)
    assert "发送位置" in replies[0].text
    keyboard = replies[0].keyboard
    assert keyboard is not None
    assert any(b.request == "location" for row in keyboard.rows for b in row)
    # The location that follows is searched for what was asked.
    assert place(await conversation.handle(msg(at=HOHHOT))).title == "热饭驿站"
    # …once: the next share is a plain search again.
    assert place(await conversation.handle(msg(at=HOHHOT))).title == "新华广场驿站"


async def test_last_location_is_per_user(context: Services) -> None:
    await _town(context)
    conversation = context.conversation
    await conversation.handle(msg(at=HOHHOT, user="a"))
    replies = await conversation.handle(msg("厕所", user="b"))
    assert not any(isinstance(r, Place) for r in replies)
    assert "发送位置" in texts(replies)


async def test_place_names_search_from_that_place(context: Services) -> None:
    await _town(context)
    await add_stations(
        context,
        station("BT", 40.6570, 109.8400, name="包头钢铁大街驿站", league="包头市"),
        station("DS", 39.8170, 109.9630, name="东胜驿站", league="鄂尔多斯市"),
        station("SH", 40.8070, 111.7020, name="赛罕驿站", county="赛罕区"),
        station("NORTH", 40.9000, 111.6200, name="北郊驿站"),
    )
    conversation = context.conversation
    replies = await conversation.handle(msg("包头"))
    assert place(replies).title == "包头钢铁大街驿站" and "包头" in texts(replies)
    assert place(await conversation.handle(msg("东胜"))).title == "东胜驿站"
    replies = await conversation.handle(msg("呼和浩特 赛罕区"))
    assert place(replies).title == "赛罕驿站" and "赛罕区" in texts(replies)
    # A place and a need together: searched from the place, filtered by the need.
    await add_stations(
        context, station("BTM", 40.6600, 109.8450, name="包头热饭驿站", services=["meal_heating"])
    )
    assert place(await conversation.handle(msg("包头 热饭"))).title == "包头热饭驿站"


async def test_nothing_open_gives_soonest_and_hotline(context: Services) -> None:
    await add_stations(
        context,
        station("EVE", LAT + 0.001, LNG, name="晚班驿站", opening_hours="Mo-Fr 20:00-22:00"),
        station("NOON", LAT + 0.003, LNG, name="午间驿站", opening_hours="Mo-Su 12:00-18:00"),
        station("FARAWAY", LAT + 0.5, LNG, name="远方驿站"),  # open, but 55 km away
    )
    replies = await context.conversation.handle(msg(at=HOHHOT))
    body = texts(replies)
    assert "附近 10 公里内暂时没有开放的驿站" in body
    assert "12351" in body
    assert "今天 12:00 开门" in body
    assert place(replies).title == "午间驿站"


async def test_nothing_offering_a_service_says_which(context: Services) -> None:
    await _town(context)
    conversation = context.conversation
    await conversation.handle(msg(at=HOHHOT))
    replies = await conversation.handle(msg("理发"))
    body = texts(replies)
    assert "没有提供“理发”的开放驿站" in body and "12351" in body


async def test_english_speakers_get_english(context: Services) -> None:
    await _town(context)
    conversation = context.conversation
    replies = await conversation.handle(msg(at=HOHHOT, language="en-US"))
    body = texts(replies)
    assert "Open until 20:00" in body
    assert "Services: Rest, Drinking water" in body
    assert "110 m away" in body
    detail = next(r for r in replies if isinstance(r, Text))
    labels = {b.label for row in detail.buttons for b in row}
    assert {"Next station", "Amap", "Baidu Maps"} <= labels
    start = (await conversation.handle(msg("/start", language="en")))[0]
    assert isinstance(start, Text) and start.text.startswith("Hello")
    assert start.keyboard is not None and start.keyboard.rows[0][0].label == "Send location"
    # English buttons work (here on the placeholder, before any dialog registers), and English
    # users may type Chinese too.
    bare = Conversation(context, root=build_root(dialogs=()))
    joined = await bare.handle(msg("Join the union", language="en"))
    assert "12351" in texts(joined) and "coming" in texts(joined)
    assert place(await conversation.handle(msg("厕所", language="en"))).title == "如厕驿站"


async def test_start_help_and_entry_points(context: Services) -> None:
    conversation = context.conversation
    start = (await conversation.handle(msg("/start")))[0]
    assert isinstance(start, Text) and "驿站通" in start.text
    assert start.keyboard is not None
    labels = [b.label for row in start.keyboard.rows for b in row]
    for entry in ("发送位置", "一键入会", "反馈问题", "法律援助", "我的会员", "我的求助"):
        assert entry in labels
    assert "/near" in texts(await conversation.handle(msg("/help")))
    # Until a dialog registers for an entry point, it answers honestly with the hotline.
    bare = Conversation(context, root=build_root(dialogs=()))
    for entry in ("一键入会", "反馈问题", "法律援助", "我的会员", "我的求助"):
        body = texts(await bare.handle(msg(entry)))
        assert "马上就上线" in body and "12351" in body
    assert "没太明白" in texts(await conversation.handle(msg("今天天气怎么样")))


async def test_near_command_uses_last_location(context: Services) -> None:
    await _town(context)
    conversation = context.conversation
    assert "发送位置" in texts(await conversation.handle(msg("/near")))
    await conversation.handle(msg(at=HOHHOT))
    assert place(await conversation.handle(msg("/near"))).title == "新华广场驿站"


async def test_forged_or_stale_buttons_get_a_polite_answer(context: Services) -> None:
    conversation = context.conversation
    for data in ("n:abc:1:", "n:95.0,10.0:0:", "f:x", "zz:1", "n:40.8,111.6:x:"):
        body = texts(await conversation.handle(msg(data=data)))
        assert "过期" in body
