"""The Telegram Bot API client: `POST {base_url}/bot{token}/{method}` with a JSON body.

`TelegramClient(http, token, base_url=…)` takes the process's shared `httpx.AsyncClient` (a test
passes one over `httpx.MockTransport`); it never builds or closes one itself. It keeps to Telegram's limits by itself (about one message a second per chat, with a short
burst so a pin and its details go out together, and 30 a second overall), waits out a 429's
`parameters.retry_after`, and retries 5xx and network errors with backoff. What is still failing
after that is raised as `TelegramRetry` (try later) or `TelegramRejected` (will never work); the
outbox turns those into a later attempt or a dead row.

`download(file_id, max_bytes=…)` fetches a file a user sent (a photo): `getFile`, then
`GET {base_url}/file/bot{token}/{file_path}`, read in chunks and cut off past `max_bytes` (the
Bot API serves files up to 20 MB to bots; ours take much less).

Exceptions (httpx errors are translated here and never leave this module; the bot token is
part of every URL, so no message carries a URL or an httpx error's text):

    TelegramError
    ├── TelegramRetry     worth trying later: 429 (`retry_after` seconds), 5xx, network, not JSON
    └── TelegramRejected  refused for good: 4xx other than 429 (`status`), e.g. bot blocked
        └── TelegramFileTooLarge  a file to download is over the size asked for
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from typing import Any

import httpx

log = logging.getLogger(__name__)


class TelegramError(Exception):
    """A Bot API call did not succeed."""


class TelegramRetry(TelegramError):
    """Worth trying again later (rate limit, Telegram or network down)."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TelegramRejected(TelegramError):
    """Telegram refused the call for good (bad request, bot blocked, chat gone)."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


class TelegramFileTooLarge(TelegramRejected):
    """The file is larger than the caller takes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=413)


