"""Updates that can never be handled — not JSON, nested too deep, a field of the wrong type —
are answered 200 (`"outcome": "rejected"`) so Telegram stops re-sending them, logged once at
WARNING with what is wrong (never the values), and change nothing. Polling steps past them.
Wrong secrets are 401, and an address that keeps guessing gets 429 before any comparison."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.telegram import poll
from core.outbox import counts
from handlers import SERVICES_KEY, Services
from tests.fakes.telegram import WEBHOOK_HEADERS, FakeTelegram
from tests.test_telegram import LAT, LNG, app_client, location_update, text_update
from tests.test_telegram_poll import _context

__all__ = ["app_client"]  # the fixture, shared with tests/test_telegram.py


def _wrongly_typed() -> list[tuple[str, Any]]:
    good = location_update(900, LAT, LNG)
    from_string = location_update(901, LAT, LNG)
    from_string["message"]["from"] = "13812345678"  # a string, and a phone at that
    no_chat = text_update(902, "/help")
    del no_chat["message"]["chat"]
    bad_latitude = location_update(903, LAT, LNG)
    bad_latitude["message"]["location"]["latitude"] = [LAT]
    callback_from = {"update_id": 904, "callback_query": {"id": "cb", "from": 42, "data": "x"}}
    text_object = text_update(905, "/help")
    text_object["message"]["text"] = {"a": 1}
    language = text_update(906, "/help")
    language["message"]["from"]["language_code"] = 7
    return [
        ("from is a string", from_string),
        ("no chat", no_chat),
        ("latitude is a list", bad_latitude),
        ("callback from is a number", callback_from),
        ("text is an object", text_object),
        ("language_code is a number", language),
        ("message is a list", {"update_id": 907, "message": [good["message"]]}),
        ("update is a list", [good]),
    ]


@pytest.mark.parametrize("what", [w for w, _ in _wrongly_typed()])
async def test_a_wrongly_typed_update_is_answered_200_and_logged_once(
    what: str,
    app_client: TestClient,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    update = dict(_wrongly_typed())[what]
    ctx = app_client.app[SERVICES_KEY]
    with caplog.at_level(logging.INFO):
        resp = await app_client.post("/telegram/webhook", json=update, headers=WEBHOOK_HEADERS)
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"ok": True, "outcome": "rejected"}
    rejected = [r for r in caplog.records if "rejected update" in r.getMessage()]
    assert [r.levelno for r in rejected] == [logging.WARNING]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert "13812345678" not in caplog.text  # what is wrong, not what was sent
    assert await counts(ctx.db) == {}
    # Telegram re-sending it (our answer lost): the same answer, no second log line.
    with caplog.at_level(logging.INFO):
        again = await app_client.post("/telegram/webhook", json=update, headers=WEBHOOK_HEADERS)
    assert (await again.json())["outcome"] == "rejected"
    assert len([r for r in caplog.records if "rejected update" in r.getMessage()]) == (
        1 if isinstance(update, dict) and isinstance(update.get("update_id"), int) else 2
    )
    # The well-formed update after it is handled as usual.
    ok = await app_client.post(
        "/telegram/webhook", json=location_update(950, LAT, LNG), headers=WEBHOOK_HEADERS
    )
    assert (await ok.json())["outcome"] == "handled"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[" * 5000 + b"]" * 5000, b'{"a":' * 2000 + b"1" + b"}" * 2000, b"\xff"],
    ids=["not-json", "deep-list", "deep-object", "not-utf8"],
)
async def test_a_body_that_is_no_update_is_answered_200(
    body: bytes, app_client: TestClient, fake_telegram: FakeTelegram
) -> None:
    resp = await app_client.post("/telegram/webhook", data=body, headers=WEBHOOK_HEADERS)
    assert resp.status == 200
    assert (await resp.json())["outcome"] == "rejected"
    assert fake_telegram.calls == []


async def test_guessing_the_secret_is_refused_per_address(
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
) -> None:
    from tests.fakes.telegram import telegram_settings
    from yizhan.app import create_app

    ctx = backend(
        **telegram_settings(fake_telegram), auth_fail_limit=3, trusted_proxies="127.0.0.1"
    )
    client: TestClient = await aiohttp_client(create_app(ctx))
    update = location_update(960, LAT, LNG)
    guesser = {"X-Forwarded-For": "203.0.113.9"}
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess", **guesser}
    statuses = [
        (await client.post("/telegram/webhook", json=update, headers=wrong)).status
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    # Even the right secret from that address waits out the window...
    right_from_guesser = {**WEBHOOK_HEADERS, **guesser}
    blocked = await client.post("/telegram/webhook", json=update, headers=right_from_guesser)
    assert blocked.status == 429 and int(blocked.headers["Retry-After"]) > 0
    # ...while Telegram, at its own address, is not held up by someone else's guessing.
    telegram = {**WEBHOOK_HEADERS, "X-Forwarded-For": "149.154.167.1"}
    resp = await client.post("/telegram/webhook", json=update, headers=telegram)
    assert resp.status == 200 and (await resp.json())["outcome"] == "handled"


async def test_polling_steps_past_a_rejected_update(
    backend: Any, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    ctx, bot = await _context(backend, fake_telegram)
    broken = location_update(700, LAT, LNG)
    broken["message"]["from"] = "someone"
    try:
        fake_telegram.push(broken)
        fake_telegram.push(text_update(701, "/help"))
        with caplog.at_level(logging.INFO):
            assert await poll(bot, timeout=0, rounds=2, retry_pause=0) == 1
        assert fake_telegram.offsets == [None, 702]  # both acknowledged: neither comes back
        rejected = [r for r in caplog.records if "rejected update 700" in r.getMessage()]
        assert len(rejected) == 1 and "from" in rejected[0].getMessage()
        await ctx.outbox.drain()
        assert len(fake_telegram.sent("sendMessage")) == 1  # the /help answer only
    finally:
        await bot.close()
        await ctx.close()


async def test_an_update_kind_set_to_null_is_rejected(
    app_client: TestClient, fake_telegram: FakeTelegram
) -> None:
    # Found by tests/test_routes_hostile.py: `callback_query: null` reached the bot and broke.
    for kind in ("callback_query", "message", "edited_message"):
        resp = await app_client.post(
            "/telegram/webhook", json={"update_id": 970, kind: None}, headers=WEBHOOK_HEADERS
        )
        assert resp.status == 200 and (await resp.json())["outcome"] == "rejected", kind
