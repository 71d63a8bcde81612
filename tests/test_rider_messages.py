"""Riders' own words reach the right intent on every channel: the terminal (`yizhan chat`'s
session), Telegram (webhook → fake Bot API), the Official Account (signed callback, passive
reply) as typed text and as a voice message's Recognition. The table is
`tests/rider_messages.py`; each message comes from a new rider whose location is known."""

from __future__ import annotations

import io
import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
import xmltodict
from aiohttp.test_utils import TestClient

from bot.console import run_session
from bot.console._chat import USAGE
from bot.wechat import sign
from handlers import SERVICES_KEY, Services, remember_location, user_key
from locations import BY_CODE, Point, find_places
from referrals import LEGAL_CATEGORIES
from tests.conftest import AppClient
from tests.fakes.telegram import WEBHOOK_HEADERS, FakeTelegram, telegram_settings
from tests.fakes.wechat import WECHAT_TOKEN, FakeWeChat, wechat_settings
from tests.outbox import delivered
from tests.rider_messages import MESSAGES
from tests.stations import HOHHOT, add_stations, station
from yizhan.app import create_app

ALL_SERVICES = [
    "rest",
    "drinking_water",
    "toilet_guidance",
    "meal_heating",
    "phone_charging",
    "ebike_charging",
    "first_aid",
    "rain_gear",
    "haircut",
    "repair_tools",
    "discount_meals",
]
PLACES = ("包头", "赛罕区", "新城区", "回民区", "东胜")
_ids = itertools.count(1)


def reached(intent: str, reply: str) -> bool:
    """Whether a reply's text shows that `intent` was reached."""
    station_answer = "地址：" in reply
    if intent == "nearby":
        return station_answer and "提供“" not in reply and "附近：" not in reply
    if intent.startswith("svc:"):
        return f"提供“{BY_CODE[intent[4:]].label}" in reply
    if intent == "place":
        return "附近：" in reply or "10 公里内" in reply
    if intent.startswith("legal:"):
        return f"问题类型：{LEGAL_CATEGORIES[intent[6:]]}" in reply
    signs = {
        "legal": "您遇到了什么问题",
        "join": ("加入工会，享受会员服务", "请打开“驿站通”小程序"),
        "closed": "没开门",
        "human": "想找工会的工作人员",
        "help": "可以这样用",
        "hello": "我是驿站通",
        "member": "您还没有申请入会",
        "my_cases": "您还没有提交过求助",
        "feedback": "是哪个驿站",
        "none": "没太明白",
    }[intent]
    return any(s in reply for s in ((signs,) if isinstance(signs, str) else signs))


def check(channel: str, answers: dict[str, str]) -> None:
    wrong = [
        f"{text!r}: wanted {intent}, got {answers[text][:80]!r}"
        for text, intent in MESSAGES
        if not reached(intent, answers[text])
    ]
    assert not wrong, f"{channel}: {len(wrong)} of {len(MESSAGES)} missed\n" + "\n".join(wrong)


@pytest.fixture
async def app(
    fake_wechat: FakeWeChat,
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: Any,
) -> AppClient:
    settings = {**wechat_settings(fake_wechat), **telegram_settings(fake_telegram)}
    client: AppClient = await aiohttp_client(create_app(backend(**settings)))
    ctx = client.app[SERVICES_KEY]
    lat, lng = HOHHOT
    seats = [find_places(name)[0].point for name in PLACES]
    await add_stations(
        ctx,
        station("NEAR", lat + 0.001, lng, name="新华广场驿站", services=ALL_SERVICES),
        *(
            station(f"P{i}", p.lat + 0.001, p.lng, services=ALL_SERVICES)
            for i, p in enumerate(seats)
        ),
    )
    return client


async def _located(ctx: Services, channel: str, user: str) -> None:
    await remember_location(ctx.store, user_key(channel, user), Point(*HOHHOT))


def test_the_table_is_big_and_covers_every_intent() -> None:
    intents = {intent.split(":")[0] for _, intent in MESSAGES}
    assert len(MESSAGES) >= 150
    assert len({text for text, _ in MESSAGES}) == len(MESSAGES)  # no row twice
    assert {"nearby", "svc", "place", "join", "closed", "legal", "human", "none"} <= intents


async def test_console(app: AppClient, capsys: pytest.CaptureFixture[str]) -> None:
    ctx = app.app[SERVICES_KEY]
    answers = {}
    for text, _ in MESSAGES:
        user = f"c{next(_ids)}"
        await _located(ctx, "console", user)
        capsys.readouterr()
        await run_session(ctx, io.StringIO(text + "\n"), user=user)
        answers[text] = capsys.readouterr().out.split(USAGE, 1)[1]
    check("console", answers)


async def test_telegram(app: AppClient, fake_telegram: FakeTelegram) -> None:
    ctx = app.app[SERVICES_KEY]
    chat_of: dict[str, str] = {}
    for update_id, (text, _) in enumerate(MESSAGES, start=9000):
        user = 700000 + next(_ids)
        chat_of[text] = str(user)
        await _located(ctx, "telegram", str(user))
        message = {
            "message_id": update_id,
            "date": 1764000000,
            "from": {"id": user, "is_bot": False, "first_name": "师傅", "language_code": "zh-hans"},
            "chat": {"id": user, "type": "private"},
            "text": text,
        }
        resp = await app.post(
            "/telegram/webhook",
            json={"update_id": update_id, "message": message},
            headers=WEBHOOK_HEADERS,
        )
        assert resp.status == 200
    await fake_telegram.wait_for(len(MESSAGES), "sendMessage", timeout=60)
    await delivered(app)
    said: dict[str, list[str]] = defaultdict(list)
    for call in fake_telegram.sent("sendMessage", "sendVenue"):
        said[str(call.params["chat_id"])].append(
            str(call.params.get("text") or call.params.get("title"))
        )
    check("telegram", {text: "\n".join(said[chat]) for text, chat in chat_of.items()})


def _wechat_xml(openid: str, **fields: object) -> bytes:
    """A callback body; messages get a fresh MsgId (events have none)."""
    body: dict[str, object] = {
        "ToUserName": "gh_official",
        "FromUserName": openid,
        "CreateTime": "1764000000",
        **fields,
    }
    if fields.get("MsgType") != "event":
        body["MsgId"] = str(next(_ids) + 10**9)
    return str(xmltodict.unparse({"xml": body}, full_document=False)).encode()


async def wechat_post(client: TestClient, body: bytes) -> str:
    ctx = client.app[SERVICES_KEY]
    timestamp, nonce = str(int(ctx.clock.now().timestamp())), uuid.uuid4().hex[:10]
    query = {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": sign(WECHAT_TOKEN, timestamp, nonce),
    }
    resp = await client.post("/wechat", params=query, data=body)
    assert resp.status == 200, await resp.text()
    text = await resp.text()
    return "" if text == "success" else str(xmltodict.parse(text)["xml"]["Content"])


@pytest.mark.parametrize("how", ["text", "voice"])
async def test_official_account(app: AppClient, how: str) -> None:
    ctx = app.app[SERVICES_KEY]
    answers = {}
    for text, _ in MESSAGES:
        openid = f"o-{how}-{next(_ids)}"
        await _located(ctx, "wechat", openid)
        if how == "text":
            body = _wechat_xml(openid, MsgType="text", Content=text)
        else:  # WeChat's recognition ends a sentence with a full stop
            body = _wechat_xml(
                openid, MsgType="voice", MediaId="m1", Format="amr", Recognition=text + "。"
            )
        answers[text] = await wechat_post(app, body)
    check(f"official account ({how})", answers)
