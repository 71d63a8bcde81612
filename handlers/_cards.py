"""How a station is shown: the details text, the pin, and the buttons under it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote_plus

from locations import SERVICES, Match, Point, StationRecord, gcj02_to_bd09, wgs84_to_gcj02

from ._i18n import Translator
from ._messages import Button, Place, Text
from ._words import service_label

HOTLINE = "12351"  # the national trade-union hotline for workers

# Services offered as filter buttons, most asked-for first.
FILTER_CODES = (
    "toilet_guidance",
    "meal_heating",
    "drinking_water",
    "phone_charging",
    "ebike_charging",
    "first_aid",
    "rain_gear",
    "rest",
)
_SERVICE_INDEX = {s.code: i for i, s in enumerate(SERVICES)}


def encode_services(codes: tuple[str, ...] | list[str]) -> str:
    """Service codes as catalogue positions ("3.4"): callback data must fit in 64 bytes."""
    return ".".join(str(_SERVICE_INDEX[c]) for c in codes)


def decode_services(token: str) -> list[str]:
    codes = []
    for part in token.split("."):
        if part.isdigit() and int(part) < len(SERVICES):
            codes.append(SERVICES[int(part)].code)
    return codes


def encode_point(point: Point) -> str:
    return f"{point.lat:.5f},{point.lng:.5f}"  # ≈ 1 m, plenty for "search from here"


def decode_point(token: str) -> Point | None:
    try:
        lat, lng = (float(x) for x in token.split(","))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return Point(lat, lng)


def distance_text(metres: float, t: Translator) -> str:
    if metres < 1000:
        return t("{m} 米").format(m=int(round(metres, -1)) or 10)
    return t("{km} 公里").format(km=f"{metres / 1000:.1f}")


def hours_text(match: Match, now: datetime, t: Translator) -> str:
    state = match.state
    if not state.known:  # the union gave no hours: never claim it is open
        return t("开放时间未确认")
    if state.always_open:
        return t("24小时营业")
    if state.is_open:
        if state.until is None:
            return t("营业中")
        if state.until.date() == now.date():
            return t("营业至 {time}").format(time=_clock(state.until))
        return t("营业至次日 {time}").format(time=_clock(state.until))
    return opens_text(match, now, t)


def opens_text(match: Match, now: datetime, t: Translator) -> str:
    opens = match.state.opens_at
    if opens is None:
        return t("暂停开放")
    days = (opens.date() - now.date()).days
    clock = _clock(opens)
    if days == 0:
        return t("今天 {time} 开门").format(time=clock)
    if days == 1:
        return t("明天 {time} 开门").format(time=clock)
    return t("{date} {time} 开门").format(date=f"{opens.month:02d}-{opens.day:02d}", time=clock)


def _clock(at: datetime) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"  # strftime("%H:%M"), at a quarter of its cost


def station_text(
    match: Match, now: datetime, t: Translator, language: str, *, place: str | None = None
) -> str:
    """`place`: the distance was measured from a place the worker named (its seat), not from
    where they stand, and the text says so instead of a walking time."""
    s = match.station
    title = s.name
    if s.most_beautiful:
        title += f" 【{t('最美驿站')}】"
    if s.smart_24h:
        title += f" 【{t('24小时')}】"
    lines = [
        title,
        t("地址：{address}").format(address=s.address),
        _distance_line(match, t, place),
        hours_text(match, now, t),
    ]
    if s.services:
        lines.append(t("服务：{services}").format(services=_service_labels(s.services, language)))
    if s.phone:
        lines.append(t("电话：{phone}").format(phone=s.phone))
    if s.phone and not match.state.known:
        lines.append(t("去之前请先打电话问问是否开放"))
    if match.reported_closed:
        # Right under the name: a worker must see it before walking there.
        warning = (
            t("⚠ 有人反映可能未开放，去之前最好先打个电话。")
            if s.phone
            else t("⚠ 有人反映可能未开放。")
        )
        lines.insert(1, warning)
    return "\n".join(lines)


def _distance_line(match: Match, t: Translator, place: str | None) -> str:
    if place:
        return t("距{place}中心约 {distance}（按地名估算，发送位置会更准）").format(
            place=place, distance=_rough_distance(match.distance_m, t)
        )
    return t("距离 {distance}，步行约 {walk} 分钟，骑电动车约 {ebike} 分钟").format(
        distance=distance_text(match.distance_m, t),
        walk=match.walk_minutes,
        ebike=match.ebike_minutes,
    )


def _rough_distance(metres: float, t: Translator) -> str:
    """From a place's centre, metres mean nothing: "不到 1 公里" or whole-ish kilometres."""
    if metres < 1000:
        return t("不到 1 公里")
    return distance_text(metres, t)


