"""Finding a position for an import row that has an address but no coordinates.

The asking is done by the geocoder clients of `integrations` over httpx, so a long list of
addresses never blocks the event loop; this module decides what their answers mean. Which
geocoder is used is a setting: `GEOCODER` = amap | tencent | baidu | nominatim | none, keys
`AMAP_KEY`, `TENCENT_MAP_KEY`, `GEOCODER_KEY` (Baidu, or any of them), base URLs
`AMAP_API_BASE`, `TENCENT_MAP_API_BASE`, `GEOCODER_API_BASE` (a local fake in tests).

- Amap and Tencent answer in GCJ-02, Baidu in BD-09 (`bd09ll`), Nominatim in WGS-84; every
  position is converted to WGS-84 here.
- The row's own league/city and county go with the address, so "新华大街1号" is looked for in
  the row's city, not in whichever city has the best-known street of that name: Amap takes the
  city as `city=` and the county in the address, Tencent (whose address must name its city) and
  the others take both in the address.
- Each answer keeps the provider's own precision word (`Located.level`), stored with the station.
  A position that is only as good as a town, district or city centre is refused: placing a
  station there would send a worker kilometres the wrong way. Such rows, and rows the geocoder
  cannot find, are reported to the person importing, never guessed.
- Requests are paced at the provider's quota (`GEOCODER_QPS` overrides), each distinct lookup is
  asked once per run, and answers are kept in the shared store for 30 days (`cache`), so fixing
  three rows of a list and importing it again does not spend the day's quota a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from tqdm import tqdm

from core.settings import Settings
from core.store import Store, StoreError
from integrations import (
    AMAP_API_BASE,
    BAIDU_API_BASE,
    NOMINATIM_API_BASE,
    TENCENT_MAP_API_BASE,
    AmapGeocoder,
    BaiduGeocoder,
    GeocodeHit,
    GeocoderFailed,
    GeocoderKeyRejected,
    GeocoderQuotaExceeded,
    GeocoderTimedOut,
    GeocoderUnavailable,
    NominatimGeocoder,
    TencentGeocoder,
)

from ._coords import CoordSystem, Point, out_of_china, to_wgs84
from ._geocode_lookup import Lookup

PROVIDERS = ("amap", "tencent", "baidu", "nominatim")
# Requests per second each provider allows a key by default (Amap and Baidu: 3 for an
# individual developer's key; Tencent: 5 per key; the public Nominatim: 1, its usage policy).
DEFAULT_QPS = {"amap": 3.0, "tencent": 5.0, "baidu": 3.0, "nominatim": 1.0}
# Levels that only say which area an address is in, not where it is.
_COARSE = {
    "amap": frozenset({"国家", "省", "市", "区县", "开发区", "乡镇", "热点商圈", "未知", ""}),
    "baidu": frozenset({"国家", "省", "城市", "区县", "乡镇", "商圈", "UNKNOWN", "NoClass", ""}),
}
# Tencent's level numbers, in words (1 city … 11 a point of interest); 1-3, 5 and 6 are areas.
_TENCENT_LEVELS = {
    1: "城市",
    2: "区县",
    3: "乡镇",
    4: "村庄",
    5: "开发区",
    6: "热点区域",
    7: "道路",
    8: "道路附属点",
    9: "门址",
    10: "小区大厦",
    11: "兴趣点",
}
_TENCENT_COARSE = frozenset({1, 2, 3, 5, 6})
_TENCENT_MIN_RELIABILITY = 7  # Tencent: below 7 the answer "has unreliable factors"
# Nominatim place_rank below this is a town or larger (19-20 is a village or suburb).
_NOMINATIM_MIN_RANK = 19
_PUBLIC_NOMINATIM = urlsplit(NOMINATIM_API_BASE).netloc
# Waits before asking again after a quota answer.
_QUOTA_RETRY_DELAYS_S = (1.0, 3.0)
# Network failures in a row after which the service is taken for down and not asked again.
_MAX_NETWORK_FAILURES = 3
CACHE_TTL_S = 30 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Located:
    """The WGS-84 position found for an address and the provider's precision word, or why
    there is none (Chinese)."""

    point: Point | None
    reason: str = ""
    provider: str = ""
    level: str = ""


class AddressGeocoder:
    """The configured geocoder for one import run, over the caller's httpx client."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.kind = settings.geocoder.strip().lower()
        shared = settings.geocoder_key.get_secret_value() if settings.geocoder_key else ""
        amap = settings.amap_key.get_secret_value() if settings.amap_key else shared
        tencent = settings.tencent_map_key.get_secret_value() if settings.tencent_map_key else ""
        base = (settings.geocoder_api_base or "").rstrip("/")
        self._key = {"amap": amap, "tencent": tencent or shared, "baidu": shared}
        self._amap = AmapGeocoder(http, amap, base_url=settings.amap_api_base or AMAP_API_BASE)
        self._tencent = TencentGeocoder(
            http, tencent or shared, base_url=settings.tencent_map_api_base or TENCENT_MAP_API_BASE
        )
        self._baidu = BaiduGeocoder(http, shared, base_url=base or BAIDU_API_BASE)
        self._nominatim = NominatimGeocoder(http, base_url=base or NOMINATIM_API_BASE)
        qps = settings.geocoder_qps or DEFAULT_QPS.get(self.kind)
        if self.kind == "nominatim" and settings.geocoder_qps is None:
            # Only the public Nominatim is throttled by default; own servers are not.
            host = urlsplit(base).netloc if base else _PUBLIC_NOMINATIM
            qps = 1.0 if host == _PUBLIC_NOMINATIM else None
        self.qps = qps
        # A fifth under the quota: requests leave evenly spaced but arrive with jitter (a busy
        # event loop), and the provider counts arrivals in any one second.
        self._interval = 1.2 / qps if qps else 0.0
        self._next = 0.0
        self._gate = asyncio.Lock()
        self._network_failures = 0
        self.stopped: str | None = None  # why the service is no longer asked, if it is not

    def unusable_reason(self) -> str | None:
        """Why this configuration cannot geocode at all (Chinese), or None."""
        if self.kind in ("", "none"):
            return (
                "没有经纬度，系统也没有配置地址定位服务（GEOCODER），无法按地址定位；请补上经纬度"
            )
        if self.kind not in PROVIDERS:
            return (
                f"地址定位服务“{self.kind}”不认识（GEOCODER 可选 amap、tencent、baidu 或 "
                "nominatim），请补上经纬度"
            )
        setting = {"amap": "AMAP_KEY", "tencent": "TENCENT_MAP_KEY", "baidu": "GEOCODER_KEY"}
        if self.kind in setting and not self._key[self.kind]:
            return f"按地址定位需要密钥（{setting[self.kind]}），目前没有配置；请补上经纬度"
        return None

    async def locate(self, lookup: Lookup) -> Located:
        for delay in (*_QUOTA_RETRY_DELAYS_S, None):
            if self.stopped:
                return Located(None, self.stopped)
            try:
                await self._pace()
                located = await self._ask(lookup)
            except GeocoderKeyRejected:
                self._stop("地址定位服务不接受这个密钥，请检查密钥设置；本行未能定位")
                continue
            except GeocoderQuotaExceeded:
                # "Too many at once" and "the day's quota is used up" often look alike: wait and
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
                return Located(None, f"按地址“{lookup.full()}”找不到位置，请写详细地址或补上经纬度")
            return located
        return Located(None, self.stopped or "")

    def _stop(self, reason: str) -> None:
        if self.stopped is None:
            self.stopped = reason

    async def _pace(self) -> None:
        """Start requests at most `qps` a second, however many workers ask."""
        if not self._interval:
            return
        async with self._gate:  # held while waiting: spacing is between real sends
            wait = self._next - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next = time.monotonic() + self._interval

    async def _ask(self, lookup: Lookup) -> Located | None:
        found: GeocodeHit | None
        query = lookup.full()
        if self.kind == "amap":
            found = await self._amap.geocode(lookup.in_county(), city=lookup.league)
            system, level = CoordSystem.GCJ02, found.level if found else ""
            coarse = level in _COARSE["amap"]
        elif self.kind == "tencent":
            found = await self._tencent.geocode(query)
            number = int(found.level) if found and found.level.isdigit() else 0
            level = f"{number} {_TENCENT_LEVELS.get(number, '')}".strip() if found else ""
            system, coarse = CoordSystem.GCJ02, number in _TENCENT_COARSE or not number
            reliability = found.raw.get("reliability") if found else None
            if isinstance(reliability, int) and reliability < _TENCENT_MIN_RELIABILITY:
                coarse = True
        elif self.kind == "baidu":
            found = await self._baidu.geocode(query)
            level = (found.level or "UNKNOWN") if found else ""
            system, coarse = CoordSystem.BD09, level in _COARSE["baidu"]
        else:
            found = await self._nominatim.geocode(query, country_codes="cn")
            rank = (found.place_rank or 0) if found else 0
            level, system = f"place_rank {rank}" if found else "", CoordSystem.WGS84
            coarse = rank < _NOMINATIM_MIN_RANK
        if found is None:
            return None
        if coarse:
            shown = "城镇" if self.kind == "nominatim" else level.split(" ")[-1] or "区域"
            return Located(
                None, f"地址“{query}”只能定位到{shown}一级，太粗，请写详细地址或补上经纬度"
            )
        point = to_wgs84(found.lat, found.lng, system)
        if out_of_china(point.lat, point.lng):
            return Located(None, f"地址“{query}”被定位到了中国境外，请核对地址或补上经纬度")
        return Located(point, provider=self.kind, level=level)


