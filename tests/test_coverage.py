"""`yizhan coverage`: the stations against the notice's targets."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from locations import (
    LEAGUES,
    CoverageReport,
    Point,
    StationInput,
    StationRecord,
    coverage_report,
    demo_stations,
    distance_m,
    urban_places,
    walk_radius_m,
)
from locations._coverage import UrbanCoverage, urban_sample_points

_M_PER_DEG = 111_195.0
TONGLIAO = next(p for p in urban_places("通辽市"))  # one urban district: an easy disc to reason on


def record(i: int, lat: float, lng: float, **fields: object) -> StationRecord:
    values: dict[str, object] = {
        "id": i,
        "code": f"T{i}",
        "name": f"测试驿站{i}",
        "address": "",
        "league": "通辽市",
        "county": "科尔沁区",
        "point": Point(lat, lng),
        "kind": "standard",
        "build_mode": "self",
        "host_type": "",
        "opening_hours": "24/7",
        "services": ("rest",),
        "most_beautiful": False,
        "smart_24h": False,
        "phone": "",
    }
    values.update(fields)
    return StationRecord(**values)  # type: ignore[arg-type]


def from_input(i: int, s: StationInput) -> StationRecord:
    return record(
        i,
        s.lat,
        s.lng,
        code=s.code,
        league=s.league,
        county=s.county,
        most_beautiful=s.most_beautiful,
        smart_24h=s.smart_24h,
        status=s.status,
    )


def area(report: CoverageReport, league: str) -> UrbanCoverage:
    return next(u for u in report.urban if u.league == league)


def test_no_stations_meets_nothing() -> None:
    report = coverage_report([])
    assert report.stations == 0 and not report.all_met
    assert len(report.urban) == 12
    assert all(u.sample_points > 0 and u.covered_share == 0 for u in report.urban)
    text = report.to_text()
    assert "✗ 未达标" in text and "✓" not in text.split("主城区")[0].split("各盟市")[0]


def test_dense_grid_covers_an_urban_area_twice() -> None:
    """Stations every 300 m over Tongliao's core: every sample point has several in reach."""
    centre, reach = TONGLIAO.point, TONGLIAO.urban_radius_m + 1000
    cos = math.cos(math.radians(centre.lat))
    steps = int(reach // 300)
    stations = [
        record(k, centre.lat + y * 300 / _M_PER_DEG, centre.lng + x * 300 / (_M_PER_DEG * cos))
        for k, (x, y) in enumerate(
            (x, y) for x in range(-steps, steps + 1) for y in range(-steps, steps + 1)
        )
    ]
    tongliao = area(coverage_report(stations), "通辽市")
    assert tongliao.covered_share == 1.0 and tongliao.cross_covered_share == 1.0 and tongliao.met
    assert area(coverage_report(stations), "包头市").covered_share == 0.0


def test_one_station_covers_its_walking_disc_only_once() -> None:
    """One station at the centre of a 3 km core covers (833 m / 3 km)² of it, crosses nothing."""
    report = coverage_report([record(1, TONGLIAO.point.lat, TONGLIAO.point.lng)])
    tongliao = area(report, "通辽市")
    expected = (walk_radius_m(15) / TONGLIAO.urban_radius_m) ** 2
    assert tongliao.covered_share == pytest.approx(expected, abs=0.01)
    assert tongliao.cross_covered_share == 0.0 and not tongliao.met
    # A second station at the same place makes exactly that disc cross-covered.
    twice = coverage_report(
        [
            record(1, TONGLIAO.point.lat, TONGLIAO.point.lng),
            record(2, TONGLIAO.point.lat, TONGLIAO.point.lng),
        ]
    )
    assert area(twice, "通辽市").cross_covered_share == pytest.approx(expected, abs=0.01)


def test_counts_agree_with_brute_force_walking_distance() -> None:
    """Each sample point counts a station exactly when the geodesic distance is within the
    15-minute walk (833 m): checked point by point against `distance_m`."""
    league = next(lg for lg in LEAGUES if lg.name == "通辽市")
    points = [Point(lat, lng) for lat, lng in urban_sample_points(league)]
    c, reach = TONGLIAO.point, walk_radius_m(15)
    d = 700 / _M_PER_DEG
    stations = [record(1, c.lat + d, c.lng), record(2, c.lat - d, c.lng + 0.004)]
    report = area(coverage_report(stations), "通辽市")
    in_reach = [sum(distance_m(p, s.point) <= reach for s in stations) for p in points]
    assert report.sample_points == len(points)
    assert report.covered == sum(n >= 1 for n in in_reach) > 0
    assert report.cross_covered == sum(n >= 2 for n in in_reach) > 0


def test_only_active_stations_count() -> None:
    c = TONGLIAO.point
    stations = [
        record(1, c.lat, c.lng, status="suspended"),
        record(2, c.lat, c.lng, status="revoked"),
    ]
    report = coverage_report(stations)
    assert report.stations == 0 and area(report, "通辽市").covered_share == 0


def test_counts_shares_and_thresholds() -> None:
    far_north = [record(i, 50.0 + i * 1e-4, 120.0, league="呼伦贝尔") for i in range(3000)]
    for i in range(450):  # exactly 15 %
        far_north[i] = record(i, 50.0 + i * 1e-4, 120.0, league="呼伦贝尔市", most_beautiful=True)
    for i in range(450, 899):  # 449: one short of 15 %
        far_north[i] = record(i, 50.0 + i * 1e-4, 120.0, league="呼伦贝尔市", smart_24h=True)
    report = coverage_report(far_north)
    assert report.stations == 3000 and report.stations_met
    assert report.most_beautiful_share == 0.15
    data = report.to_dict()
    assert data["most_beautiful"]["met"] is True  # type: ignore[index]
    assert data["smart_24h"]["met"] is False  # type: ignore[index]
    hulunbuir = next(lc for lc in report.leagues if lc.league == "呼伦贝尔市")
    assert hulunbuir.stations == 3000  # "呼伦贝尔" and "呼伦贝尔市" are one league
    assert not report.all_met
    assert not coverage_report(far_north[:2999]).stations_met


def test_unknown_league_is_reported_apart() -> None:
    report = coverage_report(
        [record(1, 40.0, 110.0, league=""), record(2, 40.0, 110.0, league="包头")]
    )
    names = {lc.league: lc.stations for lc in report.leagues}
    assert names["未注明盟市"] == 1 and names["包头市"] == 1


def test_demo_set_meets_every_target() -> None:
    report = coverage_report([from_input(i, s) for i, s in enumerate(demo_stations())])
    assert report.stations >= 3000
    assert report.most_beautiful_share >= 0.15 and report.smart_24h_share >= 0.15
    assert {u.league for u in report.urban} == {lg.name for lg in LEAGUES}
    for u in report.urban:
        assert u.sample_points > 100
        assert u.cross_covered_share >= 0.9, u
    assert report.all_met
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["urban"]["walk_radius_m"] == pytest.approx(833.3, abs=0.1)
    text = report.to_text()
    assert "833 米" in text and "交叉覆盖" in text and "✓ 达标" in text


# -- through the command line ---------------------------------------------------------------------


def _yizhan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_cli_demo_then_coverage(tmp_path: Path) -> None:
    loaded = _yizhan(tmp_path, "stations", "demo")
    assert loaded.returncode == 0, loaded.stderr
    assert "演示驿站（合成数据）" in loaded.stdout and "新增" in loaded.stdout

    out = _yizhan(tmp_path, "coverage", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["stations"]["count"] >= 3000 and data["stations"]["met"]
    assert data["most_beautiful"]["share"] >= 0.15 and data["smart_24h"]["share"] >= 0.15
    assert len(data["urban"]["areas"]) == 12
    assert all(a["cross_covered_share"] >= 0.9 for a in data["urban"]["areas"])
    assert data["all_met"] is True
    count = data["stations"]["count"]

    # Loading the demo again updates the same codes instead of adding stations.
    again = _yizhan(tmp_path, "stations", "demo")
    assert again.returncode == 0 and "新增 0 个" in again.stdout
    text = _yizhan(tmp_path, "coverage")
    assert text.returncode == 0, text.stderr
    assert f"驿站总数：{count:,} 家" in text.stdout and "交叉覆盖" in text.stdout
