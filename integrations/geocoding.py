"""Geocoder clients: an address in, the service's best position out — Amap (高德 Web服务
`/v3/geocode/geo`), Tencent (腾讯位置服务 WebService `/ws/geocoder/v1/`), Baidu (geocoding v3)
and Nominatim (OpenStreetMap's `/search`).

Each takes the caller's `httpx.AsyncClient` (a test passes one over `httpx.MockTransport`) and a
`base_url` (a local fake in tests); neither builds or closes one itself. They only ask and
translate the answer: which positions are precise enough, coordinate systems (Amap and Tencent
answer in GCJ-02, Baidu in BD-09, Nominatim in WGS-84), pacing and what to tell a person are the caller's business
(`locations`). `geocode(query)` returns a `GeocodeHit` or None when the service knows no such
place.

Exceptions (httpx errors are translated here and never leave this module; Baidu's key is in the
query string, so no message carries a URL or an httpx error's text):

    GeocodingError
    ├── GeocoderUnavailable      network error, or an answer that is not the service's JSON
    │   └── GeocoderTimedOut     no answer in time (also HTTP 408, 503, 504)
    ├── GeocoderKeyRejected      the key is wrong or may not use the service (Baidu 3, 101, 102,
    │                            2xx; Amap 10001, 10005-10009, 10012, 10013, 10041; Tencent
    │                            110, 111, 112, 113, 190, 199, 311; HTTP 401, 403, 407)
    ├── GeocoderQuotaExceeded    too many requests at once or the daily quota is used up (Baidu
    │                            4, 3xx-4xx; Amap 10003, 10004, 10010, 10014, 10019-10021,
    │                            10044; Tencent 120, 121; HTTP 402, 429)
    └── GeocoderFailed           any other error answer (Baidu 2, 5, …; HTTP 400, 500, 502, …)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

AMAP_API_BASE = "https://restapi.amap.com"
TENCENT_MAP_API_BASE = "https://apis.map.qq.com"
BAIDU_API_BASE = "https://api.map.baidu.com"
NOMINATIM_API_BASE = "https://nominatim.openstreetmap.org"
USER_AGENT = "yizhan-station-import/0.1"
TIMEOUT_S = 10.0


class GeocodingError(Exception):
    """The geocoder did not give an answer."""


class GeocoderUnavailable(GeocodingError):
    """The service could not be reached, or answered with something that is not its API."""


class GeocoderTimedOut(GeocoderUnavailable):
    """The service did not answer in time."""


class GeocoderKeyRejected(GeocodingError):
    """The service refuses this key (wrong, not allowed for this API)."""


class GeocoderQuotaExceeded(GeocodingError):
    """Too many requests at once, or the day's quota is used up (the service does not say which)."""


class GeocoderFailed(GeocodingError):
    """The service answered with an error that is none of the above."""


@dataclass(frozen=True, slots=True)
class GeocodeHit:
    """The service's answer, in the service's own coordinate system.

    `level` is the service's own precision word: Amap's 匹配级别 (门牌号, 兴趣点, 道路, 区县, …),
    Tencent's `level` number as text ("9" 门址, "11" POI, …), Baidu's 地址类型 (门址, 道路,
    区县, …); `place_rank` is Nominatim's (30 a house, below 19 a town or larger). `raw` is the
    service's JSON object for this place."""

    lat: float
    lng: float
    level: str = ""
    place_rank: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


_HTTP_ERRORS: dict[int, type[GeocodingError]] = {
    401: GeocoderKeyRejected,
    402: GeocoderQuotaExceeded,
    403: GeocoderKeyRejected,
    407: GeocoderKeyRejected,
    408: GeocoderTimedOut,
    429: GeocoderQuotaExceeded,
    503: GeocoderTimedOut,
    504: GeocoderTimedOut,
}


