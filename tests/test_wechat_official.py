"""The Official Account callback (`GET|POST /wechat`) through the wired app: signatures, safe
mode, hostile XML, the station answer, retries, slow work and events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import xmltodict
from aiohttp.test_utils import TestClient
from wechatpy.crypto import WeChatCrypto

from bot.wechat import ACCOUNT, sign
from handlers import SERVICES_KEY, Conversation, Message, Router, Services, Text
from locations import wgs84_to_gcj02
from tests.conftest import AppClient
from tests.fakes.wechat import WECHAT_AES_KEY, WECHAT_TOKEN, FakeWeChat
from tests.stations import HOHHOT, add_stations, station
from yizhan.app import create_app

LAT, LNG = HOHHOT
OPENID = "o-worker-1"
NONCE = "6187532"


@pytest.fixture
async def wx(wechat_client: AppClient) -> AppClient:
    await add_stations(
        wechat_client.app[SERVICES_KEY],
        station("NEAR", LAT + 0.001, LNG, name="新华广场驿站"),
        station("NEXT", LAT + 0.004, LNG, name="人民公园驿站"),
    )
    return wechat_client


def _query(ctx: Services, **extra: str) -> dict[str, str]:
    # A fresh nonce each time, as WeChat sends: a signed timestamp+nonce is good for one body.
    timestamp = str(int(ctx.clock.now().timestamp()))
    nonce = extra.pop("nonce", None) or uuid.uuid4().hex[:10]
    return {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": sign(WECHAT_TOKEN, timestamp, nonce),
        **extra,
    }


def _xml(fields: dict[str, Any]) -> str:
    return str(xmltodict.unparse({"xml": fields}, full_document=False))


def _text(content: str, msg_id: str = "1001") -> str:
    return _xml(
        {
            "ToUserName": "gh_official",
            "FromUserName": OPENID,
            "CreateTime": "1764000000",
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
        }
    )


def _location(lat: float, lng: float, msg_id: str = "2001") -> str:
    return _xml(
        {
            "ToUserName": "gh_official",
            "FromUserName": OPENID,
            "CreateTime": "1764000000",
            "MsgType": "location",
            "Location_X": f"{lat:.6f}",
            "Location_Y": f"{lng:.6f}",
            "Scale": "15",
            "Label": "新华广场",
            "MsgId": msg_id,
        }
    )


def _event(event: str, created: str = "1764000100", **extra: str) -> str:
    return _xml(
        {
            "ToUserName": "gh_official",
            "FromUserName": OPENID,
            "CreateTime": created,
            "MsgType": "event",
            "Event": event,
            **extra,
        }
    )


async def _post(wx: TestClient, body: str, **query: str) -> tuple[int, str]:
    resp = await wx.post(
        "/wechat", params=_query(wx.app[SERVICES_KEY], **query), data=body.encode()
    )
    return resp.status, await resp.text()


def _content(reply_xml: str) -> str:
    return str(xmltodict.parse(reply_xml)["xml"]["Content"])


def _counting(ctx: Services, delay: float = 0.0) -> list[Message]:
    """Replace the conversation with one that records each message it handles."""
    seen: list[Message] = []
    router = Router("count")

    @router.message()
    async def echo(message: Message) -> Text:
        seen.append(message)
        await asyncio.sleep(delay)
        return Text(f"第{len(seen)}次回答：{message.text}")

    ctx.conversation = Conversation(ctx, router)
    return seen


# -- WeChat's published safe-mode sample ------------------------------------------------------

SAMPLE = {
    "token": "spamtest",
    "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "appid": "wx2c2769f8efd9abc2",
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "encrypt": (
        "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x"
        "6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T"
        "332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciV"
        "GCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6"
        "OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
    ),
}


def test_published_sample_decrypts_and_verifies() -> None:
    from bot.wechat import CallbackRejected, SafeMode, parse_xml

    safe = SafeMode(SAMPLE["token"], SAMPLE["aes_key"], SAMPLE["appid"])
    outer = {"ToUserName": "gh_10f6c3c3ac5a", "Encrypt": SAMPLE["encrypt"]}
    inner = parse_xml(
        safe.decrypt(outer, SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"])
    )
    assert inner["FromUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert inner["Content"] == "abcdteT" and inner["MsgId"] == "6054768590064713728"
    wrong = "0" + SAMPLE["msg_signature"][1:]
    with pytest.raises(CallbackRejected) as info:
        safe.decrypt(outer, wrong, SAMPLE["timestamp"], SAMPLE["nonce"])
    assert info.value.status == 401
    # A key for another account fails on the appid inside the plaintext.
    with pytest.raises(CallbackRejected):
        SafeMode(SAMPLE["token"], SAMPLE["aes_key"], "wx-someone-else").decrypt(
            outer, SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"]
        )


async def test_published_sample_through_the_endpoint(
    backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    from datetime import datetime

    from pydantic import SecretStr

    from core import CHINA_TZ

    ctx = backend(
        wechat_token=SecretStr(SAMPLE["token"]),
        wechat_aes_key=SecretStr(SAMPLE["aes_key"]),
        wechat_appid=SAMPLE["appid"],
    )
    ctx.clock.set(datetime.fromtimestamp(int(SAMPLE["timestamp"]), CHINA_TZ))  # type: ignore[attr-defined]
    seen = _counting(ctx)
    client = await aiohttp_client(create_app(ctx))
    body = _xml({"ToUserName": "gh_10f6c3c3ac5a", "Encrypt": SAMPLE["encrypt"]})
    params = {
        "timestamp": SAMPLE["timestamp"],
        "nonce": SAMPLE["nonce"],
        "encrypt_type": "aes",
        "msg_signature": SAMPLE["msg_signature"],
        "signature": sign(SAMPLE["token"], SAMPLE["timestamp"], SAMPLE["nonce"]),
    }
    resp = await client.post("/wechat", params=params, data=body.encode())
    assert resp.status == 200
    crypto = WeChatCrypto(SAMPLE["token"], SAMPLE["aes_key"], SAMPLE["appid"])
    envelope = xmltodict.parse(await resp.text())["xml"]
    reply = crypto.decrypt_message(
        await resp.text(), envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    fields = xmltodict.parse(reply)["xml"]
    assert fields["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert fields["Content"] == "第1次回答：abcdteT"
    assert seen[0].channel == "wechat" and seen[0].message_id == "6054768590064713728"


# -- signatures and hostile input -------------------------------------------------------------


async def test_url_verification(wx: TestClient) -> None:
    ctx = wx.app[SERVICES_KEY]
    resp = await wx.get("/wechat", params=_query(ctx, echostr="4793482385"))
    assert resp.status == 200 and await resp.text() == "4793482385"
    bad = {**_query(ctx, echostr="1"), "signature": "0" * 40}
    assert (await wx.get("/wechat", params=bad)).status == 401
    stale = str(int(ctx.clock.now().timestamp()) - 3600)
    old = {
        "timestamp": stale,
        "nonce": NONCE,
        "signature": sign(WECHAT_TOKEN, stale, NONCE),
        "echostr": "1",
    }
    assert (await wx.get("/wechat", params=old)).status == 401


async def test_forged_or_hostile_posts_change_nothing(wx: TestClient) -> None:
    ctx = wx.app[SERVICES_KEY]
    seen = _counting(ctx)
    forged = {**_query(ctx), "signature": "f" * 40}
    resp = await wx.post("/wechat", params=forged, data=_text("附近驿站").encode())
    assert resp.status == 401
    lol = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "哈哈哈哈哈哈哈哈">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f"<xml><ToUserName>gh</ToUserName><FromUserName>{OPENID}</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&b;</Content>"
        "<MsgId>9</MsgId></xml>"
    )
    external = (
        '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<xml><MsgType>text</MsgType><Content>&x;</Content></xml>"
    )
    for body, status in [
        (lol, 400),
        (external, 400),
        ("<xml><MsgType>text</MsgType", 400),
        ("not xml at all", 400),
        ("<other>1</other>", 400),
        (_text("附近驿站" * 20_000), 400),  # far beyond any real WeChat message
    ]:
        got, _ = await _post(wx, body)
        assert got == status, body[:60]
    # Signed, well-formed, but nonsense inside: no crash, nothing to say.
    junk = _location(0, 0).replace("0.000000", "abc", 1)
    assert await _post(wx, junk) == (200, "success")
    # Safe mode with a broken msg_signature.
    crypto = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, "wx-official")
    envelope = crypto.encrypt_message(_text("附近驿站"), NONCE, _query(ctx)["timestamp"])
    got, _ = await _post(wx, envelope, encrypt_type="aes", msg_signature="0" * 40, nonce=NONCE)
    assert got == 401
    assert seen == []


# -- the conversation -------------------------------------------------------------------------


async def test_location_message_gets_nearest_station_with_links(wx: TestClient) -> None:
    glat, glng = wgs84_to_gcj02(LAT, LNG)  # what WeChat's map picker sends
    status, body = await _post(wx, _location(glat, glng))
    assert status == 200
    reply = xmltodict.parse(body)["xml"]
    assert reply["ToUserName"] == OPENID and reply["MsgType"] == "text"
    text = reply["Content"]
    assert "新华广场驿站" in text and "人民公园驿站" not in text
    assert 'data-miniprogram-appid="wx-mini"' in text  # opens the station in the mini-program
    assert "https://uri.amap.com/marker" in text  # and the map links under the station
    # The distance is right only if Location_X was read as the latitude and GCJ-02 converted.
    assert "110 米" in text or "100 米" in text, text


async def test_numbered_choice_runs_the_button(wx: TestClient) -> None:
    glat, glng = wgs84_to_gcj02(LAT, LNG)
    _, first = await _post(wx, _location(glat, glng))
    assert "1 下一个驿站" in _content(first)
    _, second = await _post(wx, _text("1", msg_id="2002"))
    assert "人民公园驿站" in _content(second)


async def test_safe_mode_request_gets_encrypted_reply(wx: TestClient) -> None:
    ctx = wx.app[SERVICES_KEY]
    glat, glng = wgs84_to_gcj02(LAT, LNG)
    timestamp = _query(ctx)["timestamp"]
    crypto = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, "wx-official")
    envelope = crypto.encrypt_message(_location(glat, glng), NONCE, timestamp)
    msg_signature = xmltodict.parse(envelope)["xml"]["MsgSignature"]
    status, body = await _post(
        wx, envelope, encrypt_type="aes", msg_signature=msg_signature, nonce=NONCE
    )
    assert status == 200
    outer = xmltodict.parse(body)["xml"]
    assert "Content" not in outer and "新华广场" not in body
    reply = crypto.decrypt_message(body, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
    assert "新华广场驿站" in _content(reply)


async def test_retries_get_the_same_answer_and_run_once(wx: TestClient) -> None:
    seen = _counting(wx.app[SERVICES_KEY], delay=0.3)
    # WeChat's retry can arrive while the first delivery is still being answered.
    results = await asyncio.gather(*(_post(wx, _text("热水", msg_id="3001")) for _ in range(3)))
    assert {(s, _content(b)) for s, b in results} == {(200, "第1次回答：热水")}
    _, again = await _post(wx, _text("热水", msg_id="3001"))
    assert _content(again) == "第1次回答：热水"
    assert len(seen) == 1
    # Events have no MsgId: FromUserName + CreateTime identify them.
    for _ in range(2):
        await _post(wx, _event("CLICK", created="1764000500", EventKey="附近驿站"))
    assert len(seen) == 2


async def test_slow_work_answers_at_once_and_follows_up(
    wx: TestClient, fake_wechat: FakeWeChat
) -> None:
    ctx = wx.app[SERVICES_KEY]
    seen = _counting(ctx, delay=0.6)
    wx.app[ACCOUNT].deadline = 0.1
    status, body = await _post(wx, _text("法律援助", msg_id="4001"))
    assert status == 200 and "正在为您查询" in _content(body)
    for _ in range(100):
        if fake_wechat.sent:
            break
        await asyncio.sleep(0.05)
    assert fake_wechat.sent == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "第1次回答：法律援助"}}
    ]
    # A late retry is told the same and starts nothing new.
    _, again = await _post(wx, _text("法律援助", msg_id="4001"))
    assert "正在为您查询" in _content(again)
    assert len(seen) == 1 and fake_wechat.count("/cgi-bin/message/custom/send") == 1


async def test_subscribe_welcome_and_location_event(wx: TestClient) -> None:
    _, welcome = await _post(wx, _event("subscribe"))
    assert "驿站通" in _content(welcome)
    # Before any location, "附近驿站" asks for one.
    _, asked = await _post(wx, _text("附近驿站", msg_id="5001"))
    assert "新华广场驿站" not in _content(asked)
    # The periodic LOCATION event only records where the worker is; WeChat shows no reply.
    status, quiet = await _post(
        wx,
        _event(
            "LOCATION",
            created="1764000200",
            Latitude=f"{LAT:.6f}",
            Longitude=f"{LNG:.6f}",
            Precision="30.0",
        ),
    )
    assert status == 200 and quiet == "success"
    _, near = await _post(wx, _text("附近驿站", msg_id="5002"))
    assert "新华广场驿站" in _content(near)
