"""A flaky pair of staff chats for kill tests: a WeCom group robot
(`POST /cgi-bin/webhook/send?key=KEY`) and a Telegram Bot API `sendMessage`
(`POST /bot<token>/sendMessage`), answering as the real services do, on one loopback server.

Unlike `tests.fakes.wecom` / `tests.fakes.telegram`, which record a message when it arrives,
this one records a message as accepted only once its success answer was written to a client
that is still connected. A caller killed while its request waits here never gets an answer, so
the message does not count as delivered, just as the caller cannot know it was.

Misbehaviour, decided per call by a seeded random:
- `fail_rate` of calls fail: one in three with the service's rate-limit answer (WeCom
  errcode 45009, Telegram HTTP 429 with `parameters.retry_after`), the rest with a 502 page;
- `slow_rate` of calls wait up to `slow_seconds` before answering (a kill can land mid-call);
- `hold()` keeps every answer back until `release()`; `held` lists the requests waiting.

What was accepted is in `accepted` as `Accepted(kind, chat, text)`; `unanswered` counts calls
whose caller was gone before the answer (aiohttp's test server cancels such a handler; an answer
that finds the connection closed counts too), `lost` the successes among them.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass(frozen=True)
class Accepted:
    kind: str  # the outbox kind that reaches this chat: "wecom" | "telegram"
    chat: str  # robot key or chat id
    text: str


class FlakyChats:
    def __init__(
        self,
        *,
        token: str = "123456:KILL-test",
        fail_rate: float = 0.5,
        slow_rate: float = 0.3,
        slow_seconds: float = 0.4,
        retry_after: int = 1,
        seed: int = 11,
    ) -> None:
        self.token = token
        self.fail_rate, self.slow_rate, self.slow_seconds = fail_rate, slow_rate, slow_seconds
        self.retry_after = retry_after
        self.accepted: list[Accepted] = []
        self.calls = self.server_errors = self.rate_limited = self.unanswered = self.lost = 0
        self._held: dict[int, web.Request] = {}  # requests are mappings: not hashable
        self._message_id = 1000
        self._random = random.Random(seed)
        self._open = asyncio.Event()
        self._open.set()
        self._arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self._wecom)
        app.router.add_post("/bot{token}/sendMessage", self._telegram)
        self._server = TestServer(app, host="127.0.0.1")

    @property
    def base_url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> FlakyChats:
        await self._server.start_server(shutdown_timeout=1)  # never hold a teardown
        return self

    async def close(self) -> None:
        self._open.set()
        await self._server.close()

    @property
    def held(self) -> list[web.Request]:
        return list(self._held.values())

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def wait_held(self, timeout: float) -> None:
        """Until at least one request waits for its answer."""
        async with asyncio.timeout(timeout):
            while not self.held:
                self._arrived.clear()
                await self._arrived.wait()

    # -- the two services ------------------------------------------------------------------

    async def _wecom(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        fate = await self._fate(request)
        if fate == "limit":
            return await self._answer(
                request, web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})
            )
        if fate == "error":
            return await self._answer(request, web.Response(status=502, text="Bad Gateway"))
        kind = body.get("msgtype")
        content = str((body.get(kind) or {}).get("content", ""))
        if kind not in ("text", "markdown") or not content:
            return await self._answer(
                request, web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
            )
        accepted = Accepted("wecom", request.query.get("key", ""), content)
        return await self._answer(
            request, web.json_response({"errcode": 0, "errmsg": "ok"}), accepted
        )

    async def _telegram(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params: dict[str, Any] = await request.json()
        fate = await self._fate(request)
        if fate == "limit":
            return await self._answer(
                request,
                web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {self.retry_after}",
                        "parameters": {"retry_after": self.retry_after},
                    },
                    status=429,
                ),
            )
        if fate == "error":
            return await self._answer(request, web.Response(status=502, text="Bad Gateway"))
        self._message_id += 1
        chat, text = str(params.get("chat_id", "")), str(params.get("text", ""))
        result = {
            "message_id": self._message_id,
            "chat": {"id": chat},
            "date": int(time.time()),
            "text": text,
        }
        return await self._answer(
            request,
            web.json_response({"ok": True, "result": result}),
            Accepted("telegram", chat, text),
        )

    # -- misbehaviour and honest bookkeeping ----------------------------------------------

    async def _fate(self, request: web.Request) -> str:
        """Decide the call's fate, take the time it takes, and wait while answers are held."""
        self.calls += 1
        fate = "ok"
        if self._random.random() < self.fail_rate:
            fate = "limit" if self._random.random() < 1 / 3 else "error"
            if fate == "limit":
                self.rate_limited += 1
            else:
                self.server_errors += 1
        slow = self._random.random() < self.slow_rate
        delay = self._random.uniform(0.05, self.slow_seconds) if slow else 0.0
        self._held[id(request)] = request
        self._arrived.set()
        try:
            await asyncio.sleep(delay)
            await self._open.wait()
        except asyncio.CancelledError:
            self.unanswered += 1  # the caller hung up; the test server cancels the handler
            raise
        finally:
            self._held.pop(id(request), None)
        return fate

    async def _answer(
        self, request: web.Request, response: web.StreamResponse, accepted: Accepted | None = None
    ) -> web.StreamResponse:
        """Write the answer now; count the message only if it reached a connected caller."""
        transport = request.transport
        try:
            if transport is None or transport.is_closing():
                raise ConnectionResetError("the caller is gone")
            await response.prepare(request)
            await response.write_eof()
        except ConnectionError:
            self.unanswered += 1
            self.lost += accepted is not None
            return response  # aiohttp gives up quietly on a closed connection
        if accepted is not None:
            self.accepted.append(accepted)
        return response
