"""The Official Account callback: `GET /wechat` (URL verification) and `POST /wechat` (messages
and events, plain or safe mode).

WeChat waits 5 s for a passive reply and then retries the same message (same `MsgId`; events:
same `FromUserName` + `CreateTime`) up to three times. So the first delivery claims the message
in the store, answers within `deadline`, and stores the answer; a retry gets that stored answer
(or waits for it) and never runs the conversation again. Work that outlasts the deadline gets a
short "正在查询" reply now, and its real answer goes out through the customer-service API by the
durable outbox (kind "wechat", a `core.notices.Notice`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import wechatpy
from aiohttp import web
from wechatpy.replies import TextReply

from core.http import Problem
from core.notices import WECHAT, Notice
from core.outbox import Dispatcher, GiveUp, OutboxMessage, RetryLater, enqueue
from core.settings import Settings
from core.store import Store
from handlers import (
    Caps,
    Message,
    Reply,
    Services,
    language_for,
    localize_notice,
    remember_location,
    user_key,
)
from integrations import OutOfWindow, WeChatApi, WeChatError, WeChatNotConfigured
from locations import CoordSystem, to_wgs84

from ._clients import WeChatClients
from ._render import CHOICES_TTL, choice_data, encode_choices, render
from ._security import (
    MAX_BODY_BYTES,
    CallbackRejected,
    SafeMode,
    check_once,
    check_query,
    parse_xml,
)
from ._subscribe import SUBSCRIBE_KIND, SubscribeSender

log = logging.getLogger(__name__)

CHANNEL = "wechat"
OUTBOX_KIND = WECHAT
# WeChat gives up on an answer after 5 s; leave time for the network and the encryption.
PASSIVE_DEADLINE_S = 4.0
# WeChat retries within about 15 s; keep answers longer so late retries still match.
ANSWER_TTL_S = 600.0
WORKING = "收到，正在为您查询，稍后把结果发给您。"
# The periodic LOCATION event reports the phone's GPS position (WGS-84), unlike location
# messages, which come from WeChat's Tencent map picker in GCJ-02.
LOCATION_EVENT_COORD = CoordSystem.WGS84
# No reply keyboard, no inline buttons (numbered choices instead, see `_render`), no commands;
# a position is sent from the "+" panel or the menu's location picker.
CAPS = Caps(keyboard=False, buttons=False, commands=False, share_location="attach")


class OfficialAccount:
    """One Official Account's callback, with what it needs from the app."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.context = services
        self.token = settings.wechat_token.get_secret_value() if settings.wechat_token else ""
        aes = settings.wechat_aes_key.get_secret_value() if settings.wechat_aes_key else ""
        self.safe = SafeMode(self.token, aes, settings.wechat_appid or "") if aes else None
        self.mini_appid = settings.miniprogram_appid
        self.deadline = PASSIVE_DEADLINE_S
        self.pending: set[asyncio.Task[Any]] = set()

    def _check(self, request: web.Request) -> None:
        if not self.token:
            raise Problem(404, "没有开通公众号接口")
        try:
            check_query(self.token, dict(request.query), self.context.clock.now().timestamp())
        except CallbackRejected as exc:
            log.warning("wechat callback rejected: %s", exc.reason)
            raise Problem(401, "签名无效", "请求不是来自微信服务器。") from None

    async def verify(self, request: web.Request) -> web.Response:
        self._check(request)
        return web.Response(text=request.query.get("echostr", ""), content_type="text/plain")

    async def receive(self, request: web.Request) -> web.Response:
        self._check(request)
        try:
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise CallbackRejected(400, "body too large")
            raw = await request.content.read(MAX_BODY_BYTES + 1)
            await check_once(self.context.store, request.query, raw)  # replays are 401
            outer = parse_xml(raw)
            q = request.query
            encrypted = q.get("encrypt_type") == "aes"
            if encrypted:
                if self.safe is None:
                    raise CallbackRejected(400, "safe mode is not configured")
                raw = self.safe.decrypt(
                    outer, q.get("msg_signature", ""), q["timestamp"], q["nonce"]
                )
                fields = parse_xml(raw)
            else:
                fields = outer
            message = wechatpy.parse_message(raw.decode())
        except CallbackRejected as exc:
            log.warning("wechat callback rejected: %s", exc.reason)
            if exc.status == 401:
                raise Problem(401, "签名无效", "请求不是来自微信服务器。") from None
            raise Problem(400, "请求有误", "消息格式不对。") from None
        except Exception:  # wechatpy on XML without MsgType and the like
            raise Problem(400, "请求有误", "消息格式不对。") from None
        text = await self.answer(message, fields)
        if not text:
            return web.Response(text="success", content_type="text/plain")
        xml = TextReply(content=text, message=message).render()
        if encrypted and self.safe is not None:
            xml = self.safe.encrypt(
                xml, request.query["nonce"], str(int(self.context.clock.now().timestamp()))
            )
        return web.Response(text=xml, content_type="application/xml")

    async def answer(self, message: Any, fields: dict[str, Any]) -> str:
        """The passive reply text ("" for "success"), once per message however often it comes."""
        openid = str(fields.get("FromUserName", ""))
        msg_id = fields.get("MsgId")
        key = (
            f"wechat:msg:{msg_id}"
            if msg_id
            # Events: the same user and second can bring a LOCATION and a subscribe event.
            else f"wechat:evt:{openid}:{fields.get('CreateTime', '')}"
            f":{fields.get('Event', '')}:{fields.get('EventKey', '')}"
        )
        store = self.context.store
        cached = await store.get(f"{key}:answer")
        if cached is not None:
            return cached
        if not await store.set(f"{key}:claim", "1", ttl=ANSWER_TTL_S, only_new=True):
            return await self._wait_for(f"{key}:answer")
        task = asyncio.create_task(self._work(message, openid))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        done, _ = await asyncio.wait({task}, timeout=self.deadline)
        if done:
            try:
                text = task.result()
            except Exception:  # a bug must not make WeChat retry into the same bug
                log.exception("wechat message from %s failed", openid)
                text = ""
        else:
            text = WORKING
            task.add_done_callback(lambda t: self._follow_up(t, openid, key))
        await store.set(f"{key}:answer", text, ttl=ANSWER_TTL_S)
        return text

    async def _wait_for(self, key: str) -> str:
        """A retry while the first delivery is still working: its answer, or "success"."""
        loop = asyncio.get_running_loop()
        until = loop.time() + self.deadline
        while loop.time() < until:
            found = await self.context.store.get(key)
            if found is not None:
                return found
            await asyncio.sleep(0.05)
        return ""

    def _follow_up(self, task: asyncio.Task[str], openid: str, key: str) -> None:
        if task.cancelled() or task.exception() is not None or not task.result():
            return
        follow = asyncio.create_task(self._enqueue(openid, task.result(), key))
        self.pending.add(follow)
        follow.add_done_callback(self.pending.discard)

    async def _enqueue(self, openid: str, text: str, key: str) -> None:
        async with self.context.db.transaction() as session:
            await enqueue(session, OUTBOX_KIND, openid, Notice(text).to_payload(), dedupe_key=key)
        self.context.outbox.wake()

    async def _work(self, message: Any, openid: str) -> str:
        """Run the conversation for one WeChat message; "" when nothing should be said."""
        try:
            incoming = await self._incoming(message, openid)
        except (TypeError, ValueError):
            # Numbers that are not numbers (a Location_X of "abc"): nothing sensible to answer.
            log.warning("unreadable %s message from WeChat", message.type)
            return ""
        if incoming is None:
            return ""
        replies: list[Reply] = await self.context.conversation.handle(incoming)
        text, choices = render(replies, mini_appid=self.mini_appid)
        store, choices_key = self.context.store, f"wechat:choices:{openid}"
        if choices:
            await store.set(choices_key, encode_choices(choices), ttl=CHOICES_TTL)
        elif text:
            await store.delete(choices_key)
        return text

    async def _incoming(self, message: Any, openid: str) -> Message | None:
        base: dict[str, Any] = {
            "channel": CHANNEL,
            "user_id": openid,
            "chat_id": openid,
            "message_id": str(message.id or ""),
            "caps": CAPS,
        }
        kind = message.type
        # A voice message carries WeChat's recognition of it (when the account has it on):
        # the same words as if typed, numbered answers ("一。") included.
        said = message.content if kind == "text" else getattr(message, "recognition", None)
        if kind in ("text", "voice") and said and str(said).strip():
            data = choice_data(await self.context.store.get(f"wechat:choices:{openid}"), said)
            if data is not None:
                return Message(**base, data=data)
            return Message(**base, text=str(said))
        if kind == "location":
            lat, lng = (float(v) for v in message.location)  # Location_X is the latitude
            return Message(**base, location=to_wgs84(lat, lng, CoordSystem.GCJ02))
        if kind == "event":
            return await self._event(message, base)
        return Message(**base)  # image, unrecognised voice, …: the conversation says what it can do

    async def _event(self, message: Any, base: dict[str, Any]) -> Message | None:
        event = str(message.event).lower()
        if event in ("subscribe", "subscribe_scan"):
            return Message(**base, text="/start")
        if event == "location":
            point = to_wgs84(
                float(message.latitude), float(message.longitude), LOCATION_EVENT_COORD
            )
            await remember_location(self.context.store, user_key(CHANNEL, base["user_id"]), point)
            return None
        if event == "location_select":
            # The menu's location picker: the place picked also comes as a location message
            # (GCJ-02, from the same Tencent map picker), which is what gets the answer.
            lat, lng = (float(v) for v in message.location)
            point = to_wgs84(lat, lng, CoordSystem.GCJ02)
            await remember_location(self.context.store, user_key(CHANNEL, base["user_id"]), point)
            return None
        if event == "click" and message.key:
            return Message(**base, text=str(message.key))  # menu keys are the button labels
        return None

    async def close(self) -> None:
        """Let in-flight work finish (it writes the outbox row) before the process goes."""
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=10)


