"""A fake WeCom (企业微信) group robot: `POST /cgi-bin/webhook/send?key=KEY`, as the real one.

It records every message it accepted (`received`, keyed by robot key) and can misbehave:
- `fail_rate`: that share of calls gets HTTP 502 or, one time in three, the real rate-limit
  answer `{"errcode": 45009, "errmsg": "api freq out of limit"}`; nothing is recorded.
- `hang_next`: the next N calls never get an answer (a stuck API); `hanging` is set when one
  arrives, so a test can kill the caller while its request is in flight. A hung call records
  nothing, as the real service accepts a message only when it answers errcode 0.
- unknown keys (when `keys` is given) get errcode 93000, "invalid webhook url".
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class FakeWeCom:
    def __init__(
        self, *, fail_rate: float = 0.0, seed: int = 7, keys: set[str] | None = None
    ) -> None:
        self.fail_rate = fail_rate
        self.keys = keys
        self.hang_next = 0
        self.hanging = asyncio.Event()
        self.calls = 0
        self.failures = 0
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._random = random.Random(seed)
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self._send)
        self._server = TestServer(app, host="127.0.0.1")

    @property
    def base_url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> FakeWeCom:
        await self._server.start_server(shutdown_timeout=1)  # never hold a teardown
        return self

    async def close(self) -> None:
        self._release.set()
        await self._server.close()

    def texts(self, key: str) -> list[str]:
        out = []
        for body in self.received[key]:
            kind = body.get("msgtype", "text")
            out.append(str(body.get(kind, {}).get("content", "")))
        return out

    async def _send(self, request: web.Request) -> web.Response:
        self.calls += 1
        key = request.query.get("key", "")
        body = await request.json()
        if self.hang_next > 0:
            self.hang_next -= 1
            self.hanging.set()
            await self._release.wait()  # until the fake is closed: the caller gets no answer
            return web.json_response({"errcode": -1, "errmsg": "system busy"})
        if self.keys is not None and key not in self.keys:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        if self.fail_rate and self._random.random() < self.fail_rate:
            self.failures += 1
            if self._random.random() < 1 / 3:
                return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})
            return web.Response(status=502, text="bad gateway")
        msgtype = body.get("msgtype")
        if msgtype not in ("text", "markdown") or not body.get(msgtype, {}).get("content"):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        self.received[key].append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})
