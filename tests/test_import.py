"""Reading station files: CSV and GeoJSON parsing, validation of every row, geocoding."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core import Settings
from locations import ImportResult, Point, distance_m, from_wgs84, read_station_file
from tests.fakes.geocoder import FakeGeocoder, Place

HEADER = (
    "code,name,address,league,county,lat,lng,coord,kind,build_mode,host_type,area_m2,"
    "opening_hours,services,most_beautiful,smart_24h,phone,status"
)
GOOD = (
    "NM-001,新华广场驿站,新华大街1号,呼和浩特市,新城区,40.8175,111.6610,wgs84,standard,"
    "joint,银行网点,12,Mo-Fr 08:00-20:00,rest;drinking_water,true,false,0471-6661234,active"
)
# Xinhua Square, Hohhot (WGS-84): what the geocoding tests expect to get back.
XINHUA = Point(40.8175, 111.6610)


def write(tmp_path: Path, text: str, name: str = "stations.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


async def read(path: Path, **settings: object) -> ImportResult:
    return await read_station_file(path, settings=Settings(**settings))  # type: ignore[arg-type]


def row_with(**changes: str) -> str:
    values = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    values.update(changes)
    return ",".join(values.values())


async def test_a_good_csv_row_becomes_a_station_with_every_field(tmp_path: Path) -> None:
    result = await read(write(tmp_path, f"{HEADER}\n{GOOD}\n"))
    assert result.problems == []
    [s] = result.stations
    assert (s.code, s.name, s.address, s.league, s.county) == (
        "NM-001",
        "新华广场驿站",
        "新华大街1号",
        "呼和浩特市",
        "新城区",
    )
    assert (s.lat, s.lng) == (40.8175, 111.6610)
    assert (s.kind, s.build_mode, s.host_type, s.area_m2) == ("standard", "joint", "银行网点", 12.0)
    assert s.opening_hours == "Mo-Fr 08:00-20:00"
    assert s.services == ["rest", "drinking_water"]
    assert (s.most_beautiful, s.smart_24h, s.phone, s.status) == (
        True,
        False,
        "0471-6661234",
        "active",
    )


async def test_bom_chinese_headers_and_chinese_service_names(tmp_path: Path) -> None:
    text = (
        "编号,名称,地址,盟市,旗县区,纬度,经度,坐标系,类型,建设方式,面积,营业时间,服务项目,最美驿站,"
        "24小时智能驿站,电话,状态\n"
        "NM-002,海拉尔驿站,胜利大街8号,呼伦贝尔市,海拉尔区,49.2122,119.7366,WGS-84,微型驿站,自建,4,"
        "24/7,休息、饮水、手机充电；一键入会,否,是,,暂停\n"
    )
    result = await read(write(tmp_path, text, bom=True))
    assert result.problems == []
    [s] = result.stations
    assert s.code == "NM-002"  # the BOM is not part of the first header
    assert s.services == ["rest", "drinking_water", "phone_charging", "union_enrollment"]
    assert (s.kind, s.build_mode, s.area_m2) == ("micro", "self", 4.0)
    assert (s.most_beautiful, s.smart_24h, s.status) == (False, True, "suspended")


async def test_gcj02_and_bd09_coordinates_are_stored_as_wgs84(tmp_path: Path) -> None:
    gcj = from_wgs84(XINHUA, "gcj02")
    bd = from_wgs84(XINHUA, "bd09")
    text = (
        f"{HEADER}\n"
        + row_with(code="G", lat=f"{gcj[0]:.8f}", lng=f"{gcj[1]:.8f}", coord="gcj02")
        + "\n"
        + row_with(code="B", lat=f"{bd[0]:.8f}", lng=f"{bd[1]:.8f}", coord="bd09")
        + "\n"
    )
    result = await read(write(tmp_path, text))
    assert result.problems == []
    for s in result.stations:
        assert distance_m(Point(s.lat, s.lng), XINHUA) < 1.0
    # Without conversion the GCJ-02 figures are hundreds of metres off: the test can fail.
    assert distance_m(Point(*gcj), XINHUA) > 100


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"code": ""}, "缺少编码"),
        ({"name": ""}, "缺少名称"),
        ({"lat": "北纬40"}, "纬度“北纬40”不是数字"),
        ({"lat": "111.6610", "lng": "40.8175"}, "是不是把经度和纬度填反了"),
        ({"lat": "48.8566", "lng": "2.3522"}, "不在中国境内"),
        ({"lng": ""}, "只填了纬度、没有经度"),
        ({"coord": "mars"}, "坐标系“mars”不认识"),
        ({"services": "rest;按摩"}, "服务项目里的“按摩”不认识。可以填：政策宣传、休息"),
        ({"opening_hours": "早八晚八"}, "开放时间“早八晚八”看不懂"),
        ({"kind": "huge"}, "类型“huge”不认识"),
        ({"build_mode": "rent"}, "建设方式“rent”不认识"),
        ({"status": "closed"}, "状态“closed”不认识"),
        ({"area_m2": "大约十平"}, "面积“大约十平”不是数字"),
        ({"area_m2": "-3"}, "面积 -3 平方米不合理"),
        ({"area_m2": "3"}, "标准驿站面积应不少于 5 平方米"),
        ({"most_beautiful": "maybe"}, "最美驿站一栏“maybe”看不懂"),
        ({"phone": "1" * 41}, "电话太长"),
    ],
)
async def test_each_kind_of_bad_row_is_reported_with_its_row_number(
    tmp_path: Path, changes: dict[str, str], reason: str
) -> None:
    text = f"{HEADER}\n{GOOD}\n{row_with(**{'code': 'NM-BAD', **changes})}\n"
    result = await read(write(tmp_path, text))
    assert [p.row for p in result.problems] == [3]  # header is row 1
    assert reason in result.problems[0].reason
    assert [s.code for s in result.stations] == ["NM-001"]  # the good row is still usable


async def test_all_bad_rows_are_reported_not_just_the_first(tmp_path: Path) -> None:
    text = (
        "\n".join(
            [
                HEADER,
                row_with(code="A", services="飞行"),
                GOOD,
                "",  # a blank line still counts as a row, as in a spreadsheet
                row_with(code="B", lat="x"),
                row_with(code="C", name="", opening_hours="whenever"),
            ]
        )
        + "\n"
    )
    result = await read(write(tmp_path, text))
    assert [p.row for p in result.problems] == [2, 5, 6]
    assert "缺少名称" in result.problems[2].reason and "无法识别" in result.problems[2].reason
    assert [s.code for s in result.stations] == ["NM-001"]


async def test_duplicate_code_points_at_the_first_row(tmp_path: Path) -> None:
    text = f"{HEADER}\n{GOOD}\n{row_with(name='另一个')}\n"
    result = await read(write(tmp_path, text))
    assert [(p.row, p.reason) for p in result.problems] == [(3, "编码 NM-001 与第 2 行重复")]
    assert [s.name for s in result.stations] == ["新华广场驿站"]


async def test_missing_columns_are_refused_as_a_whole(tmp_path: Path) -> None:
    result = await read(write(tmp_path, "地址,纬度,经度\n新华大街1号,40.8,111.6\n"))
    assert result.stations == [] and result.problems[0].row == 1
    assert "表头缺少“名称（name）”列" in result.problems[0].reason


async def test_a_list_without_codes_gets_stable_codes_from_name_and_address(
    tmp_path: Path,
) -> None:
    text = "名称,地址,纬度,经度\n新华驿站,新华大街1号,40.8,111.6\n东站驿站,东站路2号,40.9,111.7\n"
    first = await read(write(tmp_path, text))
    again = await read(write(tmp_path, text.replace("新华大街1号", "新华大街 1号")))
    assert first.problems == [] and again.problems == []
    codes = [s.code for s in first.stations]
    assert codes == [s.code for s in again.stations]  # spaces do not make a new station
    assert len(set(codes)) == 2 and all(c.startswith("ZD") for c in codes)
    twice = await read(write(tmp_path, text + "新华驿站,新华大街1号,40.8,111.6\n"))
    assert [p.row for p in twice.problems] == [4]
    assert "与第 2 行的名称和地址完全相同" in twice.problems[0].reason


async def test_a_row_without_hours_is_imported_with_hours_unknown(tmp_path: Path) -> None:
    text = "编码,名称,纬度,经度,开放时间,24小时智能驿站\nA,甲,40.8,111.6,,否\nB,乙,40.8,111.6,,是\n"
    result = await read(write(tmp_path, text))
    assert result.problems == []
    unknown, smart = result.stations
    assert (unknown.hours_known, unknown.opening_hours) == (False, "")
    assert (smart.hours_known, smart.opening_hours) == (True, "24/7")


async def test_a_gbk_file_is_read_like_utf8(tmp_path: Path) -> None:
    # Excel's "CSV" on Chinese Windows is GBK: detected, not refused (tests/test_import_files.py).
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(f"{HEADER}\n{GOOD}\n".encode("gbk"))
    result = await read(gbk)
    assert result.problems == []
    assert [s.name for s in result.stations] == ["新华广场驿站"]


async def test_an_unquoted_comma_that_shifts_columns_is_caught(tmp_path: Path) -> None:
    shifted = GOOD.replace("新华大街1号", "新华大街1号,2号楼")
    result = await read(write(tmp_path, f"{HEADER}\n{shifted}\n"))
    assert result.stations == []
    assert "多出 1 格" in result.problems[0].reason


async def test_hours_written_the_chinese_way_and_smart_stations_without_hours(
    tmp_path: Path,
) -> None:
    text = (
        f"{HEADER}\n"
        + row_with(code="A", opening_hours="Mo-Fr 08：00－20：00")
        + "\n"
        + row_with(code="B", opening_hours="", smart_24h="是")
        + "\n"
        + row_with(code="C", opening_hours="全天")
        + "\n"
    )
    result = await read(write(tmp_path, text))
    assert result.problems == []
    assert [s.opening_hours for s in result.stations] == ["Mo-Fr 08:00-20:00", "24/7", "24/7"]


async def test_empty_kind_follows_the_area_and_host_means_joint(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n"
        + row_with(code="A", kind="", area_m2="3㎡", build_mode="")
        + "\n"
        + row_with(code="B", kind="", area_m2="", build_mode="", host_type="")
        + "\n"
    )
    result = await read(write(tmp_path, text))
    assert result.problems == []
    a, b = result.stations
    assert (a.kind, a.area_m2, a.build_mode) == ("micro", 3.0, "joint")
    assert (b.kind, b.area_m2, b.build_mode) == ("standard", None, "self")


def feature(properties: dict[str, object], coordinates: list[float] | None) -> dict[str, object]:
    geometry = None if coordinates is None else {"type": "Point", "coordinates": coordinates}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


async def test_geojson_points_are_lng_lat_and_properties_may_be_typed(tmp_path: Path) -> None:
    good = {
        "code": "GJ-1",
        "名称": "包头驿站",
        "opening_hours": "24/7",
        "services": ["rest", "热饭"],
        "most_beautiful": True,
        "smart_24h": 1,
        "area_m2": 8,
    }
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature(good, [109.8403, 40.6574]),
            {
                "type": "Feature",
                "properties": {"code": "GJ-2", "name": "线"},
                "geometry": {"type": "LineString", "coordinates": [[109.8, 40.6], [109.9, 40.7]]},
            },
            feature({"code": "GJ-3", "name": "颠倒", "opening_hours": "24/7"}, [40.6574, 109.8403]),
        ],
    }
    result = await read(write(tmp_path, json.dumps(collection, ensure_ascii=False), "s.geojson"))
    [s] = result.stations
    assert (s.code, s.name, s.lat, s.lng) == ("GJ-1", "包头驿站", 40.6574, 109.8403)
    assert s.services == ["rest", "meal_heating"]
    assert (s.most_beautiful, s.smart_24h, s.area_m2) == (True, True, 8.0)
    assert [p.row for p in result.problems] == [2, 3]  # features counted from 1
    assert "只能导入点（Point）要素" in result.problems[0].reason
    assert "填反" in result.problems[1].reason


async def test_broken_geojson_is_reported(tmp_path: Path) -> None:
    result = await read(write(tmp_path, '{"type": "FeatureCollection", "features": [', "s.geojson"))
    assert result.stations == []
    assert "不是有效的 GeoJSON" in result.problems[0].reason


# --- geocoding ---------------------------------------------------------------------------------


@pytest.fixture
async def geocoder() -> AsyncIterator[FakeGeocoder]:
    fake = await FakeGeocoder().start()
    yield fake
    await fake.close()


def address_rows(*rows: tuple[str, str]) -> str:
    lines = ["编码,名称,地址,盟市,旗县区,开放时间"]
    lines += [f"{code},驿站{code},{address},呼和浩特市,新城区,24/7" for code, address in rows]
    return "\n".join(lines) + "\n"


async def test_baidu_answer_in_bd09_is_stored_as_wgs84(
    tmp_path: Path, geocoder: FakeGeocoder
) -> None:
    bd_lat, bd_lng = from_wgs84(XINHUA, "bd09")
    geocoder.baidu["呼和浩特市新城区新华大街1号"] = Place(bd_lat, bd_lng)
    path = write(
        tmp_path, address_rows(("A", "新华大街1号"), ("B", "新华大街1号"), ("C", "月球路9号"))
    )
    result = await read(
        path, geocoder="baidu", geocoder_key="test-ak", geocoder_api_base=geocoder.base_url
    )
    a, b = result.stations
    assert distance_m(Point(a.lat, a.lng), XINHUA) < 1.0
    assert (b.lat, b.lng) == (a.lat, a.lng)
    assert distance_m(Point(bd_lat, bd_lng), XINHUA) > 500  # storing BD-09 as-is would fail
    asked = geocoder.asked("/geocoding/v3/")
    assert len(asked) == 2  # the repeated address was asked once
    assert {r["address"] for r in asked} == {
        "呼和浩特市新城区新华大街1号",
        "呼和浩特市新城区月球路9号",
    }
    assert all(r["ak"] == "test-ak" and r["output"] == "json" for r in asked)
    assert [(p.row, p.reason) for p in result.problems] == [
        (4, "按地址“呼和浩特市新城区月球路9号”找不到位置，请写详细地址或补上经纬度")
    ]


async def test_a_city_level_answer_is_not_taken_as_a_position(
    tmp_path: Path, geocoder: FakeGeocoder
) -> None:
    geocoder.baidu["呼和浩特市新城区"] = Place(40.85, 111.75, level="区县")
    result = await read(
        write(tmp_path, address_rows(("A", "新城区"))),
        geocoder="baidu",
        geocoder_key="test-ak",
        geocoder_api_base=geocoder.base_url,
    )
    assert result.stations == []
    assert "只能定位到区县一级" in result.problems[0].reason


async def test_a_rejected_key_stops_geocoding_and_reports_every_row(
    tmp_path: Path, geocoder: FakeGeocoder
) -> None:
    rows = [(c, f"新华大街{i}号") for i, c in enumerate("ABCDEF")]
    result = await read(
        write(tmp_path, address_rows(*rows)),
        geocoder="baidu",
        geocoder_key="wrong",
        geocoder_api_base=geocoder.base_url,
    )
    assert result.stations == []
    assert [p.row for p in result.problems] == [2, 3, 4, 5, 6, 7]
    assert all("密钥" in p.reason for p in result.problems)
    assert len(geocoder.requests) <= 3  # not hammered with a key it refused


async def test_too_many_at_once_is_retried_but_a_used_up_quota_is_reported(
    tmp_path: Path, geocoder: FakeGeocoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("locations._geocode._QUOTA_RETRY_DELAYS_S", (0.0, 0.0))
    geocoder.baidu["呼和浩特市新城区新华大街1号"] = Place(*from_wgs84(XINHUA, "bd09"))
    path = write(tmp_path, address_rows(("A", "新华大街1号")))
    settings = {
        "geocoder": "baidu",
        "geocoder_key": "test-ak",
        "geocoder_api_base": geocoder.base_url,
    }
    geocoder.busy_next = 2
    result = await read(path, **settings)
    assert [s.code for s in result.stations] == ["A"] and result.problems == []
    geocoder.quota_exhausted = True
    result = await read(path, **settings)
    assert result.stations == [] and "额度已用完" in result.problems[0].reason


async def test_an_unreachable_geocoder_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, address_rows(("A", "新华大街1号")))
    result = await read(
        path, geocoder="baidu", geocoder_key="test-ak", geocoder_api_base="http://127.0.0.1:9"
    )  # nothing listens there
    assert result.stations == [] and "连不上" in result.problems[0].reason


async def test_nominatim_answers_wgs84_and_is_asked_within_china(
    tmp_path: Path, geocoder: FakeGeocoder
) -> None:
    geocoder.nominatim["呼和浩特市新城区新华大街1号"] = Place(XINHUA.lat, XINHUA.lng)
    result = await read(
        write(tmp_path, address_rows(("A", "新华大街1号"))),
        geocoder="nominatim",
        geocoder_api_base=geocoder.base_url,
    )
    [s] = result.stations
    assert distance_m(Point(s.lat, s.lng), XINHUA) < 0.01
    [asked] = geocoder.asked("/search")
    assert asked["countrycodes"] == "cn" and asked["format"] == "json"


async def test_without_a_geocoder_address_only_rows_are_reported_not_guessed(
    tmp_path: Path,
) -> None:
    result = await read(write(tmp_path, address_rows(("A", "新华大街1号"))), geocoder="none")
    assert result.stations == []
    assert "没有配置地址定位服务" in result.problems[0].reason