ACCOUNT = web.AppKey("wechat_official_account", OfficialAccount)


def customer_service_sender(official: WeChatApi, store: Store) -> Any:
    """The outbox sender for kind "wechat": a `core.notices.Notice` to an Official Account
    openid as a customer-service text — its text, then its footer (no buttons there) — in the
    language the worker chose in the chat (`语言` / `/lang`), as Telegram's notices are."""

    async def send(message: OutboxMessage) -> dict[str, Any] | None:
        language = await language_for(store, OUTBOX_KIND, message.recipient)
        notice = localize_notice(Notice.from_payload(message.payload or {}), language)
        text = "\n".join(part for part in (notice.text, notice.footer) if part)
        if not text:
            raise GiveUp("wechat: the notice has no text")
        try:
            await official.send_text(message.recipient, text)
        except (OutOfWindow, WeChatNotConfigured) as exc:
            # Past the 48-hour window nothing will ever get through; staff see the dead row.
            raise GiveUp(str(exc)) from exc
        except WeChatError as exc:
            raise RetryLater(str(exc)) from exc
        return None

    return send


def register_senders(
    outbox: Dispatcher, clients: WeChatClients, settings: Settings, store: Store
) -> None:
    """The Official Account's customer-service texts; mini-program users are told outcomes by
    subscribe message, with the mini-program's token."""
    outbox.register(OUTBOX_KIND, customer_service_sender(clients.official, store))
    outbox.register(SUBSCRIBE_KIND, SubscribeSender.from_settings(clients.mini, settings))


def setup(app: web.Application, services: Services) -> None:
    """Mount `GET|POST /wechat`."""
    account = OfficialAccount(services)
    app[ACCOUNT] = account
    app.router.add_get("/wechat", account.verify)
    app.router.add_post("/wechat", account.receive)

    async def _close(_app: web.Application) -> None:
        await account.close()

    app.on_shutdown.append(_close)
