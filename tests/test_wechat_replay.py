"""Plain mode of the Official Account callback: a captured signed URL cannot carry another body
(the timestamp+nonce pair is remembered in the shared store, so in every process), WeChat's
retry of the same message still gets its answer, and events in the same second are told apart
by their type and key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import xmltodict

from bot.wechat import sign
from handlers import SERVICES_KEY, Services
from tests.conftest import AiohttpClient, AppClient
from tests.fakes.wechat import WECHAT_TOKEN, FakeWeChat, wechat_settings
from yizhan.app import create_app

OPENID = "o-replay-1"


def _signed(client: AppClient, nonce: str | None = None) -> dict[str, str]:
    timestamp = str(int(client.app[SERVICES_KEY].clock.now().timestamp()))
    nonce = nonce or uuid.uuid4().hex[:10]
    return {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": sign(WECHAT_TOKEN, timestamp, nonce),
    }


def _xml(**fields: str) -> bytes:
    base: dict[str, Any] = {"ToUserName": "gh_official", "FromUserName": OPENID}
    return str(xmltodict.unparse({"xml": {**base, **fields}}, full_document=False)).encode()


def _text(content: str, msg_id: str) -> bytes:
    return _xml(CreateTime="1764000000", MsgType="text", Content=content, MsgId=msg_id)


async def test_a_signed_url_cannot_be_replayed_with_another_body(
    wechat_client: AppClient,
    fake_wechat: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: AiohttpClient,
) -> None:
    query = _signed(wechat_client)
    first = await wechat_client.post("/wechat", params=query, data=_text("你好", "9001"))
    assert first.status == 200
    answer = await first.text()

    # WeChat's retry: the same URL and the same body get the same answer.
    retry = await wechat_client.post("/wechat", params=query, data=_text("你好", "9001"))
    assert retry.status == 200 and await retry.text() == answer

    forged = await wechat_client.post("/wechat", params=query, data=_text("帮助", "9002"))
    assert forged.status == 401
    assert (await forged.json())["title"] == "签名无效"

    # Another process sharing the store refuses it too.
    other = await aiohttp_client(create_app(backend(**wechat_settings(fake_wechat))))
    again = await other.post("/wechat", params=query, data=_text("帮助", "9003"))
    assert again.status == 401

    # A fresh signature is fine.
    fresh = await wechat_client.post(
        "/wechat", params=_signed(wechat_client), data=_text("帮助", "9004")
    )
    assert fresh.status == 200


async def test_events_in_the_same_second_are_not_taken_for_retries(
    wechat_client: AppClient,
) -> None:
    async def event(kind: str, **extra: str) -> str:
        body = _xml(CreateTime="1764000100", MsgType="event", Event=kind, **extra)
        answer = await wechat_client.post("/wechat", params=_signed(wechat_client), data=body)
        assert answer.status == 200
        return await answer.text()

    location = await event("LOCATION", Latitude="40.84", Longitude="111.75", Precision="30")
    assert location == "success"  # only remembered; WeChat shows nothing
    welcome = await event("subscribe")
    assert "<Content>" in welcome  # not swallowed as a retry of the LOCATION event
    assert await event("subscribe") == welcome  # a real retry still gets the same answer
