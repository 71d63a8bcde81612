"""Secrets never reach the log: every secret set to a marker, outbound calls made the way the
clients make them, all logging at DEBUG through `configure_logging`, and the output grepped."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.logging import configure_logging, redact_secrets
from integrations import TelegramClient
from tests.fakes.telegram import FakeTelegram

MARKERS = {
    "secret": "MARKER-APPSECRET",
    "js_code": "MARKER-JSCODE",
    "access_token": "MARKER-ACCESSTOKEN",
    "key": "MARKER-WECOMKEY",
}
BOT_TOKEN = "987654321:MARKER-BOT-token_x"


@pytest.fixture
def captured_log() -> Iterator[io.StringIO]:
    """Everything the app's own logging set-up writes, at DEBUG."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging("DEBUG", stream=out)
    try:
        yield out
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


async def _anything(request: web.Request) -> web.Response:
    status = 500 if request.path.startswith("/fail") else 200
    return web.json_response({"errcode": 0}, status=status)


async def test_outbound_secrets_are_redacted_at_debug(
    captured_log: io.StringIO,
    fake_telegram: FakeTelegram,
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _anything)
    server = await aiohttp_server(app)
    base = str(server.make_url("/")).rstrip("/")
    async with httpx.AsyncClient() as http:
        # The Bot API client as the wiring builds it; the fake answers with "unauthorized".
        telegram = TelegramClient(http, BOT_TOKEN, base_url=fake_telegram.base_url, attempts=1)
        with pytest.raises(Exception):  # noqa: B017 - only the log matters here
            await telegram.call("sendMessage", {"chat_id": 1, "text": "您好"})
        calls: list[tuple[str, dict[str, Any]]] = [
            (
                "/sns/jscode2session",
                {
                    "appid": "wx-mini",
                    "secret": MARKERS["secret"],
                    "js_code": MARKERS["js_code"],
                    "grant_type": "authorization_code",
                },
            ),
            ("/cgi-bin/token", {"grant_type": "client_credential", "secret": MARKERS["secret"]}),
            ("/cgi-bin/message/custom/send", {"access_token": MARKERS["access_token"]}),
            ("/cgi-bin/webhook/send", {"key": MARKERS["key"]}),
        ]
        for path, params in calls:
            await http.post(base + path, params=params, json={})
        # A failure logged with its traceback: httpx names the URL in the exception.
        failing = await http.get(base + "/fail", params={"access_token": MARKERS["access_token"]})
        try:
            failing.raise_for_status()
        except httpx.HTTPStatusError:
            logging.getLogger("tests.outbound").exception("call failed")
    text = captured_log.getvalue()
    assert "HTTP Request" in text and "Traceback" in text  # the calls were logged at all
    assert "jscode2session" in text and "webhook/send" in text
    for marker in (*MARKERS.values(), BOT_TOKEN, BOT_TOKEN.split(":")[1]):
        assert marker not in text
    assert "<redacted>" in text


def test_redaction_leaves_ordinary_text_alone() -> None:
    line = "GET /api/v1/stations/nearby?lat=40.8&lng=111.6&service=toilet_guidance EventKey=附近"
    assert redact_secrets(line) == line
    assert redact_secrets("/bot123:abc-DEF_9/getMe?x=1") == "/bot<redacted>/getMe?x=1"


async def test_client_log_lines_are_redacted_for_every_handler(
    caplog: pytest.LogCaptureFixture,
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    """Not only through our own handler: a log collector's (here pytest's) gets httpx's request
    lines with the secrets already cut out (the filter is set when `integrations` is imported,
    as this module does)."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _anything)
    server = await aiohttp_server(app)
    base = str(server.make_url("/")).rstrip("/")
    caplog.set_level(logging.INFO, logger="httpx")
    async with httpx.AsyncClient() as http:
        await http.get(f"{base}/sns/jscode2session", params={"secret": MARKERS["secret"]})
        await http.post(f"{base}/bot{BOT_TOKEN}/getFile", json={})
    assert "jscode2session" in caplog.text and "getFile" in caplog.text
    assert MARKERS["secret"] not in caplog.text and BOT_TOKEN.split(":")[1] not in caplog.text
