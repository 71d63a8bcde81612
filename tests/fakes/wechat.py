"""A fake WeChat server API (api.weixin.qq.com), speaking the real paths, parameters and errcodes.

Serves: `GET /cgi-bin/token`, `GET /sns/jscode2session`, `POST /wxa/business/getuserphonenumber`,
`POST /wxa/msg_sec_check`, `POST /cgi-bin/message/custom/send`,
`POST /cgi-bin/message/subscribe/send`, `POST /cgi-bin/menu/create`. Every call is recorded in `calls` as
`(path, query, json body)`.

Knobs a test turns:
- `apps`: appid → secret; a wrong pair gets errcode 40125 "invalid appsecret".
- `codes`: `wx.login` code → (openid, session_key); a code works once (then 40163), an unknown
  one gets 40029.
- `phones`: phone code → number; unknown 40029.
- `verdicts`: substring → suggest ("risky"/"review"); other text passes. `sec_check_down`
  makes the check answer HTTP 502.
- `revoke_tokens()`: every issued token becomes invalid (40001), as when someone fetched a new
  one elsewhere; `token_delay` slows `cgi-bin/token` so concurrent refreshes overlap.
- `window_closed`: openids whose 48-hour customer-service window is over (45015).
- Subscribe messages: accepted ones land in `subscribed` (the body plus the sending `appid`).
  `refused`: openids that refused or have no subscription left (43101); `foreign`: openids of
  another app (40003); `templates`: when set, other template ids get 40037; `subscribe_errcode`
  answers every send with that errcode (e.g. 45009); `released_pages`: when set, other pages get
  41030. Values longer than WeChat allows for their field type, or empty, get 47003.
- The Official Account's menu: an accepted `menu/create` body is `menu`. WeChat's checks:
  1–3 top buttons (40016), 1–5 sub-buttons (40023), names of at most 16 / 60 bytes (40018),
  known types (40017), a key of at most 128 bytes where the type needs one (40019).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class FakeWeChat:
    def __init__(self, apps: dict[str, str] | None = None) -> None:
        self.apps = apps or {"wx-official": "official-secret", "wx-mini": "mini-secret"}
        self.codes: dict[str, tuple[str, str]] = {}
        self.phones: dict[str, str] = {}
        self.verdicts: dict[str, str] = {}
        self.sec_check_down = False
        self.window_closed: set[str] = set()
        self.token_delay = 0.0
        self.calls: list[tuple[str, dict[str, str], Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.subscribed: list[dict[str, Any]] = []
        self.refused: set[str] = set()
        self.foreign: set[str] = set()
        self.templates: set[str] | None = None
        self.released_pages: set[str] | None = None
        self.subscribe_errcode: int | None = None
        self.menu: dict[str, Any] | None = None
        self._valid: dict[str, str] = {}  # token → appid
        self._serial = itertools.count(1)
        self._used_codes: set[str] = set()
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_get("/sns/jscode2session", self._code2session)
        app.router.add_post("/wxa/business/getuserphonenumber", self._phone)
        app.router.add_post("/wxa/msg_sec_check", self._sec_check)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_post("/cgi-bin/message/subscribe/send", self._subscribe_send)
        app.router.add_post("/cgi-bin/menu/create", self._menu_create)
        self._server = TestServer(app, host="127.0.0.1")

    @property
    def base_url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> FakeWeChat:
        await self._server.start_server(shutdown_timeout=1)  # never hold a teardown
        return self

    async def close(self) -> None:
        await self._server.close()

    def count(self, path: str) -> int:
        return sum(1 for p, _, _ in self.calls if p == path)

    def revoke_tokens(self) -> None:
        self._valid.clear()

    async def _record(self, request: web.Request) -> Any:
        body = await request.json() if request.can_read_body else None
        self.calls.append((request.path, dict(request.query), body))
        return body

    def _token_app(self, request: web.Request) -> str | web.Response:
        appid = self._valid.get(request.query.get("access_token", ""))
        if appid is None:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return appid

    async def _token(self, request: web.Request) -> web.Response:
        await self._record(request)
        q = request.query
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        if q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if self.apps.get(q.get("appid", "")) != q.get("secret"):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"TOKEN-{q['appid']}-{next(self._serial)}"
        self._valid[token] = q["appid"]
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _code2session(self, request: web.Request) -> web.Response:
        await self._record(request)
        q = request.query
        if self.apps.get(q.get("appid", "")) != q.get("secret"):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        code = q.get("js_code", "")
        if code in self._used_codes:
            return web.json_response({"errcode": 40163, "errmsg": "code been used"})
        if code not in self.codes:
            return web.json_response({"errcode": 40029, "errmsg": "invalid code"})
        self._used_codes.add(code)
        openid, session_key = self.codes[code]
        return web.json_response({"openid": openid, "session_key": session_key})

    async def _phone(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        app = self._token_app(request)
        if isinstance(app, web.Response):
            return app
        number = self.phones.get(str(body.get("code")))
        if number is None:
            return web.json_response({"errcode": 40029, "errmsg": "invalid code"})
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": number,
                    "purePhoneNumber": number,
                    "countryCode": "86",
                    "watermark": {"timestamp": 1637744274, "appid": app},
                },
            }
        )

    async def _sec_check(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if self.sec_check_down:
            return web.Response(status=502, text="bad gateway")
        app = self._token_app(request)
        if isinstance(app, web.Response):
            return app
        if body.get("version") != 2 or not body.get("openid") or "scene" not in body:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        content = str(body.get("content", ""))
        suggest = next((v for k, v in self.verdicts.items() if k in content), "pass")
        label = 100 if suggest == "pass" else 20001
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "trace_id": f"trace-{len(self.calls)}",
                "result": {"suggest": suggest, "label": label},
                "detail": [
                    {
                        "strategy": "content_model",
                        "errcode": 0,
                        "suggest": suggest,
                        "label": label,
                        "prob": 90,
                    }
                ],
            }
        )

    async def _custom_send(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        app = self._token_app(request)
        if isinstance(app, web.Response):
            return app
        if body.get("touser") in self.window_closed:
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
        if body.get("msgtype") != "text" or not body.get("text", {}).get("content"):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _subscribe_send(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        app = self._token_app(request)
        if isinstance(app, web.Response):
            return app

        def error(code: int, msg: str) -> web.Response:
            return web.json_response({"errcode": code, "errmsg": f"{msg} rid: fake"})

        if self.subscribe_errcode is not None:
            return error(self.subscribe_errcode, "forced by the test")
        touser, template_id = body.get("touser"), body.get("template_id")
        if not touser or touser in self.foreign:
            return error(40003, "invalid openid")
        if not template_id or (self.templates is not None and template_id not in self.templates):
            return error(40037, "invalid template_id")
        if self.released_pages is not None and body.get("page") not in (None, *self.released_pages):
            return error(41030, "invalid page")
        for field, entry in (body.get("data") or {}).items():
            value = entry.get("value") if isinstance(entry, dict) else None
            kind = field.rstrip("0123456789")
            if not isinstance(value, str) or not value:
                return error(47003, f"argument invalid! data.{field}.value is empty")
            if len(value) > SUBSCRIBE_LIMITS.get(kind, 10_000):
                return error(47003, f"argument invalid! data.{field}.value invalid")
        if touser in self.refused:
            return error(43101, "user refuse to accept the msg")
        self.subscribed.append({**body, "appid": app})
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._serial)})

    async def _menu_create(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        app = self._token_app(request)
        if isinstance(app, web.Response):
            return app
        errcode = menu_error(body)
        if errcode:
            return web.json_response({"errcode": errcode, "errmsg": f"invalid menu ({errcode})"})
        self.menu = body
        return web.json_response({"errcode": 0, "errmsg": "ok"})


MENU_TYPES_WITH_KEY = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
MENU_TYPES = MENU_TYPES_WITH_KEY | {"view", "miniprogram", "media_id", "article_id"}


def menu_error(body: Any) -> int:
    """The errcode WeChat's menu/create gives a body, 0 when it is accepted."""
    tops = body.get("button") if isinstance(body, dict) else None
    if not isinstance(tops, list) or not 1 <= len(tops) <= 3:
        return 40016
    for top in tops:
        subs = top.get("sub_button")
        if len(str(top.get("name", "")).encode()) > 16 or not top.get("name"):
            return 40018
        if subs is None:
            leaves = [top]
        elif not isinstance(subs, list) or not 1 <= len(subs) <= 5:
            return 40023
        else:
            leaves = subs
        for leaf in leaves:
            if leaf is not top and (not leaf.get("name") or len(str(leaf["name"]).encode()) > 60):
                return 40018
            kind = leaf.get("type")
            if kind not in MENU_TYPES:
                return 40017
            key = leaf.get("key")
            if kind in MENU_TYPES_WITH_KEY and (not key or len(str(key).encode()) > 128):
                return 40019
    return 0


# What WeChat's subscribe/send accepts per field type (characters).
SUBSCRIBE_LIMITS = {
    "thing": 20,
    "phrase": 5,
    "name": 10,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
}

WECHAT_TOKEN = "yizhan-test-token"
# 43 characters, as WeChat's EncodingAESKey.
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def wechat_settings(fake: FakeWeChat) -> dict[str, Any]:
    """Settings overrides pointing both WeChat accounts at the fake."""
    from pydantic import SecretStr

    return {
        "wechat_api_base": fake.base_url,
        "wechat_appid": "wx-official",
        "wechat_secret": SecretStr(fake.apps["wx-official"]),
        "wechat_token": SecretStr(WECHAT_TOKEN),
        "wechat_aes_key": SecretStr(WECHAT_AES_KEY),
        "miniprogram_appid": "wx-mini",
        "miniprogram_secret": SecretStr(fake.apps["wx-mini"]),
    }
