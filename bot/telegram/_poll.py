"""Long polling (`yizhan bot poll`, for local use) and webhook registration (`yizhan bot
set-webhook URL`); the commands themselves are in `yizhan.commands`."""

from __future__ import annotations

import asyncio
import logging

import click

from integrations import TelegramClient, TelegramError

from ._bot import ALLOWED_UPDATES, TelegramBot
from ._update import rejected_because

log = logging.getLogger(__name__)


async def poll(
    bot: TelegramBot, *, timeout: int = 25, rounds: int | None = None, retry_pause: float = 3.0
) -> int:
    """Fetch updates and handle them one by one. An update is acknowledged (the next
    `offset` moves past it) only after it was handled and its replies committed, so a crash
    or a failure gets it again. Returns how many updates were handled."""
    client = bot.client()
    if client is None:
        raise click.ClickException("没有配置 TELEGRAM_BOT_TOKEN，无法连接 Telegram。")
    # getUpdates does not work while a webhook is set; pending updates are kept.
    await client.call("deleteWebhook", {"drop_pending_updates": False})
    offset: int | None = None
    handled = 0
    done_rounds = 0
    while rounds is None or done_rounds < rounds:
        done_rounds += 1
        try:
            updates = await client.call(
                "getUpdates",
                {"offset": offset, "timeout": timeout, "allowed_updates": list(ALLOWED_UPDATES)},
                timeout=timeout + 10,
            )
        except TelegramError as exc:
            log.warning("telegram: getUpdates failed: %s", exc)
            await asyncio.sleep(retry_pause)
            continue
        for update in updates if isinstance(updates, list) else []:
            reason = rejected_because(update)
            if reason is not None:
                # Never handled, however often it is fetched: step past it, logged once.
                log.warning("telegram: rejected update %s: %s", _update_id(update), reason)
                if isinstance(update, dict) and isinstance(update.get("update_id"), int):
                    offset = update["update_id"] + 1
                continue
            try:
                await bot.process(update)
            except Exception:
                log.exception(
                    "telegram: update %s failed; it will be fetched again", update.get("update_id")
                )
                await asyncio.sleep(retry_pause)
                break  # offset stays: the same update comes back with the next getUpdates
            offset = int(update["update_id"]) + 1
            handled += 1
    return handled


def _update_id(update: object) -> str:
    found = update.get("update_id") if isinstance(update, dict) else None
    return str(found) if isinstance(found, int) else "?"  # only Telegram's own number


async def set_webhook(client: TelegramClient, url: str, secret: str) -> None:
    await client.call(
        "setWebhook",
        {
            "url": url,
            "secret_token": secret,
            "allowed_updates": list(ALLOWED_UPDATES),
            "drop_pending_updates": False,
        },
    )