async def _get_json(
    http: httpx.AsyncClient, url: str, params: dict[str, str], *, name: str, timeout: float
) -> Any:
    try:
        response = await http.get(
            url, params=params, headers={"User-Agent": USER_AGENT}, timeout=timeout
        )
    except httpx.TimeoutException:
        raise GeocoderTimedOut(f"{name}: no answer within {timeout:.0f} s") from None
    except httpx.HTTPError as exc:
        raise GeocoderUnavailable(f"{name}: {type(exc).__name__}") from None
    if response.status_code != 200:
        error = _HTTP_ERRORS.get(response.status_code, GeocoderFailed)
        raise error(f"{name}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise GeocoderUnavailable(f"{name}: answer is not JSON") from None


def _baidu_error(status: int) -> GeocodingError:
    message = f"baidu: status {status}"
    if status in (3, 101, 102) or 200 <= status < 300:
        return GeocoderKeyRejected(message)
    if status == 4 or 300 <= status < 500:
        return GeocoderQuotaExceeded(message)
    return GeocoderFailed(message)


class BaiduGeocoder:
    """Baidu Maps geocoding v3 (`GET {base_url}/geocoding/v3/?ak=…&output=json&address=…`).
    Positions are BD-09 (`bd09ll`, Baidu's default)."""

    NO_RESULT = 1  # Baidu's status for "无相关结果"

    def __init__(
        self,
        http: httpx.AsyncClient,
        key: str,
        *,
        base_url: str = BAIDU_API_BASE,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self._http, self._key = http, key
        self._url = base_url.rstrip("/") + "/geocoding/v3/"
        self._timeout = timeout

    async def geocode(self, query: str) -> GeocodeHit | None:
        page = await _get_json(
            self._http,
            self._url,
            {"ak": self._key, "output": "json", "address": query},
            name="baidu",
            timeout=self._timeout,
        )
        if not isinstance(page, dict):
            raise GeocoderUnavailable("baidu: answer is not a JSON object")
        place = page.get("result")
        if not place:
            try:
                status = int(page.get("status", 0))
            except (TypeError, ValueError):
                raise GeocoderUnavailable("baidu: status is not a number") from None
            if status in (0, self.NO_RESULT):
                return None
            raise _baidu_error(status)
        try:
            location = place["location"]
            return GeocodeHit(
                float(location["lat"]),
                float(location["lng"]),
                level=str(place.get("level") or ""),
                raw=place,
            )
        except (KeyError, TypeError, ValueError):
            raise GeocoderUnavailable("baidu: answer has no usable location") from None


_AMAP_KEY_ERRORS = frozenset(
    {"10001", "10005", "10006", "10007", "10008", "10009", "10012", "10013", "10041"}
)
_AMAP_QUOTA_ERRORS = frozenset(
    {"10003", "10004", "10010", "10014", "10019", "10020", "10021", "10044"}
)


class AmapGeocoder:
    """Amap Web service geocoding (`GET {base_url}/v3/geocode/geo?key=…&address=…&city=…`).
    `city` narrows the search to a city (name, citycode or adcode; Amap ignores county-level
    cities there, so the county goes into the address). Positions are GCJ-02, as "lng,lat"."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        key: str,
        *,
        base_url: str = AMAP_API_BASE,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self._http, self._key = http, key
        self._url = base_url.rstrip("/") + "/v3/geocode/geo"
        self._timeout = timeout

    async def geocode(self, query: str, *, city: str = "") -> GeocodeHit | None:
        params = {"key": self._key, "address": query, "output": "JSON"}
        if city:
            params["city"] = city
        page = await _get_json(self._http, self._url, params, name="amap", timeout=self._timeout)
        if not isinstance(page, dict):
            raise GeocoderUnavailable("amap: answer is not a JSON object")
        if str(page.get("status")) != "1":
            code = str(page.get("infocode", ""))
            message = f"amap: infocode {code} {page.get('info', '')}"
            if code in _AMAP_KEY_ERRORS:
                raise GeocoderKeyRejected(message)
            if code in _AMAP_QUOTA_ERRORS:
                raise GeocoderQuotaExceeded(message)
            if code in ("10015", "10016"):
                raise GeocoderTimedOut(message)
            raise GeocoderFailed(message)
        places = page.get("geocodes") or []
        if not isinstance(places, list) or not places:
            return None
        place = places[0]
        try:
            lng, lat = (float(v) for v in str(place["location"]).split(","))
            return GeocodeHit(lat, lng, level=str(place.get("level") or ""), raw=place)
        except (KeyError, TypeError, ValueError):
            raise GeocoderUnavailable("amap: answer has no usable location") from None


_TENCENT_KEY_ERRORS = frozenset({110, 111, 112, 113, 190, 199, 311})
_TENCENT_QUOTA_ERRORS = frozenset({120, 121})
_TENCENT_NO_RESULT = 347


class TencentGeocoder:
    """Tencent location service geocoder (`GET {base_url}/ws/geocoder/v1/?key=…&address=…`).
    The address must name its city (the caller prefixes it). Positions are GCJ-02. The hit's
    `level` is Tencent's precision number (1 city … 9 门址, 10 building, 11 POI) as text, and
    `raw["reliability"]` its 1–10 confidence."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        key: str,
        *,
        base_url: str = TENCENT_MAP_API_BASE,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self._http, self._key = http, key
        self._url = base_url.rstrip("/") + "/ws/geocoder/v1/"
        self._timeout = timeout

    async def geocode(self, query: str) -> GeocodeHit | None:
        params = {"key": self._key, "address": query, "output": "json"}
        page = await _get_json(self._http, self._url, params, name="tencent", timeout=self._timeout)
        if not isinstance(page, dict):
            raise GeocoderUnavailable("tencent: answer is not a JSON object")
        try:
            status = int(page.get("status", -1))
        except (TypeError, ValueError):
            raise GeocoderUnavailable("tencent: status is not a number") from None
        if status == _TENCENT_NO_RESULT:
            return None
        if status != 0:
            message = f"tencent: status {status}"
            if status in _TENCENT_KEY_ERRORS:
                raise GeocoderKeyRejected(message)
            if status in _TENCENT_QUOTA_ERRORS:
                raise GeocoderQuotaExceeded(message)
            raise GeocoderFailed(message)
        place = page.get("result")
        if not isinstance(place, dict):
            return None
        try:
            location = place["location"]
            level = place.get("level")
            return GeocodeHit(
                float(location["lat"]),
                float(location["lng"]),
                level="" if level is None else str(level),
                raw=place,
            )
        except (KeyError, TypeError, ValueError):
            raise GeocoderUnavailable("tencent: answer has no usable location") from None


class NominatimGeocoder:
    """Nominatim search (`GET {base_url}/search?q=…&format=json&limit=1`), optionally within
    `country_codes`. Positions are WGS-84. The public server allows one request a second: the
    caller paces."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str = NOMINATIM_API_BASE,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/search"
        self._timeout = timeout

    async def geocode(self, query: str, *, country_codes: str = "") -> GeocodeHit | None:
        params = {"q": query, "format": "json", "limit": "1"}
        if country_codes:
            params["countrycodes"] = country_codes
        places = await _get_json(
            self._http, self._url, params, name="nominatim", timeout=self._timeout
        )
        if not isinstance(places, list):
            raise GeocoderFailed("nominatim: answer is not a list of places")
        if not places:
            return None
        place = places[0]
        try:
            rank = place.get("place_rank")
            return GeocodeHit(
                float(place["lat"]),
                float(place["lon"]),
                place_rank=int(rank) if rank is not None else None,
                raw=place,
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise GeocoderUnavailable("nominatim: answer has no usable location") from None


__all__ = [
    "AMAP_API_BASE",
    "BAIDU_API_BASE",
    "NOMINATIM_API_BASE",
    "TENCENT_MAP_API_BASE",
    "AmapGeocoder",
    "BaiduGeocoder",
    "GeocodeHit",
    "GeocoderFailed",
    "GeocoderKeyRejected",
    "GeocoderQuotaExceeded",
    "GeocoderTimedOut",
    "GeocoderUnavailable",
    "GeocodingError",
    "NominatimGeocoder",
    "TencentGeocoder",
]