def _cache_key(kind: str, lookup: Lookup) -> str:
    digest = hashlib.sha1(f"{lookup.league}|{lookup.county}|{lookup.address}".encode()).hexdigest()
    return f"geocode:{kind}:{digest}"


async def _cached(cache: Store | None, key: str) -> Located | None:
    if cache is None:
        return None
    try:
        raw = await cache.get(key)
    except StoreError:
        return None
    if not raw:
        return None
    data = json.loads(raw)
    return Located(Point(data["lat"], data["lng"]), provider=data["by"], level=data["level"])


async def _remember(cache: Store | None, key: str, found: Located) -> None:
    if cache is None or found.point is None:
        return  # failures are not kept: the next run may do better
    value = {"lat": found.point.lat, "lng": found.point.lng, "by": found.provider}
    with contextlib.suppress(StoreError):  # a cache that is down only costs quota
        await cache.set(key, json.dumps({**value, "level": found.level}), ttl=CACHE_TTL_S)


async def geocode_addresses(
    lookups: Iterable[Lookup],
    *,
    settings: Settings,
    progress: bool = False,
    concurrency: int = 3,
    http: httpx.AsyncClient | None = None,
    cache: Store | None = None,
) -> dict[Lookup, Located]:
    """Each distinct lookup once, paced at the provider's quota; every lookup gets a `Located`
    answer. `http` is the process's shared client; without one, a client lives for this run."""
    unique = list(dict.fromkeys(q for q in lookups if q.address))
    if not unique:
        return {}
    if http is None:
        async with httpx.AsyncClient() as own:
            return await geocode_addresses(
                unique,
                settings=settings,
                progress=progress,
                concurrency=concurrency,
                http=own,
                cache=cache,
            )
    geocoder = AddressGeocoder(settings, http)
    unusable = geocoder.unusable_reason()
    if unusable:
        return {q: Located(None, unusable) for q in unique}
    results: dict[Lookup, Located] = {}
    bar = tqdm(
        total=len(unique), desc="按地址定位", unit="处", file=sys.stderr, disable=not progress
    )
    queue: asyncio.Queue[Lookup] = asyncio.Queue()
    for lookup in unique:
        queue.put_nowait(lookup)

    async def worker(once: bool = False) -> None:
        while not queue.empty():
            lookup = queue.get_nowait()
            key = _cache_key(geocoder.kind, lookup)
            found = await _cached(cache, key)
            if found is None:
                found = await geocoder.locate(lookup)
                await _remember(cache, key, found)
            results[lookup] = found
            bar.update(1)
            if once:
                return

    try:
        # The first answer alone: while the connection is being set up, a second request would
        # arrive on its heels and count against the same second of quota.
        await worker(once=True)
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(unique)))))
    finally:
        bar.close()
    return results
