"""Inner Mongolia's 12 leagues/cities and 103 counties/banners/districts, with their seats.

A small table the product ships itself (the official boundaries are an import, not part of the
package). Each entry has its adcode, its seat (where the government sits, WGS-84, to within a
few hundred metres — good enough for "nearest county seat" routing, place-name search and the
demo data, not for surveying) and, for the main urban districts of each league/city (主城区),
the radius of the built-up core around the seat that `coverage` samples.

`find_places("呼和浩特 赛罕区")` understands full names, short forms ("赛罕", "东胜", "包头"),
common abbreviations ("呼市", "达茂旗", "科左中旗") and seat towns ("察素齐", "巴彦浩特").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from ._coords import Point

Level = Literal["league", "county"]


@dataclass(frozen=True, slots=True)
class Place:
    adcode: str
    name: str  # official name: 呼和浩特市, 赛罕区, 达尔罕茂明安联合旗
    short_name: str  # how people say it: 呼和浩特, 赛罕, 达茂旗
    level: Level
    league: str  # the league/city it belongs to (itself for a league)
    point: Point  # seat of government, WGS-84
    urban: bool = False  # one of its league's main urban districts (主城区)
    urban_radius_m: float = 0.0  # built-up core sampled by `coverage` (urban places only)
    seat: str = ""  # seat town, e.g. 察素齐镇
    aliases: tuple[str, ...] = field(default=())
    phone_area_code: str = ""


# (adcode, name, lat, lng, seat town, aliases, urban core radius in km (0: not urban))
_Row = tuple[str, str, float, float, str, tuple[str, ...], float]

# league adcode, name, centre lat/lng, area code, aliases, then its counties.
_TABLE: tuple[tuple[str, str, float, float, str, tuple[str, ...], tuple[_Row, ...]], ...] = (
    (
        "150100",
        "呼和浩特市",
        40.8175,
        111.6610,
        "0471",
        ("呼市", "青城"),
        (
            ("150102", "新城区", 40.8580, 111.6655, "", (), 3.0),
            ("150103", "回民区", 40.8080, 111.6235, "", (), 3.0),
            ("150104", "玉泉区", 40.7730, 111.6670, "", (), 3.0),
            ("150105", "赛罕区", 40.7920, 111.7010, "", (), 3.0),
            ("150121", "土默特左旗", 40.6880, 111.1620, "察素齐镇", ("土左旗",), 0),
            ("150122", "托克托县", 40.2770, 111.1880, "双河镇", ("托县",), 0),
            ("150123", "和林格尔县", 40.3790, 111.8210, "城关镇", ("和林县",), 0),
            ("150124", "清水河县", 39.9120, 111.6480, "城关镇", (), 0),
            ("150125", "武川县", 41.0960, 111.4510, "可可以力更镇", (), 0),
        ),
    ),
    (
        "150200",
        "包头市",
        40.6570,
        109.8400,
        "0472",
        ("鹿城",),
        (
            ("150202", "东河区", 40.5760, 110.0460, "", (), 3.0),
            ("150203", "昆都仑区", 40.6420, 109.8220, "", ("昆区",), 3.0),
            ("150204", "青山区", 40.6430, 109.9010, "", (), 3.0),
            ("150205", "石拐区", 40.6730, 110.2720, "", (), 0),
            ("150206", "白云鄂博矿区", 41.7700, 109.9730, "", ("白云矿区", "白云鄂博"), 0),
            ("150207", "九原区", 40.6030, 109.9680, "", (), 3.0),
            ("150221", "土默特右旗", 40.5710, 110.5240, "萨拉齐镇", ("土右旗",), 0),
            ("150222", "固阳县", 41.0340, 110.0600, "金山镇", (), 0),
            ("150223", "达尔罕茂明安联合旗", 41.7020, 110.4330, "百灵庙镇", ("达茂旗", "达茂"), 0),
        ),
    ),
    (
        "150300",
        "乌海市",
        39.6550,
        106.8250,
        "0473",
        (),
        (
            ("150302", "海勃湾区", 39.6920, 106.8220, "", (), 2.5),
            ("150303", "海南区", 39.4420, 106.8910, "", (), 0),
            ("150304", "乌达区", 39.5050, 106.7260, "", (), 2.5),
        ),
    ),
    (
        "150400",
        "赤峰市",
        42.2750,
        118.9280,
        "0476",
        (),
        (
            ("150402", "红山区", 42.2690, 118.9570, "", (), 3.0),
            ("150403", "元宝山区", 42.0390, 119.2890, "", (), 0),
            ("150404", "松山区", 42.2860, 118.9330, "", (), 3.0),
            ("150421", "阿鲁科尔沁旗", 43.8720, 120.0650, "天山镇", ("阿鲁旗", "阿鲁科尔沁"), 0),
            ("150422", "巴林左旗", 43.9800, 119.3920, "林东镇", (), 0),
            ("150423", "巴林右旗", 43.5340, 118.6640, "大板镇", (), 0),
            ("150424", "林西县", 43.6110, 118.0550, "林西镇", (), 0),
            ("150425", "克什克腾旗", 43.2650, 117.5420, "经棚镇", ("克旗",), 0),
            ("150426", "翁牛特旗", 42.9370, 119.0060, "乌丹镇", ("翁旗",), 0),
            ("150428", "喀喇沁旗", 41.9270, 118.7010, "锦山镇", ("喀旗",), 0),
            ("150429", "宁城县", 41.6000, 119.3390, "天义镇", (), 0),
            ("150430", "敖汉旗", 42.2870, 119.9070, "新惠镇", (), 0),
        ),
    ),
    (
        "150500",
        "通辽市",
        43.6170,
        122.2630,
        "0475",
        (),
        (
            ("150502", "科尔沁区", 43.6230, 122.2550, "", (), 3.0),
            ("150521", "科尔沁左翼中旗", 44.1270, 123.3130, "保康镇", ("科左中旗",), 0),
            ("150522", "科尔沁左翼后旗", 42.9540, 122.3570, "甘旗卡镇", ("科左后旗",), 0),
            ("150523", "开鲁县", 43.6010, 121.3190, "开鲁镇", (), 0),
            ("150524", "库伦旗", 42.7350, 121.7760, "库伦镇", (), 0),
            ("150525", "奈曼旗", 42.8670, 120.6580, "大沁他拉镇", (), 0),
            ("150526", "扎鲁特旗", 44.5550, 120.9050, "鲁北镇", (), 0),
            ("150581", "霍林郭勒市", 45.5340, 119.6570, "", (), 0),
        ),
    ),
    (
        "150600",
        "鄂尔多斯市",
        39.6080,
        109.7810,
        "0477",
        (),
        (
            ("150602", "东胜区", 39.8170, 109.9630, "", (), 3.0),
            ("150603", "康巴什区", 39.6080, 109.7810, "", (), 3.0),
            ("150621", "达拉特旗", 40.4010, 110.0400, "树林召镇", ("达旗",), 0),
            ("150622", "准格尔旗", 39.8650, 111.2400, "薛家湾镇", ("准旗",), 0),
            ("150623", "鄂托克前旗", 38.1840, 107.4780, "敖勒召其镇", ("鄂前旗",), 0),
            ("150624", "鄂托克旗", 39.1150, 107.9770, "乌兰镇", (), 0),
            ("150625", "杭锦旗", 39.8330, 108.7360, "锡尼镇", (), 0),
            ("150626", "乌审旗", 38.5960, 108.8430, "嘎鲁图镇", (), 0),
            ("150627", "伊金霍洛旗", 39.5650, 109.7330, "阿勒腾席热镇", ("伊旗",), 0),
        ),
    ),
    (
        "150700",
        "呼伦贝尔市",
        49.2120,
        119.7660,
        "0470",
        (),
        (
            ("150702", "海拉尔区", 49.2130, 119.7360, "", (), 3.0),
            ("150703", "扎赉诺尔区", 49.4600, 117.7000, "", (), 0),
            ("150721", "阿荣旗", 48.1260, 123.4590, "那吉镇", (), 0),
            ("150722", "莫力达瓦达斡尔族自治旗", 48.4770, 124.5120, "尼尔基镇", ("莫旗",), 0),
            ("150723", "鄂伦春自治旗", 50.5710, 123.7250, "阿里河镇", ("鄂伦春旗",), 0),
            ("150724", "鄂温克族自治旗", 49.1450, 119.7550, "巴彦托海镇", ("鄂温克旗",), 0),
            ("150725", "陈巴尔虎旗", 49.3280, 119.4240, "巴彦库仁镇", ("陈旗",), 0),
            ("150726", "新巴尔虎左旗", 48.2180, 118.2690, "阿木古郎镇", ("新左旗",), 0),
            ("150727", "新巴尔虎右旗", 48.6720, 116.8240, "阿拉坦额莫勒镇", ("新右旗",), 0),
            ("150781", "满洲里市", 49.5970, 117.3790, "", (), 0),
            ("150782", "牙克石市", 49.2860, 120.7120, "", (), 0),
            ("150783", "扎兰屯市", 48.0130, 122.7370, "", (), 0),
            ("150784", "额尔古纳市", 50.2430, 120.1800, "拉布大林街道", (), 0),
            ("150785", "根河市", 50.7800, 121.5200, "", (), 0),
        ),
    ),
    (
        "150800",
        "巴彦淖尔市",
        40.7570,
        107.3880,
        "0478",
        (),
        (
            ("150802", "临河区", 40.7510, 107.3630, "", (), 3.0),
            ("150821", "五原县", 41.0880, 108.2670, "隆兴昌镇", (), 0),
            ("150822", "磴口县", 40.3310, 107.0060, "巴彦高勒镇", (), 0),
            ("150823", "乌拉特前旗", 40.7370, 108.6520, "乌拉山镇", ("乌前旗",), 0),
            ("150824", "乌拉特中旗", 41.5680, 108.5150, "海流图镇", ("乌中旗",), 0),
            ("150825", "乌拉特后旗", 41.0850, 107.0740, "巴音宝力格镇", ("乌后旗",), 0),
            ("150826", "杭锦后旗", 40.8860, 107.1500, "陕坝镇", ("杭后",), 0),
        ),
    ),
    (
        "150900",
        "乌兰察布市",
        41.0220,
        113.1330,
        "0474",
        (),
        (
            ("150902", "集宁区", 41.0330, 113.1150, "", (), 3.0),
            ("150921", "卓资县", 40.8940, 112.5770, "卓资山镇", (), 0),
            ("150922", "化德县", 41.9000, 114.0100, "长顺镇", (), 0),
            ("150923", "商都县", 41.5620, 113.5770, "商都镇", (), 0),
            ("150924", "兴和县", 40.8720, 113.8340, "城关镇", (), 0),
            ("150925", "凉城县", 40.5320, 112.5030, "岱海镇", (), 0),
            ("150926", "察哈尔右翼前旗", 40.7850, 113.2140, "土贵乌拉镇", ("察右前旗",), 0),
            ("150927", "察哈尔右翼中旗", 41.2770, 112.6350, "科布尔镇", ("察右中旗",), 0),
            ("150928", "察哈尔右翼后旗", 41.4350, 113.1900, "白音察干镇", ("察右后旗",), 0),
            ("150929", "四子王旗", 41.5330, 111.7060, "乌兰花镇", ("四子王",), 0),
            ("150981", "丰镇市", 40.4370, 113.1100, "", (), 0),
        ),
    ),
    (
        "152200",
        "兴安盟",
        46.0730,
        122.0680,
        "0482",
        (),
        (
            ("152201", "乌兰浩特市", 46.0780, 122.0930, "", (), 3.0),
            ("152202", "阿尔山市", 47.1770, 119.9430, "", (), 0),
            ("152221", "科尔沁右翼前旗", 46.0500, 121.9500, "科尔沁镇", ("科右前旗",), 0),
            ("152222", "科尔沁右翼中旗", 45.0600, 121.4720, "巴彦呼舒镇", ("科右中旗",), 0),
            ("152223", "扎赉特旗", 46.7230, 122.8990, "音德尔镇", (), 0),
            ("152224", "突泉县", 45.3810, 121.5930, "突泉镇", (), 0),
        ),
    ),
    (
        "152500",
        "锡林郭勒盟",
        43.9330,
        116.0860,
        "0479",
        ("锡盟",),
        (
            ("152501", "二连浩特市", 43.6530, 111.9770, "", ("二连",), 0),
            ("152502", "锡林浩特市", 43.9330, 116.0860, "", (), 3.0),
            ("152522", "阿巴嘎旗", 44.0220, 114.9500, "别力古台镇", (), 0),
            ("152523", "苏尼特左旗", 43.8590, 113.6530, "满都拉图镇", ("东苏旗",), 0),
            ("152524", "苏尼特右旗", 42.7420, 112.6560, "赛汉塔拉镇", ("西苏旗",), 0),
            ("152525", "东乌珠穆沁旗", 45.5140, 116.9650, "乌里雅斯太镇", ("东乌旗",), 0),
            ("152526", "西乌珠穆沁旗", 44.5870, 117.6090, "巴拉嘎尔高勒镇", ("西乌旗",), 0),
            ("152527", "太仆寺旗", 41.8770, 115.2830, "宝昌镇", (), 0),
            ("152528", "镶黄旗", 42.2390, 113.8470, "新宝拉格镇", (), 0),
            ("152529", "正镶白旗", 42.2870, 115.0000, "明安图镇", (), 0),
            ("152530", "正蓝旗", 42.2410, 116.0030, "上都镇", (), 0),
            ("152531", "多伦县", 42.2030, 116.4860, "多伦淖尔镇", (), 0),
        ),
    ),
    (
        "152900",
        "阿拉善盟",
        38.8440,
        105.7290,
        "0483",
        ("阿盟",),
        (
            ("152921", "阿拉善左旗", 38.8440, 105.6720, "巴彦浩特镇", ("阿左旗",), 2.5),
            ("152922", "阿拉善右旗", 39.2100, 101.6700, "额肯呼都格镇", ("阿右旗",), 0),
            ("152923", "额济纳旗", 41.9580, 101.0590, "达来呼布镇", (), 0),
        ),
    ),
)

# Suffixes dropped to make the short form people type: 赛罕区 → 赛罕, 武川县 → 武川.
_SUFFIXES = ("自治旗", "矿区", "市", "盟", "区", "县")


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name  # banners keep 旗: "达拉特" alone is rarely written, "达拉特旗" is


def _seat_alias(seat: str) -> tuple[str, ...]:
    if not seat or seat.startswith("城关"):
        return ()  # 城关镇 names several seats
    core = re.sub(r"(镇|街道)$", "", seat)
    return (seat, core) if core != seat and len(core) >= 2 else (seat,)


def _build() -> tuple[Place, ...]:
    places: list[Place] = []
    for code, name, lat, lng, area, aliases, rows in _TABLE:
        places.append(
            Place(
                code,
                name,
                _short(name),
                "league",
                name,
                Point(lat, lng),
                aliases=aliases,
                phone_area_code=area,
            )
        )
        for c_code, c_name, c_lat, c_lng, seat, c_aliases, radius_km in rows:
            short = _short(c_name)
            places.append(
                Place(
                    c_code,
                    c_name,
                    short,
                    "county",
                    name,
                    Point(c_lat, c_lng),
                    urban=radius_km > 0,
                    urban_radius_m=radius_km * 1000,
                    seat=seat,
                    aliases=tuple(dict.fromkeys((*c_aliases, *_seat_alias(seat)))),
                    phone_area_code=area,
                )
            )
    return tuple(places)


PLACES: tuple[Place, ...] = _build()
LEAGUES: tuple[Place, ...] = tuple(p for p in PLACES if p.level == "league")
COUNTIES: tuple[Place, ...] = tuple(p for p in PLACES if p.level == "county")
_BY_ADCODE: dict[str, Place] = {p.adcode: p for p in PLACES}
_LEAGUE_BY_NAME: dict[str, Place] = {p.name: p for p in LEAGUES}


def _names() -> list[tuple[str, Place]]:
    """Every way of writing a place, longest first so "科尔沁左翼中旗" wins over "科尔沁". A
    seat-town alias that collides with another place's name (科尔沁镇 vs 科尔沁区) is dropped."""
    claims: dict[str, list[Place]] = {}
    for p in PLACES:
        for text in dict.fromkeys((p.name, p.short_name, *p.aliases)):
            claims.setdefault(text, []).append(p)
    names: list[tuple[str, Place]] = []
    for text, owners in claims.items():
        official = [p for p in owners if text in (p.name, p.short_name)]
        chosen = official or owners
        if len(chosen) == 1:
            names.append((text, chosen[0]))
    return sorted(names, key=lambda item: (-len(item[0]), item[1].adcode))