@lru_cache(maxsize=4096)
def _service_labels(codes: tuple[str, ...], language: str) -> str:
    """A station's services as the worker reads them. Stations share a few hundred
    combinations, so each is written once per language, not on every answer."""
    sep = ", " if language == "en" else "、"
    return sep.join(service_label(c, language) for c in codes if c in _SERVICE_INDEX)


def place_of(station: StationRecord) -> Place:
    return Place(station.name, station.address, station.point, station.id)


def navigation_buttons(station: StationRecord, t: Translator) -> tuple[Button, ...]:
    """Links that open each map app at the station, in the coordinate system it expects."""
    point = station.point
    amap, tencent, baidu = _map_links(station.name, station.address, point.lat, point.lng)
    return (
        Button(t("高德地图"), url=amap),
        Button(t("腾讯地图"), url=tencent),
        Button(t("百度地图"), url=baidu),
    )


class _Escapes(dict[str, str]):
    """Each character's escape, made the first time it is seen.

    Percent-encoding goes character by character (a character's UTF-8 bytes never depend on its
    neighbours), so joining these gives exactly what escaping the whole text gives, without
    encoding it and looking up every byte again on every answer. Names and addresses are
    written in a few thousand distinct characters, which bounds the table."""

    def __init__(self, escape: Callable[[str], str]) -> None:
        super().__init__()
        self._escape = escape

    def __missing__(self, char: str) -> str:
        escaped = self[char] = self._escape(char)
        return escaped


_PLUS = _Escapes(quote_plus).__getitem__


@lru_cache(maxsize=8192)
def _map_links(name: str, address: str, lat: float, lng: float) -> tuple[str, str, str]:
    """Keyed by exactly what the links show, so a station renamed, moved or re-addressed in a
    reload gets new links and never a stale cached one.

    Written out rather than through `urlencode`: only the name and address need escaping, and
    escaping each of them once instead of every parameter of three URLs made this the largest
    cost of a located answer (≈ 150 µs of ≈ 400). The output is byte for byte what `urlencode`
    gave. With 200,000 stations most answers miss the cache, hence the escape table and the
    one GCJ-02 conversion shared by both systems (BD-09 is GCJ-02 shifted)."""
    gcj = wgs84_to_gcj02(lat, lng)
    blat, blng = gcj02_to_bd09(*gcj)
    glat, glng = f"{gcj[0]:.6f}", f"{gcj[1]:.6f}"
    # `quote_plus` for Amap and Baidu (so "," is %2C), `quote(…, safe=":;,")` for Tencent.
    name, address = "".join(map(_PLUS, name)), "".join(map(_PLUS, address))
    amap = (
        f"https://uri.amap.com/marker?position={glng}%2C{glat}&name={name}"
        "&coordinate=gaode&callnative=1&src=yizhan"
    )
    tencent = (
        f"https://apis.map.qq.com/uri/v1/marker?marker=coord:{glat},{glng}"
        f";title:{_marker_quoted(name)};addr:{_marker_quoted(address)}&referer=yizhan"
    )
    baidu = (
        f"https://api.map.baidu.com/marker?location={blat:.6f}%2C{blng:.6f}&title={name}"
        f"&content={address}&coord_type=bd09ll&output=html&src=yizhan"
    )
    return amap, tencent, baidu


def _marker_quoted(plus_quoted: str) -> str:
    """`quote(text, safe=":;,")` from `quote_plus(text)`, without escaping the text again: the
    two differ only in a space ("+" there, since a real "+" is %2B) and the three separators."""
    return (
        plus_quoted.replace("+", "%20").replace("%3A", ":").replace("%3B", ";").replace("%2C", ",")
    )


def station_buttons(
    match: Match, origin: Point, services: list[str], offset: int, t: Translator
) -> tuple[tuple[Button, ...], ...]:
    here = encode_point(origin)
    wanted = encode_services(services)
    return (
        (
            Button(t("下一个驿站"), data=f"n:{here}:{offset + 1}:{wanted}"),
            Button(t("按服务筛选"), data=f"f:{here}"),
        ),
        navigation_buttons(match.station, t),
    )


def filter_buttons(origin: Point, t: Translator, language: str) -> tuple[tuple[Button, ...], ...]:
    here = encode_point(origin)
    buttons = [
        Button(service_label(code, language), data=f"n:{here}:0:{encode_services([code])}")
        for code in FILTER_CODES
    ]
    return tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))


def station_reply(
    match: Match,
    origin: Point,
    services: list[str],
    offset: int,
    now: datetime,
    t: Translator,
    language: str,
    *,
    place: str | None = None,
) -> list[Place | Text]:
    return [
        place_of(match.station),
        Text(
            station_text(match, now, t, language, place=place),
            buttons=station_buttons(match, origin, services, offset, t),
        ),
    ]
