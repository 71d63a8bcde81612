"""GET /api/v1/stations/nearby, /stations/{id} and /services through the wired app."""

from __future__ import annotations

from handlers import SERVICES_KEY
from locations import Point, distance_m, gcj02_to_wgs84, wgs84_to_gcj02
from tests.conftest import AppClient
from tests.stations import HOHHOT, add_stations, station

LAT, LNG = HOHHOT
# Query parameters as aiohttp takes them (an int is a float to the type checker).
QueryValue = str | float


async def _setup(client: AppClient) -> None:
    ctx = client.app[SERVICES_KEY]
    await add_stations(
        ctx,
        station("NEAR", LAT + 0.001, LNG, services=["rest", "drinking_water"]),
        station("MID", LAT + 0.003, LNG, services=["rest", "meal_heating"], most_beautiful=True),
        station("FAR", LAT + 0.010, LNG, services=["rest", "meal_heating", "haircut"]),
        station("SHUT", LAT + 0.0005, LNG, opening_hours="Mo-Fr 20:00-22:00"),
        station("GONE", LAT, LNG + 0.0001, status="revoked"),
        station("PAUSED", LAT, LNG - 0.0001, status="suspended"),
    )


async def test_nearest_first_with_distance_and_walk_time(client: AppClient) -> None:
    await _setup(client)
    resp = await client.get(
        "/api/v1/stations/nearby", params={"lat": LAT, "lng": LNG, "coord": "wgs84"}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["coord"] == "wgs84"
    codes = [s["code"] for s in body["stations"]]
    # Closed, revoked and suspended stations are left out; the rest come nearest first.
    assert codes == ["NEAR", "MID", "FAR"]
    near = body["stations"][0]
    assert abs(near["distance_m"] - 111) <= 2
    assert near["walk_minutes"] == 2
    assert near["open_now"] is True and near["open_24h"] is True
    assert near["location"] == {"lat": round(LAT + 0.001, 7), "lng": LNG}


async def test_gcj02_is_the_default_both_ways(client: AppClient) -> None:
    await _setup(client)
    glat, glng = wgs84_to_gcj02(LAT, LNG)
    resp = await client.get("/api/v1/stations/nearby", params={"lat": glat, "lng": glng})
    body = await resp.json()
    assert body["coord"] == "gcj02"
    first = body["stations"][0]
    assert first["code"] == "NEAR"
    # The answer is in GCJ-02 too: converting back lands within a few cm of the stored point.
    wlat, wlng = gcj02_to_wgs84(first["location"]["lat"], first["location"]["lng"])
    assert distance_m(Point(wlat, wlng), Point(LAT + 0.001, LNG)) < 0.05


async def test_service_filter_repeats_and_all_must_match(client: AppClient) -> None:
    await _setup(client)
    params: list[tuple[str, QueryValue]] = [
        ("lat", LAT),
        ("lng", LNG),
        ("coord", "wgs84"),
        ("service", "meal_heating"),
        ("service", "haircut"),
    ]
    body = await (await client.get("/api/v1/stations/nearby", params=params)).json()
    assert [s["code"] for s in body["stations"]] == ["FAR"]


async def test_open_now_false_includes_closed_stations(client: AppClient) -> None:
    await _setup(client)
    params: dict[str, QueryValue] = {
        "lat": LAT,
        "lng": LNG,
        "coord": "wgs84",
        "open_now": "false",
        "limit": 2,
    }
    body = await (await client.get("/api/v1/stations/nearby", params=params)).json()
    shut = body["stations"][0]
    assert shut["code"] == "SHUT" and shut["open_now"] is False
    assert shut["opens_at"].startswith("2026-11-24T20:00")


async def test_bad_parameters_get_chinese_problem(client: AppClient) -> None:
    await _setup(client)
    cases: list[tuple[dict[str, QueryValue], str]] = [
        ({"lat": "abc", "lng": LNG}, "纬度"),
        ({"lat": 95, "lng": LNG}, "纬度"),
        ({"lng": LNG}, "纬度"),
        ({"lat": LAT, "lng": LNG, "coord": "mars"}, "坐标系"),
        ({"lat": LAT, "lng": LNG, "service": "massage"}, "massage"),
        ({"lat": LAT, "lng": LNG, "limit": 0}, "数量"),
    ]
    for params, word in cases:
        resp = await client.get("/api/v1/stations/nearby", params=params)
        assert resp.status == 422, params
        assert resp.content_type == "application/problem+json"
        problem = await resp.json()
        assert problem["title"] == "查询参数有误"
        assert word in problem["detail"], (params, problem)


async def test_station_detail_and_gone_station(client: AppClient) -> None:
    await _setup(client)
    ctx = client.app[SERVICES_KEY]
    near = next(s for s in ctx.finder.index.stations if s.code == "NEAR")
    resp = await client.get(f"/api/v1/stations/{near.id}", params={"coord": "wgs84"})
    assert resp.status == 200
    body = await resp.json()
    assert body["name"] == "测试驿站NEAR" and body["open_now"] is True
    gone = await client.get("/api/v1/stations/999999")
    assert gone.status == 404
    assert "撤销" in (await gone.json())["detail"]
    bad = await client.get("/api/v1/stations/abc")
    assert bad.status == 400


async def test_services_catalogue(client: AppClient) -> None:
    body = await (await client.get("/api/v1/services")).json()
    codes = [s["code"] for s in body["services"]]
    assert len(codes) == 17 and codes[0] == "policy_info"
    assert {
        "code": "ebike_charging",
        "name": "电动车充换电",
        "name_en": "E-bike charging",
        "basic": False,
    } in body["services"]


async def test_healthz_and_metrics(client: AppClient) -> None:
    health = await client.get("/healthz")
    assert health.status == 200
    assert (await health.json())["database"] is True
    await client.get("/api/v1/services")
    metrics = await (await client.get("/metrics")).text()
    assert 'yizhan_http_requests_total{route="/api/v1/services",status="200"}' in metrics


async def test_station_reported_closed_ranks_after_open_ones(client: AppClient) -> None:
    """Two different workers report NEAR closed within two hours during its opening hours:
    the nearby list puts it after the open alternatives and says so."""
    from datetime import timedelta

    from referrals import NewCase

    await _setup(client)
    ctx = client.app[SERVICES_KEY]
    near = next(s for s in ctx.finder.index.stations if s.code == "NEAR")
    for worker in ("w1", "w2"):
        await ctx.referrals.submit(
            NewCase(
                kind="feedback",
                category="closed",
                channel="wechat",
                worker_ref=worker,
                station_id=near.id,
            )
        )
        ctx.clock.advance(timedelta(minutes=30))  # type: ignore[attr-defined]
    params: dict[str, QueryValue] = {"lat": LAT, "lng": LNG, "coord": "wgs84"}
    body = await (await client.get("/api/v1/stations/nearby", params=params)).json()
    codes = [s["code"] for s in body["stations"]]
    assert codes == ["MID", "FAR", "NEAR"]
    assert body["stations"][-1]["reported_closed"] is True
    assert not any(s["reported_closed"] for s in body["stations"][:-1])
