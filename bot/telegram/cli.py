"""`yizhan bot poll` (long polling for local use) and `yizhan bot set-webhook URL`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

import click

from core.context import AppContext
from core.outbox import dispatcher_of
from core.settings import get_settings
from integrations import TelegramClient, TelegramError

from ._bot import ALLOWED_UPDATES, bot_of

log = logging.getLogger(__name__)
_SECRET_OK = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


async def poll(
    context: AppContext, *, timeout: int = 25, rounds: int | None = None, retry_pause: float = 3.0
) -> int:
    """Fetch updates and handle them one by one. An update is acknowledged (the next
    `offset` moves past it) only after it was handled and its replies committed, so a crash
    or a failure gets it again. Returns how many updates were handled."""
    bot = bot_of(context)
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
        for update in updates or []:
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


@click.group("bot")
def bot() -> None:
    """Telegram bot: long polling and webhook registration."""


@bot.command("poll")
@click.option("--timeout", default=25, show_default=True, help="Long-poll timeout in seconds.")
def poll_command(timeout: int) -> None:
    """Answer Telegram through long polling (local use; production uses the webhook)."""

    async def run() -> None:
        context = AppContext.from_settings(get_settings())
        await context.start()
        dispatcher = dispatcher_of(context)
        bot_of(context)
        dispatcher.start()
        click.echo("正在从 Telegram 接收消息，按 Ctrl+C 停止。")
        try:
            await poll(context, timeout=timeout)
        finally:
            await dispatcher.stop()
            await bot_of(context).close()
            await context.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@bot.command("set-webhook")
@click.argument("url")
def set_webhook_command(url: str) -> None:
    """Register URL (https://…/telegram/webhook) as the bot's webhook, with the secret."""
    settings = get_settings()
    secret = settings.telegram_webhook_secret
    if not url.startswith("https://"):
        raise click.ClickException("Telegram 只接受 https:// 开头的地址。")
    if secret is None or not _SECRET_OK.match(secret.get_secret_value()):
        raise click.ClickException(
            "请先设置 TELEGRAM_WEBHOOK_SECRET（1–256 个字母、数字、_ 或 -）。"
        )

    async def run() -> None:
        context = AppContext.from_settings(settings)
        client = bot_of(context).client()
        try:
            if client is None:
                raise click.ClickException("没有配置 TELEGRAM_BOT_TOKEN，无法连接 Telegram。")
            await set_webhook(client, url, secret.get_secret_value())
        except TelegramError as exc:
            raise click.ClickException(f"Telegram 拒绝了设置：{exc}") from exc
        finally:
            await bot_of(context).close()
            await context.close()

    asyncio.run(run())
    click.echo(f"已设置 Webhook：{url}")
