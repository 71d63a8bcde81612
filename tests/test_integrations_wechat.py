"""`integrations.WeChatApi` over `httpx.MockTransport`: a token fetched once and used, an
expired token refreshed, 5xx and network errors as `WeChatUnavailable`, a refusal as
`WeChatApiError`, and the appsecret never in an error's text."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from core.store import MemoryStore
from integrations import (
    OutOfWindow,
    WeChatApi,
    WeChatApiError,
    WeChatUnavailable,
)

SECRET = "appsecret-0123456789abcdef"
APPID = "wx-test-app"


def api(handler: Callable[[httpx.Request], httpx.Response]) -> WeChatApi:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WeChatApi("https://wx.test/", http, MemoryStore(), appid=APPID, secret=SECRET)


def token_answer(token: str) -> httpx.Response:
    return httpx.Response(200, json={"access_token": token, "expires_in": 7200})


async def test_a_customer_service_text_uses_one_fetched_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/cgi-bin/token":
            return token_answer("T1")
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    wechat = api(handler)
    await wechat.send_text("o-worker", "您好")
    await wechat.send_text("o-worker", "再见")
    assert [r.url.path for r in seen] == [
        "/cgi-bin/token",
        "/cgi-bin/message/custom/send",
        "/cgi-bin/message/custom/send",
    ]
    assert seen[0].url.params["secret"] == SECRET and seen[1].url.params["access_token"] == "T1"
    assert json.loads(seen[1].content) == {
        "touser": "o-worker",
        "msgtype": "text",
        "text": {"content": "您好"},
    }


async def test_an_expired_token_is_refreshed_once() -> None:
    tokens = iter(["OLD", "NEW"])
    used: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/token":
            return token_answer(next(tokens))
        used.append(request.url.params["access_token"])
        if request.url.params["access_token"] == "OLD":
            return httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"})
        return httpx.Response(200, json={"errcode": 0})

    await api(handler).send_text("o", "x")
    assert used == ["OLD", "NEW"]


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: httpx.Response(502, text="bad gateway"),
        lambda r: httpx.Response(200, text="<html>not json</html>"),
    ],
)
async def test_5xx_and_garbage_are_unavailable_without_the_secret(
    answer: Callable[[httpx.Request], httpx.Response],
) -> None:
    with pytest.raises(WeChatUnavailable) as caught:
        await api(answer).fetch_access_token()
    assert SECRET not in str(caught.value) and caught.value.__cause__ is None


async def test_network_errors_are_unavailable_without_the_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    with pytest.raises(WeChatUnavailable) as caught:
        await api(handler).code2session("code")
    assert SECRET not in str(caught.value) and caught.value.__cause__ is None
    assert SECRET not in repr(caught.value)


async def test_a_refusal_is_an_api_error_with_its_code() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/token":
            return token_answer("T")
        return httpx.Response(200, json={"errcode": 45015, "errmsg": "response out of time limit"})

    with pytest.raises(OutOfWindow) as caught:
        await api(handler).send_text("o", "x")
    assert isinstance(caught.value, WeChatApiError) and caught.value.errcode == 45015
    assert SECRET not in str(caught.value)


async def test_a_wrong_secret_is_refused_without_echoing_it() -> None:
    body = {"errcode": 40125, "errmsg": "invalid appsecret"}
    with pytest.raises(WeChatApiError) as caught:
        await api(lambda _: httpx.Response(200, json=body)).fetch_access_token()
    assert caught.value.errcode == 40125 and SECRET not in str(caught.value)
