"""A fake Telegram Bot API: `POST /bot<token>/<method>` with JSON, answering as the real one.

It records every call it accepted (`calls`: method, params, arrival time) and can misbehave on
request: `fail_next(method, 429, retry_after=2)` answers the next call of that method with the
real rate-limit answer (`parameters.retry_after`), `fail_next(method, 502)` with a server error,
`fail_next(method, 400)` with a permanent "Bad Request" (own text with `description=`).
Failed calls are recorded in `rejected`, not in `calls`, since Telegram did not take them.
`getUpdates` serves `push(update)`-ed updates from the requested `offset`, and remembers the
offsets asked for (an offset confirms every update before it).
`files[file_id] = bytes` are what users sent: `getFile` answers their `file_path` and size
(an unknown id is the real 400), and `GET /file/bot<token>/<file_path>` serves the bytes;
`downloads` records the paths fetched.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests",
}
# The webhook secret the app under test is given, and the header Telegram sends it back in.
WEBHOOK_SECRET = "webhook-Secret_123"
WEBHOOK_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
BOT_USERNAME = "yizhan_test_bot"  # what getMe answers


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic()
    result: Any = None  # what the fake answered (a sent message carries its message_id)


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.offsets: list[int | None] = []
        self._failures: dict[str, deque[tuple[int, float | None, str | None]]] = defaultdict(deque)
        self._next_message_id = 1000
        self._arrived = asyncio.Event()
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._server = TestServer(app, host="127.0.0.1")

    @property
    def base_url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> FakeTelegram:
        await self._server.start_server(shutdown_timeout=1)  # never hold a teardown
        return self

    async def close(self) -> None:
        await self._server.close()

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: float | None = None,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        for _ in range(times):
            self._failures[method].append((status, retry_after, description))

    def push(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def sent(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if not methods or c.method in methods]

    async def wait_for(self, count: int, *methods: str, timeout: float = 10.0) -> list[Call]:
        """Wait until at least `count` calls of `methods` arrived; return them."""
        async with asyncio.timeout(timeout):
            while len(self.sent(*methods)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.sent(*methods)

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        try:
            params = await request.json()
        except ValueError:
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: bad JSON"}, status=400
            )
        call = Call(method, params, time.monotonic())
        if self._failures[method]:
            status, retry_after, description = self._failures[method].popleft()
            self.rejected.append(call)
            body: dict[str, Any] = {
                "ok": False,
                "error_code": status,
                "description": description or _DESCRIPTIONS.get(status, "Internal Server Error"),
            }
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
                body["description"] = f"Too Many Requests: retry after {retry_after}"
            return web.json_response(body, status=status)
        if method == "getUpdates":
            return await self._get_updates(params)
        self.calls.append(call)
        self._arrived.set()
        if method in ("sendMessage", "sendVenue"):
            self._next_message_id += 1
            result: Any = {
                "message_id": self._next_message_id,
                "chat": {"id": params.get("chat_id")},
                "date": int(time.time()),
            }
            if method == "sendVenue":
                result["venue"] = {
                    "location": {"latitude": params["latitude"], "longitude": params["longitude"]},
                    "title": params["title"],
                    "address": params["address"],
                }
            else:
                result["text"] = params.get("text", "")
        elif method == "getMe":
            result = {
                "id": 123456,
                "is_bot": True,
                "first_name": "驿站通",
                "username": BOT_USERNAME,
            }
        elif method == "getFile":
            file_id = str(params.get("file_id", ""))
            if file_id not in self.files:
                self.calls.remove(call)
                self.rejected.append(call)
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                    status=400,
                )
            result = {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"photos/{file_id}.jpg",
            }
        elif method in ("editMessageText", "editMessageReplyMarkup"):
            result = {
                "message_id": params.get("message_id"),
                "chat": {"id": params.get("chat_id")},
                "date": int(time.time()),
                "text": params.get("text", ""),
            }
        else:
            result = True
        call.result = result
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.removeprefix("photos/").removesuffix(".jpg")
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(path)
        return web.Response(body=self.files[file_id], content_type="image/jpeg")

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = params.get("offset")
        self.offsets.append(offset)
        if offset is not None:  # confirmed: Telegram forgets them
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        pending = list(self.updates)
        if not pending:
            await asyncio.sleep(min(float(params.get("timeout") or 0), 0.05))
        return web.json_response({"ok": True, "result": pending})


def telegram_settings(fake: FakeTelegram, secret: str | None = WEBHOOK_SECRET) -> dict[str, object]:
    """Settings overrides pointing the bot at the fake (`secret=None`: no webhook secret)."""
    return {
        "telegram_bot_token": SecretStr(fake.token),
        "telegram_webhook_secret": SecretStr(secret) if secret else None,
        "telegram_api_base": fake.base_url,
    }


def buttons(call: Call) -> dict[str, str]:
    """The inline keyboard a sent message carried: button text → callback data."""
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}
