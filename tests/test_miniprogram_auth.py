"""Mini-program log-in through the wired app and a fake WeChat: the code exchange, the session
token as a bearer, what a client never sees (the session key), log-out, and rate limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from handlers import SERVICES_KEY, Services
from miniprogram_api import api_route, check_text, phone_number, require_user
from tests.fakes.wechat import FakeWeChat, wechat_settings
from yizhan.app import create_app


async def _whoami(request: web.Request) -> web.Response:
    user = await require_user(request)
    return web.json_response({"openid": user.openid})


async def _echo_checked(request: web.Request) -> web.Response:
    user = await require_user(request)
    body = await request.json()
    verdict = await check_text(request, user, body["text"])
    phone = await phone_number(request, body["phone_code"]) if "phone_code" in body else None
    return web.json_response(
        {"verdict": verdict.verdict.value, "checked": verdict.checked, "phone": phone}
    )


@pytest.fixture
async def api(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> TestClient:
    ctx = backend(
        **wechat_settings(fake_wechat), miniprogram_rate_per_ip=1000, miniprogram_rate_per_user=8
    )
    app = create_app(ctx)
    # A route like the ones teammates add, to see the helper from the outside.
    api_route(app, "GET", "/api/v1/test/whoami", _whoami, auth=True, summary="test")
    api_route(app, "POST", "/api/v1/test/checked", _echo_checked, auth=True, summary="test")
    return await aiohttp_client(app)


async def _login(api: TestClient, fake: FakeWeChat, code: str = "c1") -> str:
    fake.codes[code] = (f"o-{code}", "SECRET-SESSION-KEY")
    resp = await api.post("/api/v1/auth/login", json={"code": code})
    assert resp.status == 200, await resp.text()
    text = await resp.text()
    assert "SECRET-SESSION-KEY" not in text
    body = await resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    return str(body["token"])


async def test_login_then_bearer_gives_the_user(api: TestClient, fake_wechat: FakeWeChat) -> None:
    token = await _login(api, fake_wechat)
    resp = await api.get("/api/v1/test/whoami", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200
    assert await resp.json() == {"openid": "o-c1"}
    exchanged = next(q for p, q, _ in fake_wechat.calls if p == "/sns/jscode2session")
    assert exchanged["js_code"] == "c1" and exchanged["appid"] == "wx-mini"


async def test_missing_wrong_or_tampered_tokens_get_401(
    api: TestClient, fake_wechat: FakeWeChat
) -> None:
    token = await _login(api, fake_wechat)
    head, payload, mac = token.split(".")
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    for header in [
        None,
        "Bearer",
        "Bearer nonsense",
        f"Basic {token}",
        f"Bearer {head}.{payload}.{flipped}",
        f"Bearer {head}.e30.{mac}",
    ]:
        headers = {"Authorization": header} if header else {}
        resp = await api.get("/api/v1/test/whoami", headers=headers)
        assert resp.status == 401, header
        assert resp.content_type == "application/problem+json"
        assert (await resp.json())["title"] == "请先登录"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_expired_session_and_logout(api: TestClient, fake_wechat: FakeWeChat) -> None:
    ctx = api.app[SERVICES_KEY]
    token = await _login(api, fake_wechat)
    auth = {"Authorization": f"Bearer {token}"}
    ctx.clock.advance(timedelta(days=8))
    assert (await api.get("/api/v1/test/whoami", headers=auth)).status == 401
    ctx.clock.advance(timedelta(days=-8))
    assert (await api.post("/api/v1/auth/logout", headers=auth)).status == 204
    assert (await api.get("/api/v1/test/whoami", headers=auth)).status == 401


async def test_bad_codes_and_bodies(api: TestClient, fake_wechat: FakeWeChat) -> None:
    resp = await api.post("/api/v1/auth/login", json={"code": "never-issued"})
    assert resp.status == 401
    assert "重新打开小程序" in (await resp.json())["detail"]
    resp = await api.post("/api/v1/auth/login", json={})
    assert resp.status == 422
    assert "登录凭证" in (await resp.json())["detail"]
    resp = await api.post("/api/v1/auth/login", data=b"{not json")
    assert resp.status == 400
    # A used code cannot be replayed.
    await _login(api, fake_wechat, "c2")
    again = await api.post("/api/v1/auth/login", json={"code": "c2"})
    assert again.status == 401


async def test_wechat_down_is_503_not_500(api: TestClient, fake_wechat: FakeWeChat) -> None:
    await fake_wechat.close()
    resp = await api.post("/api/v1/auth/login", json={"code": "c1"})
    assert resp.status == 503
    assert (await resp.json())["title"] == "微信暂时连不上"


async def test_per_user_rate_limit_answers_429_with_retry_after(
    api: TestClient, fake_wechat: FakeWeChat
) -> None:
    token = await _login(api, fake_wechat)
    auth = {"Authorization": f"Bearer {token}"}
    statuses = [(await api.get("/api/v1/services", headers=auth)).status for _ in range(9)]
    assert statuses == [200] * 8 + [429]
    resp = await api.get("/api/v1/services", headers=auth)
    assert resp.status == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert "秒后再试" in (await resp.json())["detail"]
    # Another user behind the same address is not held back.
    other = await _login(api, fake_wechat, "c9")
    resp = await api.get("/api/v1/services", headers={"Authorization": f"Bearer {other}"})
    assert resp.status == 200


async def test_per_ip_rate_limit(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: Callable[..., Any]
) -> None:
    ctx = backend(
        **wechat_settings(fake_wechat), miniprogram_rate_per_ip=3, miniprogram_rate_per_user=100
    )
    client = await aiohttp_client(create_app(ctx))
    statuses = [(await client.get("/api/v1/services")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # Outside /api/v1 nothing is limited.
    assert (await client.get("/healthz")).status == 200


async def test_content_check_and_phone_helpers_for_route_modules(
    api: TestClient, fake_wechat: FakeWeChat
) -> None:
    token = await _login(api, fake_wechat)
    auth = {"Authorization": f"Bearer {token}"}
    fake_wechat.verdicts = {"代开发票": "risky"}
    fake_wechat.phones = {"pc-1": "13912345678"}
    ok = await api.post(
        "/api/v1/test/checked",
        headers=auth,
        json={"text": "驿站门口的灯坏了", "phone_code": "pc-1"},
    )
    assert await ok.json() == {"verdict": "pass", "checked": True, "phone": "13912345678"}
    sent = next(body for path, _, body in fake_wechat.calls if path == "/wxa/msg_sec_check")
    assert sent["openid"] == "o-c1"  # checked as the logged-in user
    risky = await api.post("/api/v1/test/checked", headers=auth, json={"text": "代开发票"})
    assert (await risky.json())["verdict"] == "risky"
    fake_wechat.sec_check_down = True
    held = await api.post("/api/v1/test/checked", headers=auth, json={"text": "驿站门口的灯坏了"})
    assert await held.json() == {"verdict": "review", "checked": False, "phone": None}
    bad_phone = await api.post(
        "/api/v1/test/checked", headers=auth, json={"text": "x", "phone_code": "expired"}
    )
    assert bad_phone.status == 400
    assert "获取手机号" in (await bad_phone.json())["detail"]