class TokenBucket:
    """`rate` tokens a second, up to `burst` saved; `take()` waits for one."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def delay(self) -> float:
        """Take a token, returning how long the caller must wait before using it."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class SlidingWindow:
    """At most `limit` calls in any `window` seconds, counted when each call actually goes
    (a token bucket counts when a call is scheduled; a call late out of its sleep on a busy
    event loop then bunches up with the next ones). Waiters go in turn, first come first."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = max(1, limit), window
        self._sent: deque[float] = deque()
        self._turn = asyncio.Lock()

    async def take(self) -> None:
        async with self._turn:
            while True:
                now = time.monotonic()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self._sent[0] + self.window - now)


class RateLimiter:
    """Per-chat and overall limits (in this process; Telegram's own 429s cover the rest).

    Sized so that no window breaks Telegram's limits, bursts included. Overall 30 calls a
    second: at most 28 in any second, counted as they go (two to spare for the time between
    leaving here and reaching Telegram). A group (a negative chat id) 20 a minute: a bucket of
    (20 - burst)/60 a second (a bucket of rate r and burst b lets b + r·T through in T s). A
    private chat about one a second, with `chat_burst` so a pin and its details go out
    together."""

    def __init__(
        self,
        *,
        per_chat: float = 1.0,
        chat_burst: float = 3.0,
        overall: float = 30.0,
        per_group_minute: float = 20.0,
        max_chats: int = 10_000,
    ) -> None:
        self.per_chat, self.chat_burst = per_chat, chat_burst
        self.per_group = max(per_group_minute - chat_burst, 1.0) / 60
        self.overall = SlidingWindow(int(overall) - 2 if overall > 4 else int(overall), 1.0)
        self._chats: OrderedDict[str, TokenBucket] = OrderedDict()
        self._max_chats = max_chats

    async def wait(self, chat_id: str | None) -> None:
        """Wait for the chat's turn, then for a turn overall: the overall turn is taken when
        the call can actually go, so calls held back by their chat never crowd one second."""
        if chat_id is not None:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                rate = self.per_group if chat_id.startswith("-") else self.per_chat
                bucket = self._chats[chat_id] = TokenBucket(rate, self.chat_burst)
                if len(self._chats) > self._max_chats:  # forget the quietest chats
                    self._chats.popitem(last=False)
            else:
                self._chats.move_to_end(chat_id)
            delay = bucket.delay()
            if delay > 0:
                await asyncio.sleep(delay)
        await self.overall.take()


# Methods that put a message into a chat: these count against the per-chat limit.
_CHAT_MESSAGES = frozenset(
    {
        "sendMessage",
        "sendVenue",
        "sendLocation",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)


class TelegramClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        token: str,
        *,
        base_url: str = "https://api.telegram.org",
        limiter: RateLimiter | None = None,
        attempts: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 30.0,
    ) -> None:
        self._http, self._token = http, token
        self._base = base_url.rstrip("/")
        self.limiter = limiter or RateLimiter()
        self._attempts, self._backoff = attempts, backoff
        self._max_retry_after = max_retry_after  # longer waits go back to the outbox

    def _url(self, method: str) -> str:
        return f"{self._base}/bot{self._token}/{method}"

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> Any:
        """Call `method`; the `result` of Telegram's answer."""
        params = params or {}
        chat = str(params["chat_id"]) if method in _CHAT_MESSAGES and "chat_id" in params else None
        last: TelegramRetry | None = None
        for attempt in range(self._attempts):
            await self.limiter.wait(chat)
            try:
                response = await self._http.post(self._url(method), json=params, timeout=timeout)
                body = response.json()
                if not isinstance(body, dict):
                    raise ValueError("not a Bot API answer")
            except (httpx.HTTPError, ValueError) as exc:
                # The token is part of the URL: never log the request itself.
                last = TelegramRetry(f"{method}: {type(exc).__name__}")
                await asyncio.sleep(self._backoff * 2**attempt)
                continue
            if response.status_code == 200 and body.get("ok"):
                return body.get("result")
            description = str(body.get("description", response.reason_phrase))
            if response.status_code == 429:
                retry_after = float((body.get("parameters") or {}).get("retry_after", 1))
                last = TelegramRetry(f"{method}: {description}", retry_after=retry_after)
                if retry_after > self._max_retry_after:
                    raise last
                log.info("telegram: %s throttled, retrying after %.0f s", method, retry_after)
                await asyncio.sleep(retry_after)
                continue
            if response.status_code >= 500:
                last = TelegramRetry(f"{method}: {response.status_code} {description}")
                await asyncio.sleep(self._backoff * 2**attempt)
                continue
            raise TelegramRejected(
                f"{method}: {response.status_code} {description}", status=response.status_code
            )
        assert last is not None
        raise last

    async def download(self, file_id: str, *, max_bytes: int, timeout: float = 30.0) -> bytes:
        """The content of a file a user sent, at most `max_bytes` of it."""
        info = await self.call("getFile", {"file_id": file_id})
        path = info.get("file_path") if isinstance(info, dict) else None
        if not isinstance(path, str) or not path or ".." in path:
            raise TelegramRejected("getFile: no file_path")
        size = info.get("file_size")
        if isinstance(size, int) and size > max_bytes:
            raise TelegramFileTooLarge(f"getFile: {size} bytes")
        url = f"{self._base}/file/bot{self._token}/{path}"
        chunks: list[bytes] = []
        got = 0
        try:
            async with self._http.stream("GET", url, timeout=timeout) as response:
                if response.status_code != 200:
                    reason = f"file: {response.status_code}"
                    if response.status_code >= 500 or response.status_code == 429:
                        raise TelegramRetry(reason)
                    raise TelegramRejected(reason, status=response.status_code)
                async for chunk in response.aiter_bytes():
                    got += len(chunk)
                    if got > max_bytes:
                        raise TelegramFileTooLarge(f"file: over {max_bytes} bytes")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise TelegramRetry(f"file: {type(exc).__name__}") from None  # the URL holds the token
        return b"".join(chunks)


__all__ = [
    "RateLimiter",
    "SlidingWindow",
    "TelegramClient",
    "TelegramError",
    "TelegramFileTooLarge",
    "TelegramRejected",
    "TelegramRetry",
    "TokenBucket",
]
