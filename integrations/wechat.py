"""The WeChat server API over httpx: access tokens, mini-program login, phone numbers, the content
check, customer-service messages, the Official Account's menu and any other `access_token` call (`WeChatApi.call`).

`WeChatApi(base_url, http, store, appid=…, secret=…)` is one account (the Official Account or the
mini-program) over the process's shared `httpx.AsyncClient` (a test passes one over
`httpx.MockTransport`); it never builds or closes one itself. Access tokens are shared by every
process through the `core.store.Store` (`AccessTokens`).

wechatpy's own client is blocking, so it is never used here; wechatpy serves only for signatures,
encryption, parsing and replies (see `_security.py`).

Exceptions (everything httpx or WeChat can throw is translated here and never leaks upward):

    WeChatError
    ├── WeChatNotConfigured   appid/secret missing in the settings
    ├── WeChatUnavailable     network error, timeout, 5xx or a body that is not JSON
    └── WeChatApiError        WeChat answered with a non-zero errcode
        ├── InvalidCredential the access token is invalid or expired (40001/42001/40014)
        ├── InvalidCode       a login or phone code is wrong, used or expired
        └── OutOfWindow       a customer-service message outside its 48-hour window / quota
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from core.store import Store

log = logging.getLogger(__name__)


class WeChatError(Exception):
    """Calling WeChat did not give the answer we needed."""


class WeChatNotConfigured(WeChatError):
    """The appid or secret for this WeChat account is not set."""


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached or answered with something that is not its API."""


class WeChatApiError(WeChatError):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class InvalidCredential(WeChatApiError):
    """The access token was rejected; the token manager refreshes it and retries once."""


class InvalidCode(WeChatApiError):
    """A `wx.login` or phone-number code was wrong, already used, or expired."""


class OutOfWindow(WeChatApiError):
    """The user has not written in 48 hours, or the customer-service quota is used up."""


TOKEN_INVALID_CODES = frozenset({40001, 42001, 40014})
CODE_INVALID_CODES = frozenset({40029, 40163, 40226, 45011})
WINDOW_CODES = frozenset({45015, 45047})


def _error_for(errcode: int, errmsg: str) -> WeChatApiError:
    if errcode in TOKEN_INVALID_CODES:
        return InvalidCredential(errcode, errmsg)
    if errcode in CODE_INVALID_CODES:
        return InvalidCode(errcode, errmsg)
    if errcode in WINDOW_CODES:
        return OutOfWindow(errcode, errmsg)
    return WeChatApiError(errcode, errmsg)


class Verdict(StrEnum):
    PASS = "pass"
    REVIEW = "review"
    RISKY = "risky"


@dataclass(frozen=True)
class ContentCheck:
    """What WeChat's content check said; `checked` is False when the check itself failed (the
    text is then held for review, never dropped)."""

    verdict: Verdict
    label: int | None = None
    trace_id: str | None = None
    checked: bool = True


@dataclass(frozen=True)
class MiniSession:
    """`jscode2session`'s answer. `session_key` is a secret: keep it server-side, never log it."""

    openid: str
    session_key: str
    unionid: str | None = None

    def __repr__(self) -> str:
        return f"MiniSession(openid={self.openid!r}, unionid={self.unionid!r})"


# WeChat answers within a second or two; the Official Account's passive-reply deadline is 5 s,
# so a call never waits longer than this, whatever the shared client's default is.
HTTP_TIMEOUT = httpx.Timeout(4.0, connect=2.0)

# Refresh this long before WeChat's stated expiry, so a token never dies in someone's hands.
TOKEN_MARGIN_S = 300.0
LOCK_TTL_S = 15.0
WAIT_STEP_S = 0.05


class AccessTokens:
    """One access token per appid, shared by every process through the store.

    Only one process refreshes at a time (a lock key in the store); the others wait for the
    token it writes. The token is kept `TOKEN_MARGIN_S` shorter than WeChat says, and dropped as
    soon as WeChat reports it invalid.
    """

    def __init__(self, api: WeChatApi, store: Store) -> None:
        self._api = api
        self._store = store
        self._key = f"wechat:token:{api.appid}"
        self._lock = f"wechat:token-lock:{api.appid}"

    async def get(self) -> str:
        deadline = asyncio.get_running_loop().time() + LOCK_TTL_S * 2
        while True:
            token = await self._store.get(self._key)
            if token:
                return token
            owner = uuid.uuid4().hex
            if await self._store.set(self._lock, owner, ttl=LOCK_TTL_S, only_new=True):
                try:
                    # Another process may have written a token between our read and our lock.
                    token = await self._store.get(self._key)
                    if token:
                        return token
                    token, expires_in = await self._api.fetch_access_token()
                    ttl = max(60.0, expires_in - TOKEN_MARGIN_S)
                    await self._store.set(self._key, token, ttl=ttl)
                    return token
                finally:
                    if await self._store.get(self._lock) == owner:
                        await self._store.delete(self._lock)
            if asyncio.get_running_loop().time() > deadline:
                raise WeChatUnavailable("timed out waiting for another process's token refresh")
            await asyncio.sleep(WAIT_STEP_S)

    async def invalidate(self, token: str) -> None:
        """Forget `token` if it is still the shared one (another process may have refreshed)."""
        if await self._store.get(self._key) == token:
            await self._store.delete(self._key)


