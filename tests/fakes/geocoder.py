"""A fake geocoder speaking Amap's Web service geocoding (`GET /v3/geocode/geo`), Tencent's
WebService geocoder (`GET /ws/geocoder/v1/`), Baidu's geocoding v3 (`GET /geocoding/v3/`) and
Nominatim's `GET /search`, as `integrations.geocoding` calls them.

- Amap: answers GCJ-02 as "lng,lat" strings with its 匹配级别 words; status "1"/"0" strings and
  an `infocode`; a wrong key gets INVALID_USER_KEY (10001); an unknown address gets count "0"
  and an empty `geocodes`; more than `qps` requests within a second get
  CUQPS_HAS_EXCEEDED_THE_LIMIT (10021), as a key over its quota does. A place registered with a
  city is only found when the request's `city=` names it.
- Tencent: numeric status; 0 with `result` (GCJ-02 `location`, `level` 1–11, `reliability`);
  347 查询无结果; 311 key格式错误; more than `qps` within a second get 120
  此key每秒请求量已达到上限.

Baidu answers in BD-09 (`bd09ll`, its default), so tests put BD-09 positions into `baidu`.
Behaviour follows the real services:
- Baidu: a wrong `ak` gets status 200 ("APP不存在，AK有误请检查再重试"); an unknown address gets
  status 1 with "Internal Service Error:无相关结果"; `quota_exhausted` gives status 302
  ("天配额超限，限制访问") to every call; `busy_next` gives the next N calls status 401 (too
  many at once, "当前并发量已经超过约定并发配额，限制访问").
- Nominatim: a JSON list, empty when nothing is found; `lat`/`lon` are strings.
Every request's query parameters are recorded in `requests` (with the path).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Place:
    lat: float
    lng: float
    level: str = "门址"  # Baidu's 地址类型; Nominatim gets `place_rank` instead
    place_rank: int = 30


@dataclass
class MapPlace:
    """An Amap or Tencent place: GCJ-02, the provider's level (Amap word, Tencent number)."""

    lat: float
    lng: float
    level: str | int = "门牌号"
    city: str = ""  # Amap: found only when the request's city= is this (when set)
    reliability: int = 7  # Tencent


class FakeGeocoder:
    def __init__(self, *, key: str = "test-ak", qps: float | None = None) -> None:
        self.key = key
        self.qps = qps  # Amap and Tencent: requests a second before the quota answer
        self.baidu: dict[str, Place] = {}  # address -> BD-09 position
        self.nominatim: dict[str, Place] = {}  # query -> WGS-84 position
        self.amap: dict[str, list[MapPlace]] = {}  # address -> GCJ-02 places (by city)
        self.tencent: dict[str, MapPlace] = {}  # address -> GCJ-02 position
        self.quota_exhausted = False
        self.busy_next = 0
        self.requests: list[dict[str, str]] = []
        self.over_quota = 0  # requests answered with the per-second quota error
        self._recent: list[float] = []
        app = web.Application()
        app.router.add_get("/geocoding/v3/", self._baidu)
        app.router.add_get("/search", self._nominatim)
        app.router.add_get("/v3/geocode/geo", self._amap)
        app.router.add_get("/ws/geocoder/v1/", self._tencent)
        self._server = TestServer(app, host="127.0.0.1")

    @property
    def base_url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> FakeGeocoder:
        await self._server.start_server(shutdown_timeout=1)  # never hold a teardown
        return self

    async def close(self) -> None:
        await self._server.close()

    def asked(self, path: str) -> list[dict[str, str]]:
        return [r for r in self.requests if r["path"] == path]

    async def _baidu(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.requests.append({"path": request.path, **query})
        if query.get("ak") != self.key:
            return _json({"status": 200, "message": "APP不存在，AK有误请检查再重试"})
        if self.quota_exhausted:
            return _json({"status": 302, "message": "天配额超限，限制访问"})
        if self.busy_next > 0:
            self.busy_next -= 1
            return _json({"status": 401, "message": "当前并发量已经超过约定并发配额，限制访问"})
        place = self.baidu.get(query.get("address", ""))
        if place is None:
            return _json({"status": 1, "msg": "Internal Service Error:无相关结果", "results": []})
        return _json(
            {
                "status": 0,
                "result": {
                    "location": {"lng": place.lng, "lat": place.lat},
                    "precise": 1,
                    "confidence": 80,
                    "comprehension": 100,
                    "level": place.level,
                },
            }
        )

    async def _nominatim(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.requests.append({"path": request.path, **query})
        place = self.nominatim.get(query.get("q", ""))
        if place is None:
            return _json([])
        return _json(
            [
                {
                    "place_id": 1,
                    "lat": f"{place.lat:.7f}",
                    "lon": f"{place.lng:.7f}",
                    "display_name": query["q"],
                    "place_rank": place.place_rank,
                    "importance": 0.5,
                }
            ]
        )

    def _too_fast(self) -> bool:
        if self.qps is None:
            return False
        now = time.monotonic()
        self._recent = [t for t in self._recent if now - t < 1.0]
        self._recent.append(now)
        if len(self._recent) > self.qps:
            self.over_quota += 1
            return True
        return False

    async def _amap(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.requests.append({"path": request.path, **query})
        if query.get("key") != self.key:
            return _json({"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"})
        if self.quota_exhausted:
            return _json({"status": "0", "info": "DAILY_QUERY_OVER_LIMIT", "infocode": "10003"})
        if self._too_fast():
            return _json(
                {"status": "0", "info": "CUQPS_HAS_EXCEEDED_THE_LIMIT", "infocode": "10021"}
            )
        city = query.get("city", "")
        places = [
            p for p in self.amap.get(query.get("address", ""), []) if not p.city or p.city == city
        ]
        if not places:
            return _json(
                {"status": "1", "info": "OK", "infocode": "10000", "count": "0", "geocodes": []}
            )
        place = places[0]
        return _json(
            {
                "status": "1",
                "info": "OK",
                "infocode": "10000",
                "count": "1",
                "geocodes": [
                    {
                        "formatted_address": query["address"],
                        "country": "中国",
                        "province": "",
                        "citycode": "",
                        "city": place.city or city,
                        "district": [],
                        "township": [],
                        "neighborhood": {"name": [], "type": []},
                        "building": {"name": [], "type": []},
                        "adcode": "",
                        "street": [],
                        "number": [],
                        "location": f"{place.lng:.6f},{place.lat:.6f}",
                        "level": place.level,
                    }
                ],
            }
        )

    async def _tencent(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.requests.append({"path": request.path, **query})
        if query.get("key") != self.key:
            return _json({"status": 311, "message": "key格式错误"})
        if self.quota_exhausted:
            return _json({"status": 121, "message": "此key每日调用量已达到上限"})
        if self._too_fast():
            return _json({"status": 120, "message": "此key每秒请求量已达到上限"})
        place = self.tencent.get(query.get("address", ""))
        if place is None:
            return _json({"status": 347, "message": "查询无结果"})
        return _json(
            {
                "status": 0,
                "message": "query ok",
                "result": {
                    "title": query["address"],
                    "location": {"lng": place.lng, "lat": place.lat},
                    "ad_info": {"adcode": ""},
                    "address_components": {
                        "province": "",
                        "city": "",
                        "district": "",
                        "street": "",
                        "street_number": "",
                    },
                    "similarity": 0.8,
                    "deviation": 1000,
                    "reliability": place.reliability,
                    "level": place.level,
                },
            }
        )


def _json(body: Any) -> web.Response:
    return web.json_response(body, dumps=partial(json.dumps, ensure_ascii=False))
