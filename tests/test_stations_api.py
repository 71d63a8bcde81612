"""The station pages of the mini-program: a default reach for "nearby" (and, at night, the
stations that open first instead of one 600 km away), paging, search by name, address and
pinyin initials, station photos, labels in both languages, ETags and rate-limit headers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core import CHINA_TZ
from handlers import SERVICES_KEY
from tests.conftest import AppClient
from tests.photos import has_gps, phone_jpeg
from tests.stations import HOHHOT, add_stations, station

LAT, LNG = HOHHOT
WGS = {"coord": "wgs84"}


async def _night(client: AppClient) -> None:
    ctx = client.app[SERVICES_KEY]
    await add_stations(
        ctx,
        station(
            "DAY", LAT + 0.002, LNG, opening_hours="Mo-Su 08:00-18:00", name="新城区海东路驿站"
        ),
        station(
            "EARLY",
            LAT + 0.02,
            LNG,
            opening_hours="Mo-Su 06:30-18:00",
            name="赛罕区早班驿站",
            address="赛罕区大学西街",
            county="赛罕区",
        ),
        station("FAR24", LAT + 0.6, LNG, name="武川县全天驿站", address="可镇", county="武川县"),
    )
    ctx.clock.set(datetime(2026, 11, 24, 23, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]


async def test_nothing_open_within_reach_names_the_soonest_opening(client: AppClient) -> None:
    await _night(client)
    resp = await client.get("/api/v1/stations/nearby", params={"lat": LAT, "lng": LNG, **WGS})
    body = await resp.json()
    # The 24-hour station 67 km away is not offered as "nearby" (walk 800 minutes).
    assert body["stations"] == [] and body["max_distance_m"] == 10_000
    assert "10 公里" in body["notice"]
    soon = [(s["code"], s["opens_at"]) for s in body["opening_soon"]]
    assert soon == [("EARLY", "2026-11-25T06:30:00+08:00"), ("DAY", "2026-11-25T08:00:00+08:00")]
    wide = await (
        await client.get(
            "/api/v1/stations/nearby",
            params={"lat": LAT, "lng": LNG, "max_distance_m": 100_000, **WGS},
        )
    ).json()
    assert [s["code"] for s in wide["stations"]] == ["FAR24"]
    assert wide["opening_soon"] == [] and wide["notice"] is None


async def test_nearby_pages_with_a_cursor(client: AppClient) -> None:
    ctx = client.app[SERVICES_KEY]
    await add_stations(ctx, *(station(f"S{i}", LAT + 0.001 * (i + 1), LNG) for i in range(7)))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"lat": LAT, "lng": LNG, "limit": 3, **WGS} | (
            {"cursor": cursor} if cursor else {}
        )
        body = await (await client.get("/api/v1/stations/nearby", params=params)).json()
        seen += [s["code"] for s in body["stations"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"S{i}" for i in range(7)] and pages == 3


async def test_search_by_name_address_and_pinyin(client: AppClient) -> None:
    await _night(client)
    ctx = client.app[SERVICES_KEY]
    ctx.clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=CHINA_TZ))  # type: ignore[attr-defined]

    async def codes(q: str, **extra: object) -> list[str]:
        resp = await client.get("/api/v1/stations/search", params={"q": q, **extra})
        assert resp.status == 200, await resp.text()
        return [s["code"] for s in (await resp.json())["stations"]]

    assert await codes("xcq") == ["DAY"]  # 新城区 by its initials
    assert await codes("海东") == ["DAY"]
    assert await codes("haidong") == ["DAY"]
    assert await codes("可镇") == ["FAR24"]  # by address
    assert await codes("驿站", lat=LAT, lng=LNG, coord="wgs84") == ["DAY", "EARLY", "FAR24"]
    assert await codes("wcx 全天") == ["FAR24"]
    assert await codes("zzzz") == []
    hit = (await (await client.get("/api/v1/stations/search", params={"q": "xcq"})).json())[
        "stations"
    ][0]
    assert hit["distance_m"] is None and hit["open_now"] is True
    bad = await client.get("/api/v1/stations/search", params={"q": ""})
    assert bad.status == 422


async def test_station_detail_with_photos_and_labels(client: AppClient) -> None:
    ctx = client.app[SERVICES_KEY]
    await add_stations(ctx, station("P", LAT, LNG, services=["rest", "meal_heating"]))
    sid = ctx.finder.index.stations[0].id
    photo = await ctx.media.add(
        phone_jpeg(), channel="admin_api", owner="staff:1", purpose="station", subject=str(sid)
    )
    detail = await (await client.get(f"/api/v1/stations/{sid}")).json()
    assert [p["id"] for p in detail["photos"]] == [photo.id]
    assert (await client.get(detail["photos"][0]["url"])).status == 200
    assert detail["service_labels"] == ["休息", "热饭"] and detail["kind_label"] == "标准驿站"
    english = await (
        await client.get(f"/api/v1/stations/{sid}", headers={"Accept-Language": "en"})
    ).json()
    assert english["service_labels"] == ["Rest", "Meal heating"]
    assert english["services"] == ["rest", "meal_heating"]


async def test_etag_cache_control_and_rate_limit_headers(client: AppClient) -> None:
    ctx = client.app[SERVICES_KEY]
    await add_stations(ctx, station("E", LAT, LNG))
    params = {"lat": LAT, "lng": LNG, **WGS}
    first = await client.get("/api/v1/stations/nearby", params=params)
    tag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    assert int(first.headers["RateLimit-Remaining"]) < int(first.headers["RateLimit-Limit"])
    again = await client.get(
        "/api/v1/stations/nearby", params=params, headers={"If-None-Match": tag}
    )
    assert again.status == 304 and await again.read() == b""
    await add_stations(ctx, station("E2", LAT + 0.001, LNG))
    later = await client.get(
        "/api/v1/stations/nearby", params=params, headers={"If-None-Match": tag}
    )
    assert later.status == 200 and later.headers["ETag"] != tag  # a new station: a new tag


async def test_code_sets_with_labels(client: AppClient) -> None:
    every = await (await client.get("/api/v1/codes")).json()
    assert {"services", "legal_categories", "occupations", "case_statuses"} <= set(
        every["code_sets"]
    )
    legal = await (await client.get("/api/v1/codes/legal_categories")).json()
    assert {"code": "unpaid_wages", "label": "拖欠工资"} in legal["codes"]
    english = await (
        await client.get("/api/v1/codes/occupations", headers={"Accept-Language": "en"})
    ).json()
    assert {"code": "food_delivery", "label": "Food delivery rider"} in english["codes"]
    missing = await client.get("/api/v1/codes/planets")
    assert missing.status == 404 and "services" in (await missing.json())["detail"]


def test_staff_add_a_station_photo_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from core import get_settings
    from tests.photos import encoded
    from yizhan.cli import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("MEDIA_URL", f"file://{tmp_path / 'media'}")
    get_settings.cache_clear()
    try:
        csv = tmp_path / "s.csv"
        csv.write_text(
            "编码,名称,地址,盟市,旗县区,纬度,经度,开放时间,服务项目,状态\n"
            "P1,海东路驿站,海东路,呼和浩特市,新城区,40.85,111.66,24/7,休息、饮水,正常\n",
            encoding="utf-8",
        )
        assert CliRunner().invoke(cli, ["stations", "import", str(csv)]).exit_code == 0
        jpg = tmp_path / "front.jpg"
        jpg.write_bytes(phone_jpeg())
        added = CliRunner().invoke(cli, ["stations", "photo", "P1", str(jpg)])
        assert added.exit_code == 0 and "已为驿站 P1 添加照片" in added.output
        (stored,) = (tmp_path / "media").rglob("*.jpg")
        assert not has_gps(stored.read_bytes())
        gif = tmp_path / "x.gif"
        gif.write_bytes(encoded("GIF"))
        refused = CliRunner().invoke(cli, ["stations", "photo", "P1", str(gif)])
        assert refused.exit_code != 0 and "JPG、PNG 或 WebP" in refused.output
        missing = CliRunner().invoke(cli, ["stations", "photo", "NOPE", str(jpg)])
        assert missing.exit_code != 0 and "没有找到驿站 NOPE" in missing.output
    finally:
        get_settings.cache_clear()


async def test_a_429_in_english_with_its_limits(backend: Any, aiohttp_client: Any) -> None:
    from yizhan.app import create_app

    client = await aiohttp_client(create_app(backend(miniprogram_rate_per_ip=2)))
    english = {"Accept-Language": "en"}
    statuses = [(await client.get("/api/v1/services", headers=english)).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    resp = await client.get("/api/v1/services", headers=english)
    problem = await resp.json()
    assert resp.status == 429 and problem["title"] == "Too many requests, please try again shortly"
    assert "seconds" in problem["detail"] and resp.headers["Content-Language"] == "en"
    assert resp.headers["RateLimit-Remaining"] == "0" and resp.headers["RateLimit-Limit"] == "2"
