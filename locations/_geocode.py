"""Finding a position for an import row that has an address but no coordinates.

The asking is done by the geocoder clients of `integrations` over httpx, so a long list of
addresses never blocks the event loop; this module decides what their answers mean. Which
geocoder is used is a setting (`GEOCODER`: none | baidu | nominatim, `GEOCODER_KEY`,
`GEOCODER_API_BASE` to point at another host, e.g. a local fake in tests).

- Baidu (geocoding v3) answers in BD-09 (its default `bd09ll`); we convert to WGS-84.
- Nominatim answers in WGS-84.

A position that is only as good as a town, district or city centre is refused: placing a station
there would send a worker kilometres the wrong way. Such rows, and rows the geocoder cannot find,
are reported to the person importing, never guessed. Each distinct address is asked once per run.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from tqdm import tqdm

from core.settings import Settings
from integrations import (
    BAIDU_API_BASE,
    NOMINATIM_API_BASE,
    BaiduGeocoder,
    GeocodeHit,
    GeocoderFailed,
    GeocoderKeyRejected,
    GeocoderQuotaExceeded,
    GeocoderTimedOut,
    GeocoderUnavailable,
    NominatimGeocoder,
)

from ._coords import CoordSystem, Point, out_of_china, to_wgs84

# Baidu's levels (地址类型) that only say which area an address is in, not where it is.
_BAIDU_COARSE = frozenset({"国家", "省", "城市", "区县", "乡镇", "商圈", "UNKNOWN", "NoClass"})
# Nominatim place_rank below this is a town or larger (19-20 is a village or suburb).
_NOMINATIM_MIN_RANK = 19
# The public Nominatim allows one request per second (its usage policy); own servers are not
# throttled.
_PUBLIC_NOMINATIM = urlsplit(NOMINATIM_API_BASE).netloc
# Waits before asking again after a quota answer (Baidu's concurrency limit is one).
_QUOTA_RETRY_DELAYS_S = (1.0, 3.0)
# Network failures in a row after which the service is taken for down and not asked again.
_MAX_NETWORK_FAILURES = 3


@dataclass(frozen=True, slots=True)
class Located:
    """The WGS-84 position found for an address, or why there is none (Chinese)."""

    point: Point | None
    reason: str = ""


class AddressGeocoder:
    """The configured geocoder for one import run, over the caller's httpx client."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.kind = settings.geocoder.strip().lower()
        key = settings.geocoder_key.get_secret_value() if settings.geocoder_key else ""
        base = (settings.geocoder_api_base or "").rstrip("/")
        self._has_key = bool(key)
        self._baidu = BaiduGeocoder(http, key, base_url=base or BAIDU_API_BASE)
        self._nominatim = NominatimGeocoder(http, base_url=base or NOMINATIM_API_BASE)
        # Only the public Nominatim is throttled; Baidu and own servers take a few at a time.
        host = urlsplit(base).netloc + urlsplit(base).path if base else _PUBLIC_NOMINATIM
        self.sequential = self.kind == "nominatim" and host == _PUBLIC_NOMINATIM
        self._interval = 1.0 if self.sequential else 0.0
        self._last = 0.0
        self._gate = asyncio.Lock()
        self._network_failures = 0
        self.stopped: str | None = None  # why the service is no longer asked, if it is not

    def unusable_reason(self) -> str | None:
        """Why this configuration cannot geocode at all (Chinese), or None."""
        if self.kind in ("", "none"):
            return (
                "没有经纬度，系统也没有配置地址定位服务（GEOCODER），无法按地址定位；请补上经纬度"
            )
        if self.kind not in ("baidu", "nominatim"):
            return (
                f"地址定位服务“{self.kind}”不认识（GEOCODER 可选 baidu 或 nominatim），请补上经纬度"
            )
        if self.kind == "baidu" and not self._has_key:
            return "用百度地图按地址定位需要密钥（GEOCODER_KEY），目前没有配置；请补上经纬度"
        return None

    async def locate(self, query: str) -> Located:
        for delay in (*_QUOTA_RETRY_DELAYS_S, None):
            if self.stopped:
                return Located(None, self.stopped)
            try:
                await self._pace()
                located = await self._ask(query)
            except GeocoderKeyRejected:
                self._stop("地址定位服务不接受这个密钥，请检查 GEOCODER_KEY；本行未能定位")
                continue
            except GeocoderQuotaExceeded:
                # Baidu answers "too many at once" and "daily quota used up" alike: wait and
                # retry a few times, then give up for this run.
                if delay is None:
                    self._stop("地址定位服务的调用额度已用完，请明天再试或补上经纬度；本行未能定位")
                else:
                    await asyncio.sleep(delay)
                continue
            except GeocoderUnavailable as exc:
                self._network_failures += 1
                how = "超时" if isinstance(exc, GeocoderTimedOut) else "连接失败"
                reason = f"地址定位服务连不上（{how}），请稍后重试或补上经纬度"
                if self._network_failures >= _MAX_NETWORK_FAILURES:
                    self._stop(reason)
                return Located(None, reason)
            except GeocoderFailed:
                return Located(None, "地址定位服务出错，请稍后重试或补上经纬度")
            self._network_failures = 0
            if located is None:
                return Located(None, f"按地址“{query}”找不到位置，请写详细地址或补上经纬度")
            return located
        return Located(None, self.stopped or "")

    def _stop(self, reason: str) -> None:
        if self.stopped is None:
            self.stopped = reason

    async def _pace(self) -> None:
        if not self._interval:
            return
        async with self._gate:
            wait = self._last + self._interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last = time.monotonic()

    async def _ask(self, query: str) -> Located | None:
        found: GeocodeHit | None
        if self.kind == "baidu":
            found = await self._baidu.geocode(query)
            if found is None:
                return None
            level = found.level or "UNKNOWN"
            if level in _BAIDU_COARSE:
                return Located(
                    None, f"地址“{query}”只能定位到{level}一级，太粗，请写详细地址或补上经纬度"
                )
            point = to_wgs84(found.lat, found.lng, CoordSystem.BD09)
        else:
            found = await self._nominatim.geocode(query, country_codes="cn")
            if found is None:
                return None
            if (found.place_rank or 0) < _NOMINATIM_MIN_RANK:
                return Located(
                    None, f"地址“{query}”只能定位到城镇一级，太粗，请写详细地址或补上经纬度"
                )
            point = Point(found.lat, found.lng)
        if out_of_china(point.lat, point.lng):
            return Located(None, f"地址“{query}”被定位到了中国境外，请核对地址或补上经纬度")
        return Located(point)


