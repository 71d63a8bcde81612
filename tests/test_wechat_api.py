"""The WeChat server API client against a local fake: shared access tokens, refresh after
WeChat rejects one, the content check, phone numbers and customer-service messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from handlers import Services
from integrations import (
    InvalidCode,
    OutOfWindow,
    Verdict,
    WeChatApi,
    WeChatNotConfigured,
    WeChatUnavailable,
)
from tests.fakes.wechat import FakeWeChat


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def _mini(fake: FakeWeChat, http: httpx.AsyncClient, ctx: Services) -> WeChatApi:
    return WeChatApi(fake.base_url, http, ctx.store, appid="wx-mini", secret="mini-secret")


async def test_token_fetched_once_and_shared_by_every_process(
    fake_wechat: FakeWeChat, http: httpx.AsyncClient, backend: Callable[..., Services]
) -> None:
    fake_wechat.token_delay = 0.2  # the refreshes overlap: all ten start before the first one ends
    processes = [_mini(fake_wechat, http, backend()) for _ in range(5)]
    tokens = await asyncio.gather(*(p.tokens.get() for p in processes for _ in range(2)))
    assert len(set(tokens)) == 1
    assert fake_wechat.count("/cgi-bin/token") == 1
    # A later call from any process reuses it.
    fake_wechat.phones["p1"] = "13800138000"
    assert await processes[3].phone_number("p1") == "13800138000"
    assert fake_wechat.count("/cgi-bin/token") == 1


async def test_rejected_token_is_refreshed_once_and_the_call_retried(
    fake_wechat: FakeWeChat, http: httpx.AsyncClient, backend: Callable[..., Services]
) -> None:
    ctx = backend()
    a, b = _mini(fake_wechat, http, ctx), _mini(fake_wechat, http, ctx)
    fake_wechat.phones["p1"] = "13800138000"
    await a.phone_number("p1")
    fake_wechat.revoke_tokens()  # WeChat now answers 40001 for the cached token
    results = await asyncio.gather(a.phone_number("p1"), b.phone_number("p1"))
    assert results == ["13800138000", "13800138000"]
    assert fake_wechat.count("/cgi-bin/token") == 2  # one refresh for both callers


async def test_token_is_refreshed_before_it_expires(
    fake_wechat: FakeWeChat, http: httpx.AsyncClient, backend: Callable[..., Services]
) -> None:
    ctx = backend()
    api = _mini(fake_wechat, http, ctx)
    await api.tokens.get()
    left = await ctx.store.ttl("wechat:token:wx-mini")
    # WeChat says 7200 s; we keep it at most 6900 s so it is replaced while still valid.
    assert left is not None and 6800 < left <= 6900


async def test_wrong_secret_and_missing_config(
    fake_wechat: FakeWeChat, http: httpx.AsyncClient, backend: Callable[..., Services]
) -> None:
    ctx = backend()
    wrong = WeChatApi(fake_wechat.base_url, http, ctx.store, appid="wx-mini", secret="nope")
    with pytest.raises(Exception) as info:
        await wrong.tokens.get()
    assert getattr(info.value, "errcode", None) == 40125
    unset = WeChatApi(fake_wechat.base_url, http, ctx.store, appid=None, secret=None)
    with pytest.raises(WeChatNotConfigured):
        await unset.send_text("o1", "hi")


async def test_unreachable_wechat_is_translated(
    http: httpx.AsyncClient, backend: Callable[..., Services]
) -> None:
    api = WeChatApi("http://127.0.0.1:9", http, backend().store, appid="a", secret="s")
    with pytest.raises(WeChatUnavailable):
        await api.code2session("c")


async def test_content_check_verdicts_and_failure_holds_for_review(
    fake_wechat: FakeWeChat, http: httpx.AsyncClient, backend: Callable[..., Services]
) -> None:
    api = _mini(fake_wechat, http, backend())
    fake_wechat.verdicts = {"赌博": "risky", "加微信": "review"}
    ok = await api.check_text("o1", "驿站的热水器坏了")
    assert ok.verdict is Verdict.PASS and ok.checked and ok.trace_id
    assert (await api.check_text("o1", "来赌博吧")).verdict is Verdict.RISKY
    assert (await api.check_text("o1", "有事加微信")).verdict is Verdict.REVIEW
    sent = next(body for path, _, body in fake_wechat.calls if path == "/wxa/msg_sec_check")
    assert sent == {"content": "驿站的热水器坏了", "version": 2, "scene": 2, "openid": "o1"}
    fake_wechat.sec_check_down = True
    held = await api.check_text("o1", "驿站的热水器坏了")
    assert held.verdict is Verdict.REVIEW and held.checked is False


async def test_customer_service_message_and_its_window(
    fake_wechat: FakeWeChat, http: httpx.AsyncClient, backend: Callable[..., Services]
) -> None:
    api = WeChatApi(
        fake_wechat.base_url, http, backend().store, appid="wx-official", secret="official-secret"
    )
    await api.send_text("o-worker", "离您最近的驿站：新华广场驿站")
    assert fake_wechat.sent == [
        {
            "touser": "o-worker",
            "msgtype": "text",
            "text": {"content": "离您最近的驿站：新华广场驿站"},
        }
    ]
    fake_wechat.window_closed.add("o-gone")
    with pytest.raises(OutOfWindow):
        await api.send_text("o-gone", "你好")


async def test_login_code_works_once(
    fake_wechat: FakeWeChat, http: httpx.AsyncClient, backend: Callable[..., Services]
) -> None:
    api = _mini(fake_wechat, http, backend())
    fake_wechat.codes["c1"] = ("o-mini-1", "SESSIONKEY==")
    session = await api.code2session("c1")
    assert session.openid == "o-mini-1" and session.session_key == "SESSIONKEY=="
    assert "SESSIONKEY" not in repr(session)
    with pytest.raises(InvalidCode):
        await api.code2session("c1")
    with pytest.raises(InvalidCode):
        await api.phone_number("unknown")
