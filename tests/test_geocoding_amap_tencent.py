"""Address-only rows geocoded with Amap and Tencent (the fakes speak their real JSON): the row's
city goes with the address, GCJ-02 answers are stored as WGS-84 and marked with the provider's
precision, requests keep to the quota, answers are cached, and bad settings are refused."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from core import MemoryStore, Settings, get_settings
from locations import Point, distance_m, from_wgs84, read_station_file
from tests.fakes.geocoder import FakeGeocoder, MapPlace
from yizhan.cli import EXIT_CONFIG, cli, main

XINHUA = Point(40.8175, 111.6610)  # Hohhot, WGS-84
ZHENGZHOU = Point(34.7466, 113.6253)  # 郑州, WGS-84
HEADER = "编码,名称,地址,盟市,旗县区,开放时间"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGeocoder]:
    server = await FakeGeocoder(key="map-key").start()
    yield server
    await server.close()


def gcj(point: Point) -> tuple[float, float]:
    return from_wgs84(point, "gcj02")


def amap(fake: FakeGeocoder, **more: object) -> Settings:
    return Settings(geocoder="amap", amap_key="map-key", amap_api_base=fake.base_url, **more)  # type: ignore[arg-type]


def tencent(fake: FakeGeocoder, **more: object) -> Settings:
    return Settings(
        geocoder="tencent",
        tencent_map_key="map-key",
        tencent_map_api_base=fake.base_url,
        **more,  # type: ignore[arg-type]
    )


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "stations.csv"
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path


async def test_amap_is_asked_within_the_rows_city_and_its_gcj02_answer_stored_as_wgs84(
    tmp_path: Path, fake: FakeGeocoder
) -> None:
    # The same street in two cities: the row's own city decides which one.
    fake.amap["新城区新华大街1号"] = [
        MapPlace(*gcj(ZHENGZHOU), city="郑州市"),
        MapPlace(*gcj(XINHUA), level="门牌号", city="呼和浩特市"),
    ]
    path = write(tmp_path, "A,新华驿站,新华大街1号,呼和浩特市,新城区,24/7")
    result = await read_station_file(path, settings=amap(fake))
    assert result.problems == []
    [s] = result.stations
    assert distance_m(Point(s.lat, s.lng), XINHUA) < 0.2  # Amap's 6 decimals, converted back
    assert (s.geocoded_by, s.geocode_level) == ("amap", "门牌号")
    [asked] = fake.asked("/v3/geocode/geo")
    assert (asked["city"], asked["address"], asked["key"]) == (
        "呼和浩特市",
        "新城区新华大街1号",
        "map-key",
    )


async def test_amap_district_level_answers_are_refused_not_guessed(
    tmp_path: Path, fake: FakeGeocoder
) -> None:
    fake.amap["新城区某某路"] = [MapPlace(*gcj(XINHUA), level="区县")]
    result = await read_station_file(
        write(tmp_path, "A,驿站,某某路,呼和浩特市,新城区,24/7"), settings=amap(fake)
    )
    assert result.stations == []
    assert "只能定位到区县一级" in result.problems[0].reason


async def test_tencent_gets_the_city_in_the_address_and_its_level_is_kept(
    tmp_path: Path, fake: FakeGeocoder
) -> None:
    fake.tencent["郑州市金水区花园路1号"] = MapPlace(*gcj(ZHENGZHOU), level=9)
    fake.tencent["郑州市金水区含糊路"] = MapPlace(*gcj(ZHENGZHOU), level=9, reliability=4)
    path = write(
        tmp_path,
        "A,花园路驿站,花园路1号,郑州市,金水区,",
        "B,含糊驿站,含糊路,郑州市,金水区,每天 8:00-20:00",
    )
    result = await read_station_file(path, settings=tencent(fake))
    [s] = result.stations
    assert distance_m(Point(s.lat, s.lng), ZHENGZHOU) < 0.01
    assert (s.geocoded_by, s.geocode_level, s.hours_known) == ("tencent", "9 门址", False)
    assert [p.row for p in result.problems] == [3]  # reliability 4: not trusted
    assert {r["address"] for r in fake.asked("/ws/geocoder/v1/")} == {
        "郑州市金水区花园路1号",
        "郑州市金水区含糊路",
    }


async def test_requests_keep_to_the_providers_quota(tmp_path: Path, fake: FakeGeocoder) -> None:
    fake.qps = 5  # Tencent's default per-key quota: the importer must never go over it
    rows = []
    for i in range(12):
        fake.tencent[f"郑州市金水区花园路{i}号"] = MapPlace(*gcj(ZHENGZHOU), level=9)
        rows.append(f"T{i},驿站{i},花园路{i}号,郑州市,金水区,24/7")
    result = await read_station_file(write(tmp_path, *rows), settings=tencent(fake))
    assert result.problems == [] and len(result.stations) == 12
    assert fake.over_quota == 0
    assert len(fake.asked("/ws/geocoder/v1/")) == 12


async def test_answers_are_cached_so_a_second_import_asks_nothing(
    tmp_path: Path, fake: FakeGeocoder
) -> None:
    fake.amap["新城区新华大街1号"] = [MapPlace(*gcj(XINHUA))]
    path = write(tmp_path, "A,新华驿站,新华大街1号,呼和浩特市,新城区,24/7")
    store = MemoryStore()
    first = await read_station_file(path, settings=amap(fake), cache=store)
    again = await read_station_file(path, settings=amap(fake), cache=store)
    assert len(fake.asked("/v3/geocode/geo")) == 1
    assert first.stations == again.stations


async def test_a_wrong_key_and_a_used_up_quota_are_told_plainly(
    tmp_path: Path, fake: FakeGeocoder
) -> None:
    path = write(tmp_path, "A,新华驿站,新华大街1号,呼和浩特市,新城区,24/7")
    wrong = await read_station_file(
        path,
        settings=Settings(geocoder="amap", amap_key="nope", amap_api_base=fake.base_url),  # type: ignore[arg-type]
    )
    assert "不接受这个密钥" in wrong.problems[0].reason
    fake.quota_exhausted = True
    used_up = await read_station_file(path, settings=tencent(fake))
    assert "额度已用完" in used_up.problems[0].reason


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"geocoder": "google"}, "GEOCODER“google”不认识"),
        ({"geocoder": "amap"}, "需要密钥 AMAP_KEY"),
        ({"geocoder": "tencent"}, "需要密钥 TENCENT_MAP_KEY"),
        ({"geocoder": "amap", "amap_key": "k", "geocoder_qps": 0}, "GEOCODER_QPS"),
    ],
)
def test_geocoder_settings_are_checked_at_start_up(env: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        Settings(**env)  # type: ignore[arg-type]


# --- through the command line -----------------------------------------------------------------


@pytest.fixture
def threaded_fake() -> Iterator[FakeGeocoder]:
    """The fake on its own thread: the command runs its own event loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> FakeGeocoder:
        return await FakeGeocoder(key="map-key", qps=3).start()

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_import_with_amap_then_export_shows_which_rows_were_geocoded(
    tmp_path: Path, threaded_fake: FakeGeocoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("GEOCODER", "amap")
    monkeypatch.setenv("AMAP_KEY", "map-key")
    monkeypatch.setenv("AMAP_API_BASE", threaded_fake.base_url)
    get_settings.cache_clear()
    try:
        threaded_fake.amap["新城区新华大街1号"] = [MapPlace(*gcj(XINHUA), level="兴趣点")]
        path = tmp_path / "list.csv"
        path.write_text(
            "编码,名称,地址,盟市,旗县区,纬度,经度,开放时间,所属工会\n"
            "A,新华驿站,新华大街1号,呼和浩特市,新城区,,,,新城区总工会\n"
            "B,东站驿站,东站路,呼和浩特市,新城区,40.85,111.70,24/7,\n",
            encoding="utf-8",
        )
        runner = CliRunner()
        done = runner.invoke(cli, ["stations", "import", str(path)])
        assert done.exit_code == 0, done.output
        exported = tmp_path / "out.csv"
        assert runner.invoke(cli, ["stations", "export", str(exported)]).exit_code == 0
        lines = exported.read_text(encoding="utf-8-sig").splitlines()
        header = lines[0].split(",")
        rows = {r.split(",")[0]: dict(zip(header, r.split(","), strict=True)) for r in lines[1:]}
        assert (rows["A"]["定位来源"], rows["A"]["定位精度"]) == ("amap", "兴趣点")
        assert (rows["A"]["开放时间已确认"], rows["A"]["所属工会"]) == ("否", "新城区总工会")
        assert (rows["B"]["定位来源"], rows["B"]["开放时间已确认"]) == ("", "是")
        again = runner.invoke(cli, ["stations", "import", str(exported), "--dry-run"])
        assert "新增 0 个，更新 0 个，不变 2 个" in again.output  # the export imports back as is
    finally:
        get_settings.cache_clear()


def test_a_command_started_with_a_missing_key_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("GEOCODER", "tencent")
    monkeypatch.delenv("TENCENT_MAP_KEY", raising=False)
    monkeypatch.delenv("GEOCODER_KEY", raising=False)
    monkeypatch.setattr("sys.argv", ["yizhan", "coverage"])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as stopped:
            main()
    finally:
        get_settings.cache_clear()
    assert stopped.value.code == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.strip() == "设置有误：GEOCODER=tencent 需要密钥 TENCENT_MAP_KEY，目前没有配置"
