"""A station's map links: cached, yet never stale after a reload, and escaped exactly."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, quote_plus, urlparse

from handlers import Message, Reply, Services, Text
from locations import CoordSystem, Point, from_wgs84
from tests.stations import HOHHOT, add_stations, station

LAT, LNG = HOHHOT


def located(user: str) -> Message:
    return Message(channel="console", user_id=user, chat_id=user, location=Point(*HOHHOT))


def links(replies: list[Reply]) -> dict[str, str]:
    detail = next(r for r in replies if isinstance(r, Text))
    return {b.label: b.url for row in detail.buttons for b in row if b.url}


def amap_shows(urls: dict[str, str]) -> tuple[str, Point]:
    """The name and the GCJ-02 position Amap's link opens."""
    query = parse_qs(urlparse(urls["高德地图"]).query)
    lng, lat = query["position"][0].split(",")
    return query["name"][0], Point(float(lat), float(lng))


def gcj(point: Point) -> Point:
    lat, lng = from_wgs84(point, CoordSystem.GCJ02)
    return Point(round(lat, 6), round(lng, 6))


async def test_links_follow_a_station_renamed_readdressed_and_moved_on_reload(
    context: Services,
) -> None:
    conversation = context.conversation
    old_spot, new_spot = Point(LAT + 0.001, LNG), Point(LAT + 0.002, LNG + 0.001)
    await add_stations(
        context, station("S1", old_spot.lat, old_spot.lng, name="老街驿站", address="旧城区一号")
    )
    before = links(await conversation.handle(located("a")))
    assert amap_shows(before) == ("老街驿站", gcj(old_spot))

    # Same station (same code), new name and address: the cached links must not be reused.
    await add_stations(
        context, station("S1", old_spot.lat, old_spot.lng, name="新街驿站", address="新城区二号")
    )
    renamed = links(await conversation.handle(located("b")))
    assert amap_shows(renamed) == ("新街驿站", gcj(old_spot))
    baidu = parse_qs(urlparse(renamed["百度地图"]).query)
    assert baidu["title"] == ["新街驿站"] and baidu["content"] == ["新城区二号"]
    assert "addr:新城区二号" in parse_qs(urlparse(renamed["腾讯地图"]).query)["marker"][0]

    # Moved, name and address unchanged: the links point at the new place.
    await add_stations(
        context, station("S1", new_spot.lat, new_spot.lng, name="新街驿站", address="新城区二号")
    )
    moved = links(await conversation.handle(located("c")))
    assert amap_shows(moved) == ("新街驿站", gcj(new_spot))
    tencent = parse_qs(urlparse(moved["腾讯地图"]).query)["marker"][0]
    assert tencent.startswith(f"coord:{gcj(new_spot).lat:.6f},{gcj(new_spot).lng:.6f};")


async def test_names_are_escaped_exactly_as_urllib_would(context: Services) -> None:
    # Escaped a character at a time from a table: characters of every UTF-8 length, spaces,
    # and the characters a URL gives meaning to must come out as quoting the whole text does.
    name = "驿站 №1 😀+%&=?#/:;,é"
    address = "呼和浩特 新城区 a+b 𠀋路 100% 号"
    await add_stations(context, station("ODD", LAT + 0.001, LNG, name=name, address=address))
    urls = links(await context.conversation.handle(located("a")))
    assert f"&name={quote_plus(name)}&" in urls["高德地图"]
    assert f"&title={quote_plus(name)}&content={quote_plus(address)}&" in urls["百度地图"]
    marker = f";title:{quote(name, safe=':;,')};addr:{quote(address, safe=':;,')}&"
    assert marker in urls["腾讯地图"]
