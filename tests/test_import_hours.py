"""Hours in the clerk's words: read at import, kept beside the OSM form, and answered by the API."""

from __future__ import annotations

from pathlib import Path

from core import Settings
from handlers import SERVICES_KEY
from locations import read_station_file, upsert_stations
from tests.conftest import AppClient
from tests.stations import HOHHOT

LAT, LNG = HOHHOT
HEADER = "编码,名称,地址,纬度,经度,开放时间,服务项目"


def csv_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "stations.csv"
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path


async def test_chinese_hours_are_parsed_and_the_words_kept(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        f"A,甲驿站,新华大街,{LAT},{LNG},周一至周五 8:00-18:00，节假日休息,休息",
        f"B,乙驿站,新华大街,{LAT},{LNG},Mo-Su 07:00-21:00,休息",
        f"C,丙驿站,新华大街,{LAT},{LNG},７×２４小时,休息",
    )
    result = await read_station_file(path, settings=Settings())
    assert result.problems == []
    got = {s.code: (s.opening_hours, s.opening_hours_text) for s in result.stations}
    assert got == {
        "A": ("Mo-Fr 08:00-18:00; PH off", "周一至周五 8:00-18:00，节假日休息"),
        "B": ("Mo-Su 07:00-21:00", ""),  # OSM already: no separate words
        "C": ("24/7", "７×２４小时"),
    }


async def test_unreadable_hours_quote_the_clerks_part(tmp_path: Path) -> None:
    path = csv_file(tmp_path, f"A,甲驿站,新华大街,{LAT},{LNG},周一至周五 早八晚八,休息")
    result = await read_station_file(path, settings=Settings())
    assert result.stations == []
    assert "“早八晚八”看不懂" in result.problems[0].reason


async def test_the_api_answers_both_forms(client: AppClient, tmp_path: Path) -> None:
    ctx = client.app[SERVICES_KEY]
    path = csv_file(tmp_path, f"A,甲驿站,新华大街,{LAT},{LNG},每天早8点到晚8点,休息")
    result = await read_station_file(path, settings=Settings())
    await upsert_stations(ctx.db, result.stations, source="test")
    await ctx.finder.stations_changed()
    resp = await client.get(
        "/api/v1/stations/nearby",
        params={"lat": LAT, "lng": LNG, "coord": "wgs84", "open_now": "false"},
    )
    assert resp.status == 200
    (found,) = (await resp.json())["stations"]
    assert found["opening_hours"] == "Mo-Su 08:00-20:00"
    assert found["opening_hours_text"] == "每天早8点到晚8点"
    assert found["open_now"] is True  # the frozen clock: Tuesday 10:00
    detail = await client.get(f"/api/v1/stations/{found['id']}", params={"coord": "wgs84"})
    assert (await detail.json())["opening_hours_text"] == "每天早8点到晚8点"
