"""`yizhan stations import FILE [--skip-invalid]` against a temporary SQLite database."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from core import Database, get_settings
from yizhan.cli import cli
from locations import Point, Station, distance_m, from_wgs84, status_history
from tests.fakes.geocoder import FakeGeocoder, Place

HEADER = "编码,名称,地址,盟市,旗县区,纬度,经度,开放时间,服务项目,状态"


def row(
    code: str,
    name: str = "",
    *,
    lat: str = "40.8175",
    hours: str = "24/7",
    services: str = "休息、饮水",
    status: str = "正常",
) -> str:
    name = name or f"驿站{code}"
    return f"{code},{name},新华大街,呼和浩特市,新城区,{lat},111.6610,{hours},{services},{status}"


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("GEOCODER", "none")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run_import(path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["stations", "import", str(path), *args])


def stations_in(url: str) -> dict[str, Station]:
    async def fetch() -> dict[str, Station]:
        db = Database(url)
        try:
            await db.upgrade()
            async with db.session() as session:
                rows = (await session.execute(select(Station))).scalars()
                return {s.code: s for s in rows}
        finally:
            await db.close()

    return asyncio.run(fetch())


def history_of(url: str, code: str) -> list[tuple[str | None, str, str]]:
    async def fetch() -> list[tuple[str | None, str, str]]:
        db = Database(url)
        try:
            return [(c.old_status, c.new_status, c.source) for c in await status_history(db, code)]
        finally:
            await db.close()

    return asyncio.run(fetch())


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def test_a_file_with_errors_imports_nothing_and_names_every_bad_row(
    tmp_path: Path, db_url: str
) -> None:
    path = write(
        tmp_path / "s.csv",
        HEADER,
        row("A"),
        row("B", lat="abc"),
        row("C"),
        row("D", hours="早八晚八", services="休息、按摩"),
    )
    result = run_import(path)
    assert result.exit_code != 0
    assert "第 3 行：纬度“abc”不是数字" in result.stderr
    assert "第 5 行：" in result.stderr and "按摩" in result.stderr and "早八晚八" in result.stderr
    assert "未导入任何驿站" in result.stderr
    assert stations_in(db_url) == {}


def test_skip_invalid_imports_the_good_rows(tmp_path: Path, db_url: str) -> None:
    path = write(tmp_path / "s.csv", HEADER, row("A"), row("B", lat="abc"), row("C"))
    result = run_import(path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "新增 2 个" in result.stdout and "跳过 1 行" in result.stdout
    assert "第 3 行" in result.stderr
    assert sorted(stations_in(db_url)) == ["A", "C"]


def test_importing_again_updates_in_place_and_records_revocation(
    tmp_path: Path, db_url: str
) -> None:
    first = write(tmp_path / "v1.csv", HEADER, row("A"), row("B"), row("C"))
    assert run_import(first).exit_code == 0
    ids = {code: s.id for code, s in stations_in(db_url).items()}

    second = write(
        tmp_path / "v2.csv",
        HEADER,
        row("A", "新华广场驿站（新址）"),
        row("B"),
        row("C", status="撤销"),
    )
    result = run_import(second)
    assert result.exit_code == 0, result.output
    assert "新增 0 个，更新 3 个，状态变更 1 个" in result.stdout
    after = stations_in(db_url)
    assert {code: s.id for code, s in after.items()} == ids  # same rows, no duplicates
    assert after["A"].name == "新华广场驿站（新址）"
    assert after["C"].status == "revoked"
    assert history_of(db_url, "C") == [
        (None, "active", "import:v1.csv"),
        ("active", "revoked", "import:v2.csv"),
    ]


def test_geojson_through_the_command(tmp_path: Path, db_url: str) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [109.8403, 40.6574]},
                "properties": {
                    "code": "BT-1",
                    "name": "包头驿站",
                    "opening_hours": "Mo-Su 07:00-21:00",
                    "services": "rest;phone_charging",
                },
            }
        ],
    }
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    result = run_import(path)
    assert result.exit_code == 0, result.output
    s = stations_in(db_url)["BT-1"]
    assert (s.lat, s.lng, s.services) == (40.6574, 109.8403, ["rest", "phone_charging"])


def test_a_large_file_shows_a_progress_bar_on_stderr(tmp_path: Path, db_url: str) -> None:
    rows = [row(f"P{i:05d}", lat=f"{40.5 + i / 100_000:.5f}") for i in range(2500)]
    result = run_import(write(tmp_path / "big.csv", HEADER, *rows))
    assert result.exit_code == 0, result.output
    assert "读取驿站: 100%" in result.stderr and "2501/2501" in result.stderr  # with the header
    assert "读取驿站" not in result.stdout  # the summary line stays clean for scripts
    assert len(stations_in(db_url)) == 2500


@pytest.fixture
def geocoder() -> Iterator[FakeGeocoder]:
    """The fake geocoder on its own thread: the command runs its own event loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> FakeGeocoder:
        return await FakeGeocoder().start()

    fake = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield fake
    asyncio.run_coroutine_threadsafe(fake.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_address_only_rows_are_geocoded_with_the_configured_baidu(
    tmp_path: Path, db_url: str, geocoder: FakeGeocoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOCODER", "baidu")
    monkeypatch.setenv("GEOCODER_KEY", "test-ak")
    monkeypatch.setenv("GEOCODER_API_BASE", geocoder.base_url)
    get_settings.cache_clear()
    xinhua = Point(40.8175, 111.6610)
    geocoder.baidu["呼和浩特市新城区新华大街1号"] = Place(*from_wgs84(xinhua, "bd09"))
    header = "编码,名称,地址,盟市,旗县区,纬度,经度,开放时间"
    good = "G1,新华广场驿站,新华大街1号,呼和浩特市,新城区,,,24/7"
    lost = "G2,找不到的驿站,无名路,呼和浩特市,新城区,,,24/7"

    result = run_import(write(tmp_path / "a.csv", header, good, lost))
    assert result.exit_code != 0
    assert "第 3 行：按地址“呼和浩特市新城区无名路”找不到位置" in result.stderr
    assert stations_in(db_url) == {}

    result = run_import(write(tmp_path / "b.csv", header, good))
    assert result.exit_code == 0, result.output
    s = stations_in(db_url)["G1"]
    assert distance_m(Point(s.lat, s.lng), xinhua) < 1.0
