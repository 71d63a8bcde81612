"""Long polling, `yizhan bot set-webhook`, and the Bot API client's own manners."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.telegram import TelegramBot, poll
from handlers import Services
from integrations import RateLimiter, TelegramClient, TelegramRejected, TelegramRetry
from tests.fakes.telegram import WEBHOOK_SECRET, FakeTelegram
from tests.stations import HOHHOT, add_stations, station
from tests.test_telegram import location_update, text_update
from yizhan.wiring import build_channels, register_senders

LAT, LNG = HOHHOT


async def _context(backend: Any, fake: FakeTelegram) -> tuple[Services, TelegramBot]:
    """Services as `yizhan bot poll` wires them: the bot, its senders registered."""
    ctx: Services = backend(
        telegram_bot_token=SecretStr(fake.token), telegram_api_base=fake.base_url
    )
    await ctx.start()
    await add_stations(ctx, station("NEAR", LAT + 0.001, LNG, name="新华广场驿站"))
    channels = build_channels(ctx)
    register_senders(ctx, channels)
    return ctx, channels.telegram


async def test_poll_answers_and_acknowledges_only_handled_updates(
    backend: Any,
    fake_telegram: FakeTelegram,
) -> None:
    ctx, bot = await _context(backend, fake_telegram)
    try:
        fake_telegram.push(location_update(500, LAT, LNG))
        fake_telegram.push(text_update(501, "/help"))
        assert await poll(bot, timeout=0, rounds=2, retry_pause=0) == 2
        assert fake_telegram.offsets == [None, 502]  # the second fetch confirmed both
        assert fake_telegram.sent("deleteWebhook")  # getUpdates needs the webhook off
        await ctx.outbox.drain()
        (venue,) = fake_telegram.sent("sendVenue")
        assert venue.params["title"] == "新华广场驿站"
        assert len(fake_telegram.sent("sendMessage")) == 2
    finally:
        await bot.close()
        await ctx.close()


async def test_poll_does_not_acknowledge_an_update_that_failed(
    backend: Any,
    fake_telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx, bot = await _context(backend, fake_telegram)
    real_queue = bot.queue
    failures = [RuntimeError("database went away")]

    async def flaky_queue(*args: Any, **kwargs: Any) -> bool:
        if failures:
            raise failures.pop()
        return await real_queue(*args, **kwargs)

    monkeypatch.setattr(bot, "queue", flaky_queue)
    try:
        fake_telegram.push(location_update(600, LAT, LNG))
        assert await poll(bot, timeout=0, rounds=1, retry_pause=0) == 0
        # Still pending.
        assert fake_telegram.updates and fake_telegram.updates[0]["update_id"] == 600
        assert await poll(bot, timeout=0, rounds=2, retry_pause=0) == 1
        assert fake_telegram.offsets[-1] == 601
        await ctx.outbox.drain()
        assert len(fake_telegram.sent("sendVenue")) == 1
    finally:
        await bot.close()
        await ctx.close()


async def _yizhan(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "core",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode()


async def test_set_webhook_registers_url_with_the_secret(
    fake_telegram: FakeTelegram,
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        TELEGRAM_BOT_TOKEN=fake_telegram.token,
        TELEGRAM_API_BASE=fake_telegram.base_url,
    )
    code, out = await _yizhan(
        "bot", "set-webhook", "https://yz.example.cn/telegram/webhook", env=env, cwd=tmp_path
    )
    assert code != 0 and "TELEGRAM_WEBHOOK_SECRET" in out
    assert fake_telegram.calls == []
    env["TELEGRAM_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    code, out = await _yizhan(
        "bot", "set-webhook", "http://insecure.example.cn/hook", env=env, cwd=tmp_path
    )
    assert code != 0 and "https://" in out
    code, out = await _yizhan(
        "bot", "set-webhook", "https://yz.example.cn/telegram/webhook", env=env, cwd=tmp_path
    )
    assert code == 0, out
    (call,) = fake_telegram.sent("setWebhook")
    assert call.params["url"] == "https://yz.example.cn/telegram/webhook"
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert set(call.params["allowed_updates"]) == {"message", "edited_message", "callback_query"}


async def test_client_keeps_to_the_per_chat_rate(fake_telegram: FakeTelegram) -> None:
    async with httpx.AsyncClient() as http:
        client = TelegramClient(
            http,
            fake_telegram.token,
            base_url=fake_telegram.base_url,
            limiter=RateLimiter(per_chat=10, chat_burst=2, overall=1000),
        )
        await asyncio.gather(
            *(client.call("sendMessage", {"chat_id": 1, "text": str(i)}) for i in range(6)),
            client.call("sendMessage", {"chat_id": 2, "text": "other"}),
        )
    chat1 = sorted(c.at for c in fake_telegram.calls if c.params["chat_id"] == 1)
    other = next(c.at for c in fake_telegram.calls if c.params["chat_id"] == 2)
    # A burst of 2, then one every 0.1 s: the sixth goes out ≥ 0.4 s after the first.
    assert chat1[-1] - chat1[0] >= 0.35
    assert other - chat1[0] < 0.2  # another chat does not queue behind chat 1


async def test_client_errors_say_whether_to_retry(fake_telegram: FakeTelegram) -> None:
    async with httpx.AsyncClient() as http:
        client = TelegramClient(
            http, fake_telegram.token, base_url=fake_telegram.base_url, backoff=0.01
        )
        fake_telegram.fail_next("sendMessage", 429, retry_after=600)  # too long to wait in-line
        with pytest.raises(TelegramRetry) as retry:
            await client.call("sendMessage", {"chat_id": 1, "text": "x"})
        assert retry.value.retry_after == 600
        fake_telegram.fail_next("sendMessage", 503, times=4)
        with pytest.raises(TelegramRetry):
            await client.call("sendMessage", {"chat_id": 1, "text": "x"})
        fake_telegram.fail_next("sendMessage", 503, times=2)
        assert (await client.call("sendMessage", {"chat_id": 1, "text": "y"}))["text"] == "y"
        bad = TelegramClient(http, "wrong:token", base_url=fake_telegram.base_url)
        with pytest.raises(TelegramRejected) as rejected:
            await bad.call("sendMessage", {"chat_id": 1, "text": "x"})
        assert rejected.value.status == 401
        # Nothing at all listening: a retryable error, not a crash.
        gone = TelegramClient(
            http, fake_telegram.token, base_url="http://127.0.0.1:9", backoff=0.01
        )
        with pytest.raises(TelegramRetry):
            await gone.call("getMe")


def test_bot_without_token_has_no_client(backend: Any) -> None:
    assert build_channels(backend()).telegram.client() is None
