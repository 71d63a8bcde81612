"""Finding stations: a shared location, typed needs ("厕所", "热饭"), place names, and the
buttons under a station (next one, filter by service)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from core.clock import Clock
from core.store import Store
from locations import Point, StationFinder
from referrals import ClosedReports

from ._cards import (
    HOTLINE,
    decode_point,
    decode_services,
    distance_text,
    encode_point,
    encode_services,
    filter_buttons,
    navigation_buttons,
    opens_text,
    place_of,
    station_reply,
    station_text,
)
from ._i18n import Translator
from ._menu import every_language, main_keyboard, share_hint
from ._messages import FULL_CAPS, Button, Caps, Message, Reply, Text
from ._router import Command, Data, KindIs, Predicate, Router, TextIs
from ._words import PlaceHit, asks_nearby, find_place, service_label, services_in

router = Router("stations")

NEARBY_RADIUS_M = 10_000  # "nothing open nearby" means within this distance
FARTHER_M = 30_000  # with nothing open nearby, an open station this far is still offered
MAX_REACH_M = 120_000  # "search further" goes no further than this
OUT_OF_REGION_M = 150_000  # no station at all this close: the place is outside the region
LAST_LOCATION_TTL = 2 * 3600.0  # a courier moves; an old position is worse than asking again
WANTED_TTL = 10 * 60.0  # services asked for before sharing a location


def _last_key(user_key: str) -> str:
    return f"lastloc:{user_key}"


def _wanted_key(user_key: str) -> str:
    return f"wanted:{user_key}"  # services asked for before the location came


async def remember_location(store: Store, user_key: str, point: Point) -> None:
    await store.set(_last_key(user_key), f"{point.lat},{point.lng}", ttl=LAST_LOCATION_TTL)


async def _remember_and_take_wanted(store: Store, user_key: str, point: Point) -> list[str]:
    """`remember_location`, and take the services asked for before the location came, in one
    round trip: a shared location, the hottest path, needs both."""
    _, raw = await store.set_then_get(
        _last_key(user_key),
        f"{point.lat},{point.lng}",
        ttl=LAST_LOCATION_TTL,
        then=_wanted_key(user_key),
    )
    if raw:
        await store.delete(_wanted_key(user_key))
    return decode_services(raw) if raw else []


async def last_location(store: Store, user_key: str) -> Point | None:
    raw = await store.get(_last_key(user_key))
    if not raw:
        return None
    lat, lng = raw.split(",")
    return Point(float(lat), float(lng))


def _labels(services: list[str], lang: str) -> str:
    sep = ", " if lang == "en" else "、"
    return sep.join(service_label(c, lang) for c in services)


async def answer_near(
    finder: StationFinder,
    clock: Clock,
    t: Translator,
    lang: str,
    origin: Point,
    services: list[str],
    *,
    offset: int = 0,
    place: str | None = None,
    demoted: Collection[int] = (),
    radius_m: float = NEARBY_RADIUS_M,
) -> list[Reply]:
    """The `offset`-th nearest open station offering `services`, or what to do when none is.
    `demoted` is the same for every page, so "next station" walks one consistent order.
    `place`: the place the worker named, measured from (its seat) and said so."""
    now = clock.now()
    matches = finder.nearest_open(
        origin,
        at=now,
        services=services,
        limit=offset + 1,
        max_distance=radius_m,
        demoted=demoted,
    )
    if len(matches) > offset:
        replies = station_reply(
            matches[offset], origin, services, offset, now, t, lang, place=place
        )
        heading = []
        if place:
            heading.append(t("{place}附近：").format(place=place))
        if services:
            heading.append(
                t("提供“{services}”的开放驿站：").format(services=_labels(services, lang))
            )
        if heading:
            text = replies[1]
            assert isinstance(text, Text)
            replies[1] = Text("".join(heading) + "\n" + text.text, buttons=text.buttons)
        return replies
    if offset > 0:
        return [
            Text(
                t("附近没有更多开放的驿站了。有困难可以拨打职工服务热线 {hotline}。").format(
                    hotline=HOTLINE
                )
            )
        ]
    return nothing_open(finder, clock, t, lang, origin, services, radius_m=radius_m)


def nothing_open(
    finder: StationFinder,
    clock: Clock,
    t: Translator,
    lang: str,
    origin: Point,
    services: list[str],
    *,
    radius_m: float = NEARBY_RADIUS_M,
) -> list[Reply]:
    """Nothing open within `radius_m`: never a dead end. Outside the region, which regions are
    served; else the nearest station open now further away (with the e-bike time) and the one
    that opens soonest, and a button that searches further."""
    now = clock.now()
    anywhere = finder.nearest_open(origin, at=now, limit=1, open_now=False)
    if not anywhere or anywhere[0].distance_m > OUT_OF_REGION_M:
        return [out_of_region(finder, t)]
    km = f"{radius_m / 1000:.0f}"
    if services:
        head = t("附近 {km} 公里内暂时没有提供“{services}”的开放驿站。").format(
            km=km, services=_labels(services, lang)
        )
    else:
        head = t("附近 {km} 公里内暂时没有开放的驿站。").format(km=km)
    hotline = t("有困难可以拨打职工服务热线 {hotline}。").format(hotline=HOTLINE)
    replies: list[Reply] = []
    reach = max(radius_m * 3, FARTHER_M)
    farther = finder.nearest_open(origin, at=now, services=services, limit=1, max_distance=reach)
    if farther:
        match = farther[0]
        intro = t("现在开着的最近一个离您 {distance}，骑电动车约 {ebike} 分钟：").format(
            distance=distance_text(match.distance_m, t), ebike=match.ebike_minutes
        )
        replies += [
            place_of(match.station),
            Text(
                f"{head}\n{intro}\n\n{station_text(match, now, t, lang)}",
                buttons=(navigation_buttons(match.station, t),),
            ),
        ]
        head = ""
    soonest = finder.soonest_opening(origin, at=now, services=services)
    if soonest is not None and not (farther and soonest.station.id == farther[0].station.id):
        body = t("最早开门的是这一个（{when}）：").format(when=opens_text(soonest, now, t))
        lines = [head, body] if head else [body]
        replies += [
            place_of(soonest.station),
            Text(
                "\n".join(lines) + f"\n\n{station_text(soonest, now, t, lang)}",
                buttons=(navigation_buttons(soonest.station, t),),
            ),
        ]
        head = ""
    further = encode_point(origin)
    wider = max(reach, radius_m) * 2
    tail = f"{head}\n{hotline}" if head else hotline
    if wider <= MAX_REACH_M:
        button = Button(
            t("🔎 扩大到 {km} 公里再找").format(km=f"{wider / 1000:.0f}"),
            data=f"w:{further}:{int(wider)}:{encode_services(services)}",
        )
        return [*replies, Text(tail, buttons=((button,),))]
    return [*replies, Text(tail)]


def served_regions(finder: StationFinder) -> list[str]:
    """The leagues and cities with stations, as the worker reads them."""
    _codes, leagues = finder.index.stations.shared("league")
    return sorted({str(name) for name in leagues if name})


def out_of_region(finder: StationFinder, t: Translator) -> Text:
    regions = served_regions(finder)
    where = "、".join(regions) if regions else t("内蒙古自治区")
    return Text(
        t(
            "这个位置不在驿站通的服务范围内，附近没有登记的工会驿站。\n"
            "目前服务的地区：{regions}。\n在这些地区，发送位置或输入地名就能找到驿站。"
        ).format(regions=where)
    )


@router.message(Data("w:"))
async def search_further(
    payload: str,
    finder: StationFinder,
    clock: Clock,
    t: Translator,
    lang: str,
    closed_reports: ClosedReports,
) -> list[Reply]:
    """`w:<lat>,<lng>:<metres>:<services>` — the same search, further out."""
    parts = payload.split(":")
    origin = decode_point(parts[0]) if parts else None
    if origin is None or len(parts) != 3 or not parts[1].isdigit():
        return [Text(t("这个按钮已经过期了，请重新发送位置或输入要找的内容。"))]
    radius = min(float(parts[1]), MAX_REACH_M)
    services = decode_services(parts[2]) if parts[2] else []
    return await answer_near(
        finder,
        clock,
        t,
        lang,
        origin,
        services,
        radius_m=radius,
        demoted=await closed_reports.demoted(),
    )


def ask_for_location(t: Translator, caps: Caps = FULL_CAPS) -> Text:
    return Text(
        t("请{share}，马上帮您找最近的开放驿站。也可以直接输入地名，比如“包头”。").format(
            share=share_hint(t, caps)
        ),
        keyboard=main_keyboard(t),
    )


@router.message(KindIs("location"))
async def on_location(
    message: Message,
    store: Store,
    finder: StationFinder,
    clock: Clock,
    t: Translator,
    lang: str,
    user_key: str,
    closed_reports: ClosedReports,
) -> list[Reply]:
    assert message.location is not None
    services = await _remember_and_take_wanted(store, user_key, message.location)
    return await answer_near(
        finder, clock, t, lang, message.location, services, demoted=await closed_reports.demoted()
    )


def read_request(message: Message) -> dict[str, Any] | bool:
    """A typed request: services asked for, a place named, or a plain "nearby"."""
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        return False
    services, place = services_in(text), find_place(text)
    if not services and place is None and not asks_nearby(text):
        return False
    return {"services": services, "place": place}


@router.message(Command("near") | TextIs(*every_language("附近驿站")))
async def near(
    message: Message,
    store: Store,
    finder: StationFinder,
    clock: Clock,
    t: Translator,
    lang: str,
    user_key: str,
    closed_reports: ClosedReports,
) -> list[Reply]:
    origin = await last_location(store, user_key)
    if origin is None:
        return [ask_for_location(t, message.caps)]
    return await answer_near(
        finder, clock, t, lang, origin, [], demoted=await closed_reports.demoted()
    )


@router.message(KindIs("text"), Predicate(read_request))
async def typed_request(
    message: Message,
    services: list[str],
    place: PlaceHit | None,
    store: Store,
    finder: StationFinder,
    clock: Clock,
    t: Translator,
    lang: str,
    user_key: str,
    closed_reports: ClosedReports,
) -> list[Reply]:
    if place is not None:
        return await answer_near(
            finder,
            clock,
            t,
            lang,
            place.point,
            services,
            place=place.name,
            demoted=await closed_reports.demoted(),
        )
    origin = await last_location(store, user_key)
    if origin is None:
        if services:  # apply them to the location the worker is about to share
            await store.set(_wanted_key(user_key), encode_services(services), ttl=WANTED_TTL)
        return [ask_for_location(t, message.caps)]
    return await answer_near(
        finder, clock, t, lang, origin, services, demoted=await closed_reports.demoted()
    )


@router.message(Data("n:"))
async def next_station(
    payload: str,
    finder: StationFinder,
    clock: Clock,
    t: Translator,
    lang: str,
    closed_reports: ClosedReports,
) -> list[Reply]:
    """`n:<lat>,<lng>:<offset>:<services>` — the button carries its search, so it works even
    after the last location expired."""
    parts = payload.split(":")
    origin = decode_point(parts[0]) if parts else None
    if origin is None or len(parts) != 3 or not parts[1].isdigit():
        return [Text(t("这个按钮已经过期了，请重新发送位置或输入要找的内容。"))]
    offset = min(int(parts[1]), 20)
    services = decode_services(parts[2]) if parts[2] else []
    return await answer_near(
        finder,
        clock,
        t,
        lang,
        origin,
        services,
        offset=offset,
        demoted=await closed_reports.demoted(),
    )


@router.message(Data("f:"))
async def choose_filter(payload: str, t: Translator, lang: str) -> list[Reply]:
    origin = decode_point(payload)
    if origin is None:
        return [Text(t("这个按钮已经过期了，请重新发送位置或输入要找的内容。"))]
    return [Text(t("需要什么服务？"), buttons=filter_buttons(origin, t, lang))]
