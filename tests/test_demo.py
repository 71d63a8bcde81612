"""The synthetic demo set and the table of league/county seats it is built on."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest

from locations import (
    BY_CODE,
    COUNTIES,
    LEAGUES,
    PLACES,
    BuildMode,
    Point,
    StationInput,
    StationKind,
    demo_stations,
    distance_m,
    find_places,
    league_of,
    nearest_seat,
    urban_places,
    validate_hours,
    wgs84_to_gcj02,
)
from tests.shared import require_boundaries

Polygons = dict[str, list[Any]]
# Inner Mongolia's bounding box (WGS-84), with a little slack.
LAT_RANGE, LNG_RANGE = (37.2, 53.5), (97.0, 126.2)
JOINT_HOSTS = {
    "政务大厅",
    "银行网点",
    "通信营业厅",
    "电力营业厅",
    "广电营业厅",
    "党群服务中心",
    "职工之家",
    "超市",
    "酒店",
    "加油站",
    "公交首末站",
    "长途客运站",
    "高速服务区",
    "物流场站",
    "快递网点",
    "环卫休息站",
    "市政城管服务窗口",
    "商贸中心",
}


@pytest.fixture(scope="module")
def demo() -> list[StationInput]:
    return demo_stations()


def _active(stations: list[StationInput]) -> list[StationInput]:
    return [s for s in stations if s.status == "active"]


# -- the set as a whole ---------------------------------------------------------------------------


def test_same_seed_same_set_and_another_seed_another(demo: list[StationInput]) -> None:
    again = demo_stations(seed=2025)
    assert [asdict(s) for s in again] == [asdict(s) for s in demo]
    other = demo_stations(seed=7)
    assert [(s.lat, s.lng, s.name) for s in other] != [(s.lat, s.lng, s.name) for s in demo]


def test_meets_the_notice_mix(demo: list[StationInput]) -> None:
    active = _active(demo)
    assert len(active) >= 3000
    assert sum(s.most_beautiful for s in active) / len(active) >= 0.15
    assert sum(s.smart_24h for s in active) / len(active) >= 0.15
    kinds = {s.kind for s in demo}
    assert kinds == {k.value for k in StationKind}
    joint = sum(s.build_mode == BuildMode.JOINT for s in demo) / len(demo)
    assert 0.6 < joint < 0.95  # "驿站主要以共建为主", but the union builds some itself
    # Some stations were suspended or revoked: the demo shows 动态管理 too.
    assert {s.status for s in demo} == {"active", "suspended", "revoked"}


def test_every_station_is_marked_synthetic(demo: list[StationInput]) -> None:
    codes = [s.code for s in demo]
    assert len(set(codes)) == len(codes)
    assert len({s.name for s in demo}) == len(demo)
    for s in demo:
        assert s.code.startswith("DEMO-")
        assert s.name.endswith("（演示）")
        assert s.synthetic is True


def test_fields_are_valid_and_realistic(demo: list[StationInput]) -> None:
    hours = set()
    for s in demo:
        assert s.services and set(s.services) <= set(BY_CODE), s
        assert "rest" in s.services
        hours.add(validate_hours(s.opening_hours))
        assert re.fullmatch(r"04[78]\d-[2-8]\d{6}", s.phone), s.phone
        if s.smart_24h:
            assert s.opening_hours == "24/7" and s.kind != "mobile"
        if s.most_beautiful:
            assert s.kind == "standard"
        if s.build_mode == "joint":
            assert s.host_type in JOINT_HOSTS, s.host_type
        if s.kind == "micro":
            assert s.area_m2 is not None and s.area_m2 < 5
        if s.kind == "standard":
            assert s.area_m2 is not None and s.area_m2 >= 5
    # Government halls close on public holidays, some stations run past midnight.
    assert any("PH off" in h for h in hours)
    assert any(re.search(r"-0[12]:00", h) for h in hours)
    share = {code: sum(code in s.services for s in demo) / len(demo) for code in BY_CODE}
    assert share["drinking_water"] > 0.9 and share["phone_charging"] > 0.9
    assert share["haircut"] < 0.15 and share["discount_meals"] < 0.2
    assert 0.05 < share["ebike_charging"] < 0.4


def test_positions_are_in_their_league_and_near_their_county(demo: list[StationInput]) -> None:
    seats = {(p.league, p.name): p for p in COUNTIES}
    for s in demo:
        assert LAT_RANGE[0] < s.lat < LAT_RANGE[1] and LNG_RANGE[0] < s.lng < LNG_RANGE[1]
        seat = seats[(s.league, s.county)]
        assert distance_m(Point(s.lat, s.lng), seat.point) < 20_000, s


def test_denser_in_the_main_urban_districts(demo: list[StationInput]) -> None:
    per_county: dict[str, int] = {}
    for s in demo:
        per_county[s.county] = per_county.get(s.county, 0) + 1
    urban = [per_county[p.name] for p in COUNTIES if p.urban]
    other = [per_county[p.name] for p in COUNTIES if not p.urban]
    assert min(urban) > 2 * (sum(other) / len(other))
    assert all(n >= 6 for n in other)  # every county/banner has stations


def test_count_trims_or_pads_the_set() -> None:
    small = demo_stations(count=300)
    assert len(small) == 300 and len({s.code for s in small}) == 300
    big = demo_stations(count=5000)
    assert len(big) == 5000 and len({s.code for s in big}) == 5000


def _inside(rings: list[Any], lng: float, lat: float) -> bool:
    inside = False
    for ring in rings:
        a = np.asarray(ring)
        x1, y1, x2, y2 = a[:-1, 0], a[:-1, 1], a[1:, 0], a[1:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            cross = ((y1 > lat) != (y2 > lat)) & (lng < (x2 - x1) * (lat - y1) / (y2 - y1) + x1)
        inside ^= bool(cross.sum() % 2)
    return inside


@pytest.fixture(scope="module")
def boundaries() -> Polygons:
    features = json.loads(require_boundaries().read_text(encoding="utf-8"))["features"]
    out: Polygons = {}
    for f in features:
        g = f["geometry"]
        out[f["properties"]["adcode"]] = (
            [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        )
        out[f["properties"]["name"] + "/" + f["properties"]["level"]] = out[
            f["properties"]["adcode"]
        ]
    return out


def test_every_demo_station_is_inside_its_league(
    demo: list[StationInput], boundaries: Polygons
) -> None:
    for s in demo:
        lat, lng = wgs84_to_gcj02(s.lat, s.lng)  # the boundaries are GCJ-02
        polygons = boundaries[f"{s.league}/league"]
        assert any(_inside(poly, lng, lat) for poly in polygons), s


# -- the seats table ------------------------------------------------------------------------------


def test_table_has_every_league_and_county() -> None:
    assert len(LEAGUES) == 12 and len(COUNTIES) == 103
    assert len({p.adcode for p in PLACES}) == len(PLACES)
    leagues = {p.name: p for p in LEAGUES}
    for county in COUNTIES:
        assert county.adcode[:4] == leagues[county.league].adcode[:4]
    for league in LEAGUES:
        assert urban_places(league.name), league.name
        assert re.fullmatch(r"04[78]\d", league.phone_area_code)


def test_table_matches_the_official_codes_and_seats_lie_in_their_county(
    boundaries: Polygons,
) -> None:
    features = json.loads(require_boundaries().read_text(encoding="utf-8"))["features"]
    official = {f["properties"]["adcode"]: f["properties"]["name"] for f in features}
    official.pop("150000")
    assert {p.adcode: p.name for p in PLACES} == official
    for p in PLACES:
        lat, lng = wgs84_to_gcj02(p.point.lat, p.point.lng)
        assert any(_inside(poly, lng, lat) for poly in boundaries[p.adcode]), p.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("呼和浩特 赛罕区", ["赛罕区"]),
        ("呼和浩特市赛罕区", ["赛罕区"]),
        ("内蒙古自治区呼和浩特市赛罕区昭乌达路 12 号", ["赛罕区"]),
        ("赛罕", ["赛罕区"]),
        ("呼和浩特", ["呼和浩特市"]),
        ("呼市", ["呼和浩特市"]),
        ("包头", ["包头市"]),
        ("东胜", ["东胜区"]),
        ("东胜区", ["东胜区"]),
        ("达茂旗", ["达尔罕茂明安联合旗"]),
        ("科左中旗", ["科尔沁左翼中旗"]),
        ("科尔沁左翼中旗", ["科尔沁左翼中旗"]),  # not 科尔沁区
        ("科尔沁", ["科尔沁区"]),
        ("察素齐", ["土默特左旗"]),
        ("阿拉善左旗巴彦浩特镇", ["阿拉善左旗"]),
        ("锡盟", ["锡林郭勒盟"]),
        ("包头 新城区", ["包头市"]),  # 新城区 is in Hohhot, not Baotou
        ("新城区", ["新城区"]),
        ("北京朝阳", []),
        ("", []),
    ],
)
def test_find_places(text: str, expected: list[str]) -> None:
    assert [p.name for p in find_places(text)] == expected


def test_league_of_short_names() -> None:
    assert league_of("包头").name == "包头市"  # type: ignore[union-attr]
    assert league_of("锡林郭勒盟").name == "锡林郭勒盟"  # type: ignore[union-attr]
    assert league_of("东胜").name == "鄂尔多斯市"  # type: ignore[union-attr]
    assert league_of("火星") is None


def test_nearest_seat() -> None:
    xinhua_square = Point(40.8175, 111.6610)
    assert nearest_seat(xinhua_square).league == "呼和浩特市"
    assert nearest_seat(Point(39.82, 109.96)).name == "东胜区"
    assert nearest_seat(Point(41.95, 101.06)).name == "额济纳旗"
    assert nearest_seat(Point(49.2, 119.75), level="league").name == "呼伦贝尔市"