class WeChatApi:
    """One WeChat account (the Official Account or the mini-program) over an httpx client."""

    def __init__(
        self,
        base_url: str,
        http: httpx.AsyncClient,
        store: Store,
        *,
        appid: str | None,
        secret: str | None,
        timeout: httpx.Timeout = HTTP_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid or ""
        self._secret = secret or ""
        self._http = http
        self._timeout = timeout
        self.tokens = AccessTokens(self, store)

    @property
    def configured(self) -> bool:
        return bool(self.appid and self._secret)

    def _require_config(self) -> None:
        if not self.configured:
            raise WeChatNotConfigured("appid and secret are not set")

    async def _request(
        self, method: str, path: str, *, params: dict[str, str], body: Any = None
    ) -> dict[str, Any]:
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"} if content else {}
        try:
            response = await self._http.request(
                method,
                f"{self.base_url}/{path}",
                params=params,
                content=content,
                headers=headers,
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            # `from None`: the request's URL (with the appsecret or a token) stays out of logs.
            raise WeChatUnavailable(f"{path}: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise WeChatUnavailable(f"{path}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise WeChatUnavailable(f"{path}: answer is not JSON") from None
        if not isinstance(data, dict):
            raise WeChatUnavailable(f"{path}: answer is not a JSON object")
        errcode = data.get("errcode", 0)
        if errcode not in (0, "0", None):
            try:
                code = int(errcode)
            except (TypeError, ValueError):
                raise WeChatUnavailable(f"{path}: errcode {errcode!r} is not a number") from None
            raise _error_for(code, str(data.get("errmsg", "")))
        return data

    async def fetch_access_token(self) -> tuple[str, float]:
        """Ask WeChat for a new token (use `tokens.get()`; this bypasses the shared cache)."""
        self._require_config()
        data = await self._request(
            "GET",
            "cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret,
            },
        )
        token, expires_in = data.get("access_token"), data.get("expires_in", 7200)
        if not isinstance(token, str) or not token:
            raise WeChatUnavailable("cgi-bin/token: no access_token in the answer")
        log.info("fetched a new WeChat access token for %s", self.appid)
        return token, float(expires_in)

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Call an API that takes `access_token`; a rejected token is refreshed and tried once
        more."""
        self._require_config()
        for attempt in (1, 2):
            token = await self.tokens.get()
            try:
                return await self._request(method, path, params={"access_token": token}, body=body)
            except InvalidCredential:
                await self.tokens.invalidate(token)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def code2session(self, code: str) -> MiniSession:
        """Exchange a mini-program `wx.login` code for the user's openid and session key."""
        self._require_config()
        data = await self._request(
            "GET",
            "sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self._secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        openid, session_key = data.get("openid"), data.get("session_key")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str):
            raise WeChatUnavailable("jscode2session: no openid in the answer")
        unionid = data.get("unionid")
        return MiniSession(openid, session_key, unionid if isinstance(unionid, str) else None)

    async def phone_number(self, code: str) -> str:
        """The phone number behind a `getPhoneNumber` code, with country code when not +86."""
        data = await self.call("POST", "wxa/business/getuserphonenumber", {"code": code})
        info = data.get("phone_info") or {}
        pure, country = info.get("purePhoneNumber"), str(info.get("countryCode") or "86")
        if not isinstance(pure, str) or not pure:
            raise WeChatUnavailable("getuserphonenumber: no phone number in the answer")
        return pure if country == "86" else f"+{country}{pure}"

    async def check_text(self, openid: str, content: str, *, scene: int = 2) -> ContentCheck:
        """WeChat's content check (`msg_sec_check` v2). Never raises: when the check cannot be
        done the text is held for review (`checked=False`), because dropping what a worker wrote
        would be worse than a person reading it. Scenes: 1 profile, 2 comment, 3 forum, 4 log."""
        try:
            data = await self.call(
                "POST",
                "wxa/msg_sec_check",
                {
                    "content": content,
                    "version": 2,
                    "scene": scene,
                    "openid": openid,
                },
            )
            result = data.get("result") or {}
            verdict = Verdict(str(result.get("suggest", "")).lower())
        except (WeChatError, ValueError) as exc:
            log.warning("content check failed, holding text for review: %s", exc)
            return ContentCheck(Verdict.REVIEW, checked=False)
        label = result.get("label")
        trace_id = data.get("trace_id")
        return ContentCheck(
            verdict,
            label=int(label) if isinstance(label, int | str) and str(label).isdigit() else None,
            trace_id=trace_id if isinstance(trace_id, str) else None,
        )

    async def create_menu(self, menu: dict[str, Any]) -> None:
        """Replace the Official Account's custom menu (`cgi-bin/menu/create`); WeChat's
        errcodes for a menu it refuses (40016–40019, 40023, …) raise `WeChatApiError`."""
        await self.call("POST", "cgi-bin/menu/create", menu)

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (Official Account), within 48 h of the user's last
        message; raises `OutOfWindow` outside it."""
        await self.call(
            "POST",
            "cgi-bin/message/custom/send",
            {
                "touser": openid,
                "msgtype": "text",
                "text": {"content": content},
            },
        )


__all__ = [
    "AccessTokens",
    "ContentCheck",
    "InvalidCode",
    "InvalidCredential",
    "MiniSession",
    "OutOfWindow",
    "Verdict",
    "WeChatApi",
    "WeChatApiError",
    "WeChatError",
    "WeChatNotConfigured",
    "WeChatUnavailable",
]
