"""A synthetic demo set of union stations over Inner Mongolia — clearly not real.

Every station's code starts with `DEMO-`, its name ends with （演示）, and `synthetic` is set.
The set follows the notice (内政办发〔2025〕4号): more than 3,000 stations, ≥ 15 % 最美驿站,
≥ 15 % 24-hour unmanned smart stations, mostly co-built with the hosts the notice lists, and the
main urban districts of every league/city dense enough for 15-minute walk cross coverage.

Where stations go:
- Main urban districts (`Place.urban`): a jittered triangular lattice over the built-up core, so
  every point there has two stations within a 15-minute walk, as the notice asks.
- Every other county/banner/district: a cluster around its seat town, plus a few stations along
  the road to a neighbouring seat (highway service areas, gas stations, logistics yards).

The same seed gives the same list: everything is drawn from one `random.Random(seed)`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from ._registry import StationInput
from ._seats import COUNTIES, LEAGUES, Place, urban_places
from ._services import SERVICES

_M_PER_DEG = 111_195.0
LATTICE_M = 620.0  # lattice spacing: a node's second-nearest neighbour stays within 15 minutes
JITTER_M = 100.0
EDGE_MARGIN_M = 300.0  # lattice reaches past the core so its edge is cross-covered too

# Stations in a county seat town (before the random extra of 0..6); 14 when not listed.
_TOWN_SIZE = {
    "150121": 22,
    "150221": 20,
    "150621": 24,
    "150622": 26,
    "150627": 24,
    "150581": 20,
    "150781": 24,
    "150782": 20,
    "150783": 20,
    "150403": 18,
    "150404": 10,
    "150402": 10,
    "150981": 18,
    "152501": 16,
    "150826": 18,
    "150821": 16,
    "150205": 6,
    "150206": 6,
    "152922": 6,
    "152923": 8,
    "150303": 12,
    "152202": 10,
}
_STREETS = {
    "呼和浩特市": (
        "新华大街",
        "中山西路",
        "中山东路",
        "锡林郭勒北路",
        "锡林郭勒南路",
        "昭乌达路",
        "呼伦贝尔南路",
        "大学东街",
        "大学西街",
        "新城西街",
        "海拉尔东路",
        "成吉思汗大街",
        "兴安南路",
        "鄂尔多斯大街",
        "丰州路",
        "通道南路",
        "乌兰察布东路",
        "南二环路",
    ),
    "包头市": (
        "钢铁大街",
        "阿尔丁大街",
        "民族东路",
        "巴彦塔拉大街",
        "友谊大街",
        "青年路",
        "白云路",
        "团结大街",
        "少先路",
        "黄河大街",
        "南门外大街",
        "建设路",
    ),
    "乌海市": ("滨河大道", "黄河街", "人民路", "新华街", "海达路", "团结路"),
    "赤峰市": ("钢铁街", "昭乌达路", "哈达街", "临潢大街", "玉龙大街", "全宁街", "新华路"),
    "通辽市": ("霍林河大街", "科尔沁大街", "建国路", "和平路", "明仁大街", "永清大街"),
    "鄂尔多斯市": (
        "鄂尔多斯大街",
        "天骄南路",
        "伊金霍洛街",
        "宝日陶亥东街",
        "康和路",
        "达拉特南路",
    ),
    "呼伦贝尔市": ("胜利大街", "中央街", "阿里河路", "学府路", "满洲里路", "海拉尔大街"),
    "巴彦淖尔市": ("胜利路", "新华街", "五一街", "利民街", "解放街", "曙光街"),
    "乌兰察布市": ("新华街", "恩和路", "建设大街", "察哈尔大街", "怀远大街", "桥西路"),
    "兴安盟": ("兴安北大路", "五一路", "罕山路", "都林街", "和平街"),
    "锡林郭勒盟": ("锡林大街", "那达慕大街", "团结大街", "额尔敦路", "宝力根路"),
    "阿拉善盟": ("土尔扈特路", "安德街", "王府街", "巴彦浩特大街", "新华街"),
}
_TOWN_STREETS = (
    "人民路",
    "新华街",
    "建设路",
    "团结路",
    "解放路",
    "民族路",
    "迎宾路",
    "文化路",
    "胜利路",
    "繁荣街",
    "幸福路",
    "友谊路",
    "工业路",
    "光明路",
    "北环路",
    "南环路",
)
_HIGHWAYS = {
    "呼和浩特市": "G6京藏高速",
    "包头市": "G6京藏高速",
    "乌海市": "G6京藏高速",
    "赤峰市": "G16丹锡高速",
    "通辽市": "G45大广高速",
    "鄂尔多斯市": "G65包茂高速",
    "呼伦贝尔市": "G10绥满高速",
    "巴彦淖尔市": "G6京藏高速",
    "乌兰察布市": "G55二广高速",
    "兴安盟": "G12珲乌高速",
    "锡林郭勒盟": "G55二广高速",
    "阿拉善盟": "G7京新高速",
}
_EAST = {"赤峰市", "通辽市", "呼伦贝尔市", "兴安盟"}  # served by State Grid 蒙东, the rest by 蒙西

# host type: (weight in cities, in towns, on roads, opening-hours choices)
_HOSTS: dict[str, tuple[int, int, int, tuple[str, ...]]] = {
    "政务大厅": (4, 8, 0, ("Mo-Fr 08:30-17:30; PH off", "Mo-Fr 08:30-12:00,14:30-18:00; PH off")),
    "银行网点": (12, 9, 0, ("Mo-Fr 09:00-17:00; Sa,Su 10:00-16:00", "Mo-Su 09:00-17:00")),
    "通信营业厅": (10, 8, 0, ("Mo-Su 08:30-18:30", "Mo-Su 09:00-20:00")),
    "电力营业厅": (4, 5, 0, ("Mo-Fr 08:30-17:30; Sa 09:00-12:00; PH off",)),
    "广电营业厅": (2, 2, 0, ("Mo-Fr 08:30-17:30; PH off",)),
    "党群服务中心": (12, 14, 0, ("Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00", "Mo-Su 08:00-20:00")),
    "职工之家": (6, 6, 0, ("Mo-Fr 08:00-18:00", "Mo-Sa 08:00-19:00")),
    "超市": (8, 8, 0, ("Mo-Su 07:30-22:00", "Mo-Su 08:00-21:30")),
    "酒店": (4, 3, 0, ("24/7",)),
    "加油站": (5, 6, 35, ("24/7", "Mo-Su 06:00-23:00")),
    "公交首末站": (5, 1, 0, ("Mo-Su 05:30-22:30",)),
    "长途客运站": (1, 3, 4, ("Mo-Su 06:00-19:00",)),
    "高速服务区": (0, 0, 40, ("24/7",)),
    "物流场站": (2, 2, 16, ("Mo-Su 06:00-02:00", "24/7")),
    "快递网点": (6, 5, 0, ("Mo-Su 08:00-21:00", "Mo-Su 18:00-02:00")),
    "环卫休息站": (
        8,
        5,
        0,
        ("Apr-Oct Mo-Su 04:30-21:00; Nov-Mar Mo-Su 05:30-19:00", "Mo-Su 05:00-20:00"),
    ),
    "市政城管服务窗口": (3, 2, 0, ("Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00",)),
    "商贸中心": (3, 2, 0, ("Mo-Su 09:30-21:30", "Mo-Su 10:00-01:00")),
    "工会阵地": (7, 10, 0, ("Mo-Fr 08:30-17:30; Sa 09:00-16:00; PH off", "Mo-Su 08:00-20:00")),
}
_SELF_HOST = "工会阵地"  # 自建: the union's own premises
_SMART_HOSTS = (
    "银行网点",
    "加油站",
    "公交首末站",
    "环卫休息站",
    "党群服务中心",
    "通信营业厅",
    "高速服务区",
    "物流场站",
    _SELF_HOST,
)
_BANKS = (
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "中国邮政储蓄银行",
    "内蒙古农村商业银行",
    "蒙商银行",
)
_TELECOMS = ("中国移动", "中国联通", "中国电信")
_MARKETS = ("维多利超市", "华联超市", "佳惠超市", "万达超市", "利客便利")
_COURIERS = ("中国邮政", "顺丰速运", "京东物流", "中通快递", "美团配送", "饿了么骑手")
_HOTELS = ("如家酒店", "汉庭酒店", "锦江之星", "格林豪泰")

# Probability that a station offers each service (basic ones common, the extras rarer).
_SERVICE_P = {
    "rest": 1.0,
    "drinking_water": 0.97,
    "phone_charging": 0.95,
    "policy_info": 0.9,
    "toilet_guidance": 0.85,
    "union_enrollment": 0.85,
    "first_aid": 0.8,
    "meal_heating": 0.75,
    "legal_aid_guidance": 0.7,
    "rain_gear": 0.6,
    "repair_tools": 0.55,
    "sewing_kit": 0.55,
    "fridge_or_ice": 0.45,
    "mutual_aid": 0.45,
    "haircut": 0.06,
    "discount_meals": 0.1,
    "ebike_charging": 0.18,
}
_ORDER = tuple(s.code for s in SERVICES)


@dataclass(slots=True)
class _Site:
    county: Place
    lat: float
    lng: float
    setting: str  # "city" | "town" | "road"
    note: str = ""  # roads: the seat the road leads to


def _offset(lat: float, lng: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (lat + north_m / _M_PER_DEG, lng + east_m / (_M_PER_DEG * math.cos(math.radians(lat))))


def _urban_sites(rng: random.Random, league: Place) -> list[_Site]:
    """One lattice per league, shared by its urban districts so overlapping cores meet cleanly;
    each node goes to the district whose core it lies deepest in."""
    districts = urban_places(league.name)
    if not districts:
        return []
    lat0, lng0 = league.point.lat, league.point.lng
    cos0 = math.cos(math.radians(lat0))
    cx = np.array([(d.point.lng - lng0) * _M_PER_DEG * cos0 for d in districts])
    cy = np.array([(d.point.lat - lat0) * _M_PER_DEG for d in districts])
    cr = np.array([d.urban_radius_m + EDGE_MARGIN_M for d in districts])
    angle = rng.uniform(0, math.pi / 3)  # streets are not all north-south
    steps = int(max(np.hypot(cx, cy) + cr) / LATTICE_M) + 2
    i, j = np.meshgrid(np.arange(-steps, steps + 1), np.arange(-steps * 2, steps * 2 + 1))
    u, v = (i + (j % 2) / 2) * LATTICE_M, j * LATTICE_M * math.sqrt(3) / 2
    x = (u * math.cos(angle) - v * math.sin(angle)).ravel()
    y = (u * math.sin(angle) + v * math.cos(angle)).ravel()
    depth = np.hypot(x[:, None] - cx, y[:, None] - cy) - cr  # < 0: inside that core
    owner = depth.argmin(axis=1)
    inside = np.flatnonzero(depth[np.arange(len(x)), owner] <= 0)
    sites: list[_Site] = []
    for k in inside:
        r, t = JITTER_M * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat, lng = _offset(lat0, lng0, x[k] + r * math.cos(t), y[k] + r * math.sin(t))
        sites.append(_Site(districts[int(owner[k])], lat, lng, "city"))
    return sites


def _town_sites(rng: random.Random, county: Place, league: Place) -> list[_Site]:
    sites = []
    for _ in range(_TOWN_SIZE.get(county.adcode, 14) + rng.randint(0, 6)):
        r = min(2000.0, abs(rng.gauss(0, 800)))  # a county town is a few km across
        t = rng.uniform(0, 2 * math.pi)
        lat, lng = _offset(county.point.lat, county.point.lng, r * math.cos(t), r * math.sin(t))
        sites.append(_Site(county, lat, lng, "town"))
    # Along the road towards the league's city, within about 15 km: where truck drivers stop.
    target = league
    gap = math.dist((target.point.lat, target.point.lng), (county.point.lat, county.point.lng))
    for _ in range(rng.randint(1, 3)):
        f = min(rng.uniform(0.1, 0.3), 0.15 / gap)  # within about 15 km of the seat
        lat = county.point.lat + f * (target.point.lat - county.point.lat)
        lng = county.point.lng + f * (target.point.lng - county.point.lng)
        lat, lng = _offset(lat, lng, rng.uniform(-500, 500), rng.uniform(-500, 500))
        sites.append(_Site(county, lat, lng, "road", target.short_name))
    return sites


def _sites(rng: random.Random) -> list[_Site]:
    sites: list[_Site] = []
    for league in LEAGUES:
        sites += _urban_sites(rng, league)
        for county in COUNTIES:
            if county.league == league.name and not county.urban:
                sites += _town_sites(rng, county, league)
    return sites


def _extra_sites(rng: random.Random, n: int) -> list[_Site]:
    """More stations for benchmarks (`count` above the base set): mostly in cities."""
    weights = [(p.urban_radius_m / 1000) ** 2 * 6 if p.urban else 1.0 for p in COUNTIES]
    out = []
    for county in rng.choices(COUNTIES, weights=weights, k=n):
        spread = county.urban_radius_m or 2500.0
        r, t = spread * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat, lng = _offset(county.point.lat, county.point.lng, r * math.cos(t), r * math.sin(t))
        out.append(_Site(county, lat, lng, "city" if county.urban else "town"))
    return out


def _host_name(rng: random.Random, host: str, street: str, site: _Site) -> str:
    county, short = site.county.name, site.county.short_name
    match host:
        case "政务大厅":
            return f"{site.county.name}政务服务中心"
        case "银行网点":
            return f"{rng.choice(_BANKS)}{street}支行"
        case "通信营业厅":
            return f"{rng.choice(_TELECOMS)}{street}营业厅"
        case "电力营业厅":
            grid = "国网蒙东电力" if site.county.league in _EAST else "内蒙古电力"
            return f"{grid}{county}{street}营业厅"
        case "广电营业厅":
            return f"内蒙古广电网络{county}营业厅"
        case "党群服务中心":
            return f"{street}社区党群服务中心"
        case "职工之家":
            return f"{county}{rng.choice(('环卫', '公交', '市政', '供热', '物业'))}职工之家"
        case "超市":
            return f"{rng.choice(_MARKETS)}{street}店"
        case "酒店":
            return f"{rng.choice(_HOTELS)}{street}店"
        case "加油站" if site.setting == "road":
            return f"{rng.choice(('中国石油', '中国石化'))}{short}至{site.note}公路加油站"
        case "加油站":
            return f"{rng.choice(('中国石油', '中国石化'))}{street}加油站"
        case "公交首末站":
            return f"{street}公交首末站"
        case "长途客运站":
            return f"{county}长途汽车站"
        case "高速服务区":
            return f"{_HIGHWAYS[site.county.league]}{short}服务区"
        case "物流场站":
            return f"{county}{rng.choice(('物流园', '公路港', '货运场站'))}"
        case "快递网点":
            return f"{rng.choice(_COURIERS)}{street}站点"
        case "环卫休息站":
            return f"{street}环卫工人休息站"
        case "市政城管服务窗口":
            return f"{county}城管{street}服务窗口"
        case "商贸中心":
            return f"{county}{rng.choice(('商贸城', '万达广场', '购物中心'))}"
        case _:
            return f"{county}总工会{street}职工服务站"


def _services(rng: random.Random, kind: str, beautiful: bool, smart: bool) -> list[str]:
    chosen = []
    for code in _ORDER:
        p = _SERVICE_P[code]
        if beautiful:
            p = min(0.99, p + 0.15) if p > 0.3 else p * 2.5
        if kind == "micro" and code in (
            "meal_heating",
            "fridge_or_ice",
            "haircut",
            "discount_meals",
        ):
            p *= 0.4
        if kind == "mobile" and code in ("fridge_or_ice", "ebike_charging", "discount_meals"):
            p = 0.0
        if smart and code in ("union_enrollment", "ebike_charging"):
            p = min(0.97, p * 1.5)  # a QR code on the wall; smart lockers with chargers
        if code == "rest" or rng.random() < p:
            chosen.append(code)
    return chosen


def _station(rng: random.Random, site: _Site, seq: int) -> StationInput:
    county, league = site.county, site.county.league
    streets = _STREETS[league] if site.setting == "city" else _TOWN_STREETS
    street = rng.choice(streets)
    mobile = site.setting != "road" and rng.random() < 0.06
    smart = not mobile and rng.random() < 0.2
    if mobile:
        host, kind = "", "mobile"
    else:
        column = {"city": 0, "town": 1, "road": 2}[site.setting]
        pool = _SMART_HOSTS if smart else tuple(_HOSTS)
        weights = [max(_HOSTS[h][:3][column], 1 if smart and column != 2 else 0) for h in pool]
        host = rng.choices(pool, weights=weights)[0]
        kind = "micro" if rng.random() < 0.3 else "standard"
    beautiful = kind == "standard" and rng.random() < 0.26
    if mobile:
        name = f"{county.name}总工会流动驿站（演示）"
        hours = rng.choice(("Mo-Fr 10:00-15:00; PH off", "Mo-Sa 09:00-16:00"))
        area = float(rng.randint(8, 14))
    else:
        label = _host_name(rng, host, street, site)
        suffix = "24小时智能工会驿站" if smart else "工会驿站"
        name = f"{label}{suffix}（演示）"
        hours = "24/7" if smart else rng.choice(_HOSTS[host][3])
        area = (
            round(rng.uniform(2.0, 4.8), 1)
            if kind == "micro"
            else float(rng.randint(30, 120) if beautiful else rng.randint(6, 60))
        )
    if site.setting == "road":
        km = round(math.dist((site.lat, site.lng), (county.point.lat, county.point.lng)) * 111)
        address = f"{league}{county.name}通往{site.note}方向约{max(km, 1)}公里处"
    else:
        town = county.seat if county.seat and site.setting == "town" else ""
        address = f"{league}{county.name}{town}{street}{rng.randint(1, 399)}号"
        if mobile:
            address = f"流动服务，常驻{address}"
    roll = rng.random()
    status = "revoked" if roll < 0.004 else "suspended" if roll < 0.014 else "active"
    return StationInput(
        code=f"DEMO-{county.adcode}-{seq:04d}",
        name=name,
        lat=round(site.lat, 6),
        lng=round(site.lng, 6),
        address=address,
        league=league,
        county=county.name,
        kind=kind,
        build_mode="self" if host in ("", _SELF_HOST) else "joint",
        host_type=host or "流动服务车",
        area_m2=area,
        opening_hours=hours,
        services=_services(rng, kind, beautiful, smart),
        most_beautiful=beautiful,
        smart_24h=smart,
        phone=f"{county.phone_area_code}-{rng.randint(2, 8)}{rng.randrange(1_000_000):06d}",
        status=status,
        synthetic=True,
    )


def demo_stations(seed: int = 2025, count: int | None = None) -> list[StationInput]:
    """The synthetic demo set (WGS-84). `count` trims it (a seeded sample) or pads it with more
    city stations (for benchmarks); None gives the full base set (about 3,500)."""
    rng = random.Random(seed)
    sites = _sites(rng)
    if count is not None:
        if count < len(sites):
            keep = sorted(rng.sample(range(len(sites)), max(0, count)))
            sites = [sites[i] for i in keep]
        else:
            sites += _extra_sites(rng, count - len(sites))
    seq: dict[str, int] = {}
    names: dict[str, int] = {}
    stations = []
    for site in sites:
        n = seq[site.county.adcode] = seq.get(site.county.adcode, 0) + 1
        station = _station(rng, site, n)
        same = names[station.name] = names.get(station.name, 0) + 1
        if same > 1:  # two stations on one street with one host brand: number them
            station.name = station.name.replace("（演示）", f"{same}号（演示）")
        stations.append(station)
    return stations