async def geocode_addresses(
    queries: Iterable[str],
    *,
    settings: Settings,
    progress: bool = False,
    concurrency: int = 3,
    http: httpx.AsyncClient | None = None,
) -> dict[str, Located]:
    """Each distinct address once, a few at a time; every address gets a `Located` answer.
    `http` is the process's shared client; without one, a client lives for this run only."""
    unique = list(dict.fromkeys(q for q in queries if q))
    if not unique:
        return {}
    if http is None:
        async with httpx.AsyncClient() as own:
            return await geocode_addresses(
                unique, settings=settings, progress=progress, concurrency=concurrency, http=own
            )
    geocoder = AddressGeocoder(settings, http)
    unusable = geocoder.unusable_reason()
    if unusable:
        return {q: Located(None, unusable) for q in unique}
    results: dict[str, Located] = {}
    if geocoder.sequential:
        concurrency = 1
    bar = tqdm(
        total=len(unique), desc="按地址定位", unit="处", file=sys.stderr, disable=not progress
    )
    queue: asyncio.Queue[str] = asyncio.Queue()
    for query in unique:
        queue.put_nowait(query)

    async def worker() -> None:
        while not queue.empty():
            query = queue.get_nowait()
            results[query] = await geocoder.locate(query)
            bar.update(1)

    try:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(unique)))))
    finally:
        bar.close()
    return results
