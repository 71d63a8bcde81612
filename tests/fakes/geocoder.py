"""A fake geocoder speaking Baidu's geocoding v3 (`GET /geocoding/v3/`) and Nominatim's
`GET /search`, as `integrations.geocoding` calls them.

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


class FakeGeocoder:
    def __init__(self, *, key: str = "test-ak") -> None:
        self.key = key
        self.baidu: dict[str, Place] = {}  # address -> BD-09 position
        self.nominatim: dict[str, Place] = {}  # query -> WGS-84 position
        self.quota_exhausted = False
        self.busy_next = 0
        self.requests: list[dict[str, str]] = []
        app = web.Application()
        app.router.add_get("/geocoding/v3/", self._baidu)
        app.router.add_get("/search", self._nominatim)
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


def _json(body: Any) -> web.Response:
    return web.json_response(body, dumps=partial(json.dumps, ensure_ascii=False))
