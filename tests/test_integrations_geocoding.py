"""`integrations.BaiduGeocoder` / `NominatimGeocoder` over `httpx.MockTransport`: what they ask,
what a hit looks like, "no such place", retryable and permanent failures, and the map key never
in an error's text."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from integrations import (
    BaiduGeocoder,
    GeocodeHit,
    GeocoderFailed,
    GeocoderKeyRejected,
    GeocoderQuotaExceeded,
    GeocoderTimedOut,
    GeocoderUnavailable,
    NominatimGeocoder,
)

KEY = "baidu-ak-secret-0123"


def transport(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def baidu(handler: Callable[[httpx.Request], httpx.Response]) -> BaiduGeocoder:
    return BaiduGeocoder(transport(handler), KEY, base_url="https://baidu.test/")


async def test_baidu_hit_in_its_own_coordinates() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        result = {"location": {"lng": 111.7, "lat": 40.8}, "level": "门址", "precise": 1}
        return httpx.Response(200, json={"status": 0, "result": result})

    hit = await baidu(handler).geocode("呼和浩特市新城区新华大街1号")
    assert hit == GeocodeHit(40.8, 111.7, level="门址")
    [request] = seen
    assert request.url.path == "/geocoding/v3/"
    assert dict(request.url.params) == {
        "ak": KEY,
        "output": "json",
        "address": "呼和浩特市新城区新华大街1号",
    }


async def test_baidu_no_result_is_none() -> None:
    body = {"status": 1, "msg": "Internal Service Error:无相关结果", "results": []}
    assert await baidu(lambda _: httpx.Response(200, json=body)).geocode("无此地") is None


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(200, json={"status": 401, "message": "并发超限"}), GeocoderQuotaExceeded),
        (httpx.Response(200, json={"status": 302, "message": "天配额超限"}), GeocoderQuotaExceeded),
        (httpx.Response(200, json={"status": 200, "message": "AK有误"}), GeocoderKeyRejected),
        (httpx.Response(503, text="busy"), GeocoderTimedOut),
        (httpx.Response(500, text="oops"), GeocoderFailed),
        (httpx.Response(200, text="<html>"), GeocoderUnavailable),
    ],
)
async def test_baidu_failures(answer: httpx.Response, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        await baidu(lambda _: answer).geocode("某地")
    assert KEY not in str(caught.value)


async def test_network_errors_keep_the_key_out() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout(f"timed out for {request.url}", request=request)

    with pytest.raises(GeocoderUnavailable) as down:
        await baidu(refused).geocode("某地")
    with pytest.raises(GeocoderTimedOut) as late:
        await baidu(slow).geocode("某地")
    for caught in (down, late):
        assert KEY not in str(caught.value) and caught.value.__cause__ is None


async def test_nominatim_asks_within_the_country_and_reads_strings() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        place = {"lat": "40.8580000", "lon": "111.6650000", "place_rank": 30}
        return httpx.Response(200, json=[place])

    geocoder = NominatimGeocoder(transport(handler), base_url="https://osm.test")
    hit = await geocoder.geocode("新华大街1号", country_codes="cn")
    assert hit == GeocodeHit(40.858, 111.665, place_rank=30)
    [request] = seen
    assert request.url.path == "/search"
    assert dict(request.url.params) == {
        "q": "新华大街1号",
        "format": "json",
        "limit": "1",
        "countrycodes": "cn",
    }
    assert request.headers["user-agent"].startswith("yizhan")


async def test_nominatim_nothing_found_and_throttled() -> None:
    empty = NominatimGeocoder(transport(lambda _: httpx.Response(200, json=[])))
    assert await empty.geocode("无此地") is None
    throttled = NominatimGeocoder(transport(lambda _: httpx.Response(429, text="slow down")))
    with pytest.raises(GeocoderQuotaExceeded):
        await throttled.geocode("某地")
    refused = NominatimGeocoder(transport(lambda _: httpx.Response(403, text="blocked")))
    with pytest.raises(GeocoderKeyRejected):
        await refused.geocode("某地")
