"""Hostile bodies get a 4xx problem in Chinese, never a 500: JSON nested 100,000 deep, bodies
that trickle in, clients that hang up halfway (logged at INFO, without a traceback)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from aiohttp import web

import core.http
from core.http import MAX_JSON_DEPTH, Problem, parse_json
from handlers import SERVICES_KEY, Services
from tests.conftest import AppClient
from tests.fakes.wechat import FakeWeChat
from tests.unions import load_unions
from yizhan.app import create_app

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_parse_json_limits_depth_and_answers_in_chinese() -> None:
    assert parse_json(_nested(MAX_JSON_DEPTH)) is not None
    assert parse_json(b'{"code": "abc", "list": [1, {"x": null}]}') == {
        "code": "abc",
        "list": [1, {"x": None}],
    }
    assert parse_json(b"") is None and parse_json(b"  ") is None
    for raw in (_nested(MAX_JSON_DEPTH + 1), DEEP, DEEP_OBJECT):
        with pytest.raises(Problem) as caught:
            parse_json(raw)
        assert caught.value.status == 400
        assert "嵌套太深" in caught.value.detail or "不是有效的 JSON" in caught.value.detail
    with pytest.raises(Problem, match="不是有效的 JSON"):
        parse_json(b"\xff{")


async def _login(client: AppClient, fake: FakeWeChat) -> dict[str, str]:
    fake.codes["code-hostile"] = ("o-hostile", "session-key")
    answer = await client.post("/api/v1/auth/login", json={"code": "code-hostile"})
    assert answer.status == 200
    return {"Authorization": f"Bearer {(await answer.json())['token']}"}


async def test_deep_json_is_refused_on_every_body_reader(
    wechat_client: AppClient, fake_wechat: FakeWeChat
) -> None:
    services = wechat_client.app[SERVICES_KEY]
    await load_unions(services)
    _staff, staff_token = await services.directory.add_staff("王芳", ["HH-XC"])
    worker = await _login(wechat_client, fake_wechat)
    targets = [
        ("/api/v1/auth/login", {}),  # no sign-in needed
        ("/api/v1/cases", worker),
        ("/admin/v1/cases/1/reply", {"Authorization": f"Bearer {staff_token}"}),
    ]
    for path, headers in targets:
        for body in (DEEP, DEEP_OBJECT, _nested(MAX_JSON_DEPTH + 1)):
            answer = await wechat_client.post(
                path, data=body, headers={**headers, "Content-Type": "application/json"}
            )
            assert answer.status == 400, (path, answer.status, await answer.text())
            assert answer.content_type == "application/problem+json"
            problem = await answer.json()
            assert problem["title"] == "请求有误" and "JSON" in problem["detail"]


async def test_a_body_that_trickles_in_is_cut_off_with_408(
    client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.http, "BODY_TIMEOUT", 0.3)

    async def trickle():  # type: ignore[no-untyped-def]
        yield b'{"code":'
        await asyncio.sleep(1.0)
        yield b' "x"}'

    answer = await client.post(
        "/api/v1/auth/login", data=trickle(), headers={"Content-Type": "application/json"}
    )
    assert answer.status == 408
    assert (await answer.json())["title"] == "请求超时"


async def test_a_client_hanging_up_mid_body_is_logged_at_info_without_traceback(
    backend: Callable[..., Services], caplog: pytest.LogCaptureFixture
) -> None:
    # Served as `yizhan serve` serves (web.run_app): aiohttp's test server cancels a handler
    # whose client left, so the handler would never see the lost connection there.
    runner = web.AppRunner(create_app(backend()))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with caplog.at_level(logging.INFO):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"code": "ab'
            )
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.close()
            async with asyncio.timeout(5):
                while "client went away" not in caplog.text:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)  # anything aiohttp would log after the handler returns
    finally:
        await runner.cleanup()
    gone = [r for r in caplog.records if "client went away" in r.getMessage()]
    assert [r.levelno for r in gone] == [logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]
