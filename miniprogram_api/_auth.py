"""Mini-program log-in: `wx.login` code → `jscode2session` → a signed session token.

The token is `v1.<payload>.<mac>`: base64url JSON `{"sid", "oid", "iat"}` and its HMAC-SHA256
under a key derived from the mini-program secret. The session itself (with WeChat's session key,
which never leaves the server) lives in the store under `mp:session:<sid>`, so a log-out or an
expired session ends the token even while its MAC is still good.

For other routes: `user = await require_user(request)` gives the `MiniUser` or raises a 401
problem; `await phone_number(request, code)` and `await check_text(request, user, text)` wrap
the WeChat calls with Chinese problems.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel, Field

from core.http import Problem, json_response
from handlers import SERVICES_KEY
from integrations import ContentCheck, InvalidCode, WeChatApi, WeChatError, WeChatNotConfigured

from ._routes import api_route, read_body

SESSION_TTL_S = 7 * 24 * 3600
# OpenAPI link parameters: the token a log-in returns, and the one a request was made with.
BEARER_FROM_LOGIN = {"header.Authorization": "Bearer {$response.body#/token}"}
SAME_BEARER = {"header.Authorization": "$request.header.Authorization"}
_KEY_LABEL = b"yizhan/miniprogram-session/v1"
# The mini-program's WeChat API client (login, phone numbers, content checks), handed in by the
# composition root.
WECHAT = web.AppKey("miniprogram_wechat", WeChatApi)


@dataclass(frozen=True)
class MiniUser:
    """A logged-in mini-program user."""

    openid: str
    session_id: str
    unionid: str | None = None


class LoginRequest(BaseModel):
    code: str = Field(
        min_length=1,
        max_length=128,
        title="登录凭证 code",
        description="`wx.login` 返回的 code，只能用一次",
    )


class LoginResponse(BaseModel):
    token: str = Field(description="以后的请求放在 `Authorization: Bearer <token>` 里")
    token_type: str = "Bearer"
    expires_in: int = Field(description="有效秒数")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signing_key(request: web.Request) -> bytes:
    settings = request.app[SERVICES_KEY].settings
    if settings.miniprogram_secret is None:
        raise Problem(503, "小程序登录暂未开通", "请稍后再试，或先在公众号里查找驿站。")
    secret = settings.miniprogram_secret.get_secret_value().encode()
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def sign_token(key: bytes, session_id: str, openid: str, issued_at: int) -> str:
    payload = _b64(json.dumps({"sid": session_id, "oid": openid, "iat": issued_at}).encode())
    mac = hmac.new(key, f"v1.{payload}".encode(), hashlib.sha256).digest()
    return f"v1.{payload}.{_b64(mac)}"


def verify_token(key: bytes, token: str, now: float) -> tuple[str, str] | None:
    """(session id, openid) when the MAC is right and the token is not expired, else None."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != "v1":
        return None
    expected = hmac.new(key, f"v1.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        given = _unb64(parts[2])
        if not hmac.compare_digest(expected, given):
            return None
        payload = json.loads(_unb64(parts[1]))
        sid, oid, iat = payload["sid"], payload["oid"], int(payload["iat"])
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(sid, str) and isinstance(oid, str)) or not iat <= now < iat + SESSION_TTL_S:
        return None
    return sid, oid


def bearer_openid(request: web.Request) -> str | None:
    """The openid a well-signed bearer token claims, without asking the store (rate limits)."""
    header = request.headers.get("Authorization", "")
    if (
        not header.startswith("Bearer ")
        or request.app[SERVICES_KEY].settings.miniprogram_secret is None
    ):
        return None
    now = request.app[SERVICES_KEY].clock.now().timestamp()
    found = verify_token(_signing_key(request), header[7:].strip(), now)
    return found[1] if found else None


def _unauthorized() -> Problem:
    return Problem(
        401,
        "请先登录",
        "登录已过期或无效，请重新打开小程序。",
        headers={"WWW-Authenticate": 'Bearer realm="yizhan"'},
    )


