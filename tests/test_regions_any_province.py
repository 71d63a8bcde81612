"""Any province: a 河南 boundary file in the nationwide DataV layout, made here, drives coverage
(per league and county, uncovered spots, GeoJSON) and where cases are placed; stations outside
every boundary are placed by their own league/county, never by an Inner Mongolian seat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from core import Database, get_settings
from locations import Point, RegionSet, StationRecord, coverage_report, parse_regions
from referrals import AreaFinder, import_boundaries
from yizhan.cli import cli

# Squares (WGS-84) standing in for real boundaries: 郑州市 with two urban districts and a
# county-level city, and 开封市 with one district.
SQUARES = {
    "410105": ("金水区", "410100", (34.77, 34.83, 113.63, 113.73)),
    "410102": ("中原区", "410100", (34.71, 34.77, 113.55, 113.65)),
    "410184": ("新郑市", "410100", (34.30, 34.50, 113.60, 113.90)),
    "410202": ("龙亭区", "410200", (34.78, 34.84, 114.30, 114.38)),
}
JINSHUI = Point(34.80, 113.68)
XINZHENG_OUTSIDE = Point(34.20, 113.75)  # south of every square: no boundary covers it


def square(lat0: float, lat1: float, lng0: float, lng1: float) -> dict[str, object]:
    ring = [[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


def henan_geojson() -> str:
    features = [
        {
            "type": "Feature",
            "properties": {"adcode": 410000, "name": "河南省", "level": "province", "parent": None},
            "geometry": square(31.3, 36.4, 110.3, 116.7),
        },
        {
            "type": "Feature",
            "properties": {
                "adcode": 410100,
                "name": "郑州市",
                "level": "city",
                "parent": {"adcode": 410000},
                "center": [113.665412, 34.757975],
            },
            "geometry": square(34.2, 34.9, 113.5, 114.0),
        },
        {
            "type": "Feature",
            "properties": {
                "adcode": 410200,
                "name": "开封市",
                "level": "city",
                "parent": {"adcode": 410000},
            },
            "geometry": square(34.7, 34.9, 114.2, 114.5),
        },
    ]
    for adcode, (name, parent, box) in SQUARES.items():
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "adcode": int(adcode),
                    "name": name,
                    "level": "district",
                    "parent": {"adcode": int(parent)},
                },
                "geometry": square(*box),
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def record(
    i: int, point: Point, league: str = "", county: str = "", **more: object
) -> StationRecord:
    values: dict[str, object] = {
        "id": i,
        "code": f"H{i}",
        "name": f"河南驿站{i}",
        "address": "",
        "league": league,
        "county": county,
        "point": point,
        "kind": "standard",
        "build_mode": "self",
        "host_type": "",
        "opening_hours": "24/7",
        "services": ("rest",),
        "most_beautiful": False,
        "smart_24h": False,
        "phone": "",
    }
    values.update(more)
    return StationRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def henan() -> RegionSet:
    return RegionSet(parse_regions(henan_geojson(), coord="wgs84"))  # type: ignore[arg-type]


def test_datav_layout_is_read_with_parent_objects_and_city_district_levels(
    henan: RegionSet,
) -> None:
    jinshui = henan.by_code["410105"]
    assert (jinshui.level, jinshui.league_adcode) == ("county", "410100")
    assert henan.county_at(JINSHUI) is jinshui
    assert henan.county_at(XINZHENG_OUTSIDE) is None
    assert henan.named("郑州", "新郑") == (henan.by_code["410100"], henan.by_code["410184"])


def test_coverage_counts_per_league_and_county_and_lists_uncovered_spots(henan: RegionSet) -> None:
    stations = [
        record(1, JINSHUI),
        record(2, Point(34.801, 113.681)),
        record(3, Point(34.74, 113.60), opening_hours="", hours_known=False),
        record(4, XINZHENG_OUTSIDE, league="郑州市", county="新郑市"),  # by its own fields
        record(5, Point(30.0, 120.0), league="杭州市"),  # another province altogether
    ]
    report = coverage_report(stations, henan)
    assert report.regions == "boundaries" and report.hours_unknown == 1
    zhengzhou = next(lc for lc in report.leagues if lc.league == "郑州市")
    counties = {c.county: (c.stations, c.hours_unknown) for c in zhengzhou.counties}
    assert counties == {"金水区": (2, 0), "中原区": (1, 1), "新郑市": (1, 0)}
    assert zhengzhou.stations == 4 and zhengzhou.hours_unknown == 1
    assert any(lc.league == "未注明盟市" and lc.stations == 1 for lc in report.leagues)
    assert [u.league for u in report.urban] == ["郑州市", "开封市"]
    urban = report.urban[0]
    assert urban.districts == ("金水区", "中原区")  # the 区, not the county-level city
    assert 0 < urban.cross_covered < urban.sample_points and urban.spots
    # The one cross-covered patch is around stations 1 and 2; station 3 (hours unknown) counts
    # for nothing, so the spots together hold every other sample point.
    assert sum(s.sample_points for s in urban.spots) == urban.sample_points - urban.cross_covered
    features = report.to_geojson()["features"]
    assert {f["properties"]["league"] for f in features} == {"郑州市", "开封市"}  # type: ignore[index]
    assert "缺口" in report.to_text() and "开放时间未确认：1 家" in report.to_text()


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'regions.db'}")
    await database.upgrade()
    return database


async def test_cases_are_placed_by_boundary_then_by_the_stations_own_fields(
    tmp_path: Path, db: Database
) -> None:
    try:
        finder = AreaFinder(db)
        # No boundaries loaded: a 郑州 station's case is 郑州's, not an Inner Mongolian seat's.
        bare = await finder.area_of(JINSHUI, league="郑州市", county="金水区")
        assert (bare.league, bare.county, bare.source) == ("郑州市", "金水区", "record")
        assert "1501" not in bare.county_adcode and bare.region_adcode != "150000"
        lost = await finder.area_of(JINSHUI)  # no fields, far from every built-in seat
        assert (lost.county_adcode, lost.source) == ("", "none")
        path = tmp_path / "henan.geojson"
        path.write_text(henan_geojson(), encoding="utf-8")
        assert await import_boundaries(db, path, coord="wgs84") == 7  # type: ignore[arg-type]
        await finder.reload()
        inside = await finder.area_of(JINSHUI, league="郑州市", county="中原区")
        assert (inside.county_adcode, inside.league, inside.region_adcode) == (
            "410105",
            "郑州市",
            "410000",
        )
        outside = await finder.area_of(XINZHENG_OUTSIDE, league="郑州", county="新郑市")
        assert (outside.county_adcode, outside.league_adcode, outside.source) == (
            "410184",
            "410100",
            "record",
        )
        # Inner Mongolia still works from its built-in seats when its boundaries are not loaded.
        hohhot = await finder.area_of(Point(40.858, 111.6655))
        assert (hohhot.county, hohhot.source) == ("新城区", "seat")
    finally:
        await db.close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("GEOCODER", "none")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_regions_import_then_coverage_for_henan_through_the_cli(
    tmp_path: Path, cli_env: None
) -> None:
    boundaries = tmp_path / "henan.geojson"
    boundaries.write_text(henan_geojson(), encoding="utf-8")
    stations = tmp_path / "henan.csv"
    stations.write_text(
        "名称,地址,盟市,旗县区,纬度,经度,开放时间\n"
        "花园路驿站,花园路1号,郑州市,金水区,34.80,113.68,每天 8:00-20:00\n"
        "未来路驿站,未来路2号,郑州市,金水区,34.801,113.681,\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    done = runner.invoke(cli, ["regions", "import", str(boundaries), "--coord", "wgs84"])
    assert done.exit_code == 0, done.output
    assert runner.invoke(cli, ["stations", "import", str(stations)]).exit_code == 0
    report = json.loads(runner.invoke(cli, ["coverage", "--format", "json"]).stdout)
    assert report["regions"] == "boundaries" and report["hours_unknown"] == 1
    [zhengzhou] = [lg for lg in report["leagues"] if lg["league"] == "郑州市"]
    assert {c["county"]: c["stations"] for c in zhengzhou["counties"]}["金水区"] == 2
    spots = json.loads(runner.invoke(cli, ["coverage", "--format", "geojson"]).stdout)
    assert spots["type"] == "FeatureCollection" and spots["features"]
    text = runner.invoke(cli, ["coverage"]).stdout
    assert "郑州市" in text and "金水区 2（未确认 1）" in text and "缺口" in text