_NAMES = _names()
_NOISE = re.compile(r"\s+|内蒙古自治区|内蒙古")


def place(adcode: str) -> Place | None:
    return _BY_ADCODE.get(adcode)


def league_of(name: str) -> Place | None:
    """The league/city a (possibly short or abbreviated) league name means."""
    exact = _LEAGUE_BY_NAME.get(name.strip())
    if exact is not None:
        return exact
    found = find_places(name)
    return _LEAGUE_BY_NAME[found[0].league] if found else None


def urban_places(league: str) -> tuple[Place, ...]:
    """The main urban districts (主城区) of a league/city, by its official name."""
    return tuple(p for p in COUNTIES if p.league == league and p.urban)


def find_places(text: str) -> list[Place]:
    """Places named in `text`, most specific first: "呼和浩特 赛罕区" → [赛罕区],
    "包头" → [包头市], "东胜" → [东胜区]. A county that does not belong to a league also named
    in the text is dropped ("包头 新城区" → [包头市]: 新城区 is in Hohhot)."""
    cleaned = _NOISE.sub("", text or "")
    taken = [False] * len(cleaned)
    hits: list[tuple[int, Place]] = []
    for name, candidate in _NAMES:
        start = cleaned.find(name)
        while start >= 0:
            end = start + len(name)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(name)
                hits.append((start, candidate))
            start = cleaned.find(name, end)
    hits.sort(key=lambda h: h[0])
    leagues = list(dict.fromkeys(p for _, p in hits if p.level == "league"))
    league_names = {p.name for p in leagues}
    counties = [p for _, p in hits if p.level == "county"]
    if league_names:
        counties = [p for p in counties if p.league in league_names]
    counties = list(dict.fromkeys(counties))
    implied = {p.league for p in counties}
    return counties + [p for p in leagues if p.name not in implied]


def _haversine_m(a: Point, b: Point) -> float:
    la1, la2 = math.radians(a.lat), math.radians(b.lat)
    dla, dlo = la2 - la1, math.radians(b.lng - a.lng)
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def nearest_seat(point: Point, *, level: Level = "county") -> Place:
    """The place of `level` whose seat is nearest to `point` (WGS-84) — for routing a case to a
    county union when no boundary data is loaded. 116 seats: a straight scan is fast enough."""
    pool = COUNTIES if level == "county" else LEAGUES
    return min(pool, key=lambda p: _haversine_m(point, p.point))