async def require_user(request: web.Request) -> MiniUser:
    """The logged-in user behind `Authorization: Bearer …`, or a 401 problem."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise _unauthorized()
    context = request.app[SERVICES_KEY]
    found = verify_token(_signing_key(request), header[7:].strip(), context.clock.now().timestamp())
    if found is None:
        raise _unauthorized()
    sid, openid = found
    raw = await context.store.get(f"mp:session:{sid}")
    if raw is None:
        raise _unauthorized()
    session = json.loads(raw)
    if not hmac.compare_digest(str(session.get("openid", "")), openid):
        raise _unauthorized()
    return MiniUser(openid=openid, session_id=sid, unionid=session.get("unionid"))


async def session_key(request: web.Request, user: MiniUser) -> str | None:
    """WeChat's session key for this session (to decrypt `wx.getUserInfo`-style data)."""
    raw = await request.app[SERVICES_KEY].store.get(f"mp:session:{user.session_id}")
    return None if raw is None else str(json.loads(raw).get("session_key")) or None


def _wechat_problem(exc: WeChatError) -> Problem:
    if isinstance(exc, WeChatNotConfigured):
        return Problem(503, "小程序登录暂未开通", "请稍后再试，或先在公众号里查找驿站。")
    return Problem(503, "微信暂时连不上", "请稍后再试。", headers={"Retry-After": "5"})


async def login(request: web.Request) -> web.Response:
    body = await read_body(request, LoginRequest)
    key = _signing_key(request)
    context = request.app[SERVICES_KEY]
    try:
        session = await request.app[WECHAT].code2session(body.code)
    except InvalidCode:
        # 401, not 400: the request was well-formed, the credential in it was not good.
        raise Problem(401, "登录凭证无效", "登录凭证已过期或已用过，请重新打开小程序。") from None
    except WeChatError as exc:
        raise _wechat_problem(exc) from None
    sid = secrets.token_urlsafe(18)
    record = {
        "openid": session.openid,
        "session_key": session.session_key,
        "unionid": session.unionid,
    }
    await context.store.set(f"mp:session:{sid}", json.dumps(record), ttl=SESSION_TTL_S)
    token = sign_token(key, sid, session.openid, int(context.clock.now().timestamp()))
    return json_response(LoginResponse(token=token, expires_in=SESSION_TTL_S).model_dump())


async def logout(request: web.Request) -> web.Response:
    user = await require_user(request)
    await request.app[SERVICES_KEY].store.delete(f"mp:session:{user.session_id}")
    return web.Response(status=204)


async def phone_number(request: web.Request, code: str) -> str:
    """The phone number behind a `getPhoneNumber` button code, or a Chinese problem."""
    try:
        return await request.app[WECHAT].phone_number(code)
    except InvalidCode:
        raise Problem(400, "手机号授权无效", "授权已过期，请再点一次“获取手机号”。") from None
    except WeChatError as exc:
        raise _wechat_problem(exc) from None


async def check_text(
    request: web.Request, user: MiniUser, text: str, *, scene: int = 2
) -> ContentCheck:
    """WeChat's content check for what a user wrote. `verdict` is pass, review or risky; when
    the check could not be done the verdict is review (hold for a person), never a drop."""
    return await request.app[WECHAT].check_text(user.openid, text, scene=scene)


def setup(app: web.Application) -> None:
    api_route(
        app,
        "POST",
        "/api/v1/auth/login",
        login,
        body=LoginRequest,
        response=LoginResponse,
        errors=(401, 503),
        tags=("auth",),
        summary="用 wx.login 的 code 登录，换取会话令牌",
        operation_id="login",
        links={
            name: {"operationId": name, "parameters": dict(BEARER_FROM_LOGIN)}
            for name in ("enroll", "submitCase", "myCases")
        },
    )
    api_route(
        app, "POST", "/api/v1/auth/logout", logout, auth=True, tags=("auth",), summary="退出登录"
    )
