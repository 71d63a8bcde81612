"""`integrations.TelegramClient` over `httpx.MockTransport`: success, 429 with `retry_after`,
5xx retried, a permanent rejection, and the bot token never in an error's text."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from integrations import RateLimiter, TelegramClient, TelegramRejected, TelegramRetry

TOKEN = "123456:SECRET-token-abc"
BASE = "https://tg.test"


def client(handler: Callable[[httpx.Request], httpx.Response], **kw: float) -> TelegramClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return TelegramClient(
        http,
        TOKEN,
        base_url=BASE,
        limiter=RateLimiter(per_chat=1000, chat_burst=1000, overall=1000),
        backoff=0.0,
        **kw,
    )


async def test_a_call_posts_json_to_the_method_and_returns_the_result() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True, "result": {"message_id": 7}})

    result = await client(handler).call("sendMessage", {"chat_id": "42", "text": "您好"})
    assert result == {"message_id": 7}
    [request] = seen
    assert str(request.url) == f"{BASE}/bot{TOKEN}/sendMessage"
    assert json.loads(request.content) == {"chat_id": "42", "text": "您好"}


async def test_429_waits_retry_after_then_succeeds() -> None:
    answers = [
        httpx.Response(
            429,
            json={
                "ok": False,
                "description": "Too Many Requests",
                "parameters": {"retry_after": 0},
            },
        ),
        httpx.Response(200, json={"ok": True, "result": True}),
    ]
    assert await client(lambda _: answers.pop(0)).call("sendMessage", {"chat_id": "1"}) is True


async def test_a_long_retry_after_goes_back_to_the_caller() -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        body = {"ok": False, "description": "Too Many Requests", "parameters": {"retry_after": 90}}
        return httpx.Response(429, json=body)

    with pytest.raises(TelegramRetry) as caught:
        await client(handler).call("sendMessage", {"chat_id": "1"})
    assert caught.value.retry_after == 90.0


async def test_5xx_and_network_errors_are_retried_then_raised_as_retry() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise httpx.ConnectError(f"cannot reach {request.url}", request=request)
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    with pytest.raises(TelegramRetry) as caught:
        await client(handler, attempts=4).call("getMe")
    assert calls == 4
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    assert caught.value.__cause__ is None or TOKEN not in str(caught.value.__cause__)


async def test_a_4xx_is_rejected_at_once_without_the_token() -> None:
    calls = 0

    def handler(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        body = {"ok": False, "description": "Forbidden: bot was blocked by the user"}
        return httpx.Response(403, json=body)

    with pytest.raises(TelegramRejected) as caught:
        await client(handler).call("sendMessage", {"chat_id": "1", "text": "x"})
    assert calls == 1 and caught.value.status == 403
    assert "blocked" in str(caught.value) and TOKEN not in str(caught.value)
