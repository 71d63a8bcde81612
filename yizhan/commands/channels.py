"""`yizhan bot …` (Telegram long polling and webhook registration), `yizhan wechat menu` (the
Official Account's menu), `yizhan chat` (the terminal channel) and `yizhan outbox …`
(delivering what waits to go out)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys

import click

from bot.console import quiet_logs, run_session
from bot.telegram import poll, set_webhook
from bot.wechat import official_menu
from core.outbox import counts
from core.settings import get_settings
from handlers import Services
from integrations import TelegramError, WeChatApiError, WeChatError, WeChatNotConfigured
from locations import load_demo_if_empty

from ..wiring import build_channels, register_senders, running
from ._run import run

_SECRET_OK = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


@click.group("bot")
def bot() -> None:
    """Telegram bot: long polling and webhook registration."""


@bot.command("poll")
@click.option("--timeout", default=25, show_default=True, help="Long-poll timeout in seconds.")
def poll_command(timeout: int) -> None:
    """Answer Telegram through long polling (local use; production uses the webhook)."""

    async def main() -> None:
        async with running(get_settings(), finder=True) as services:
            channels = build_channels(services)
            register_senders(services, channels)
            telegram = channels.telegram
            services.outbox.start()
            click.echo("正在从 Telegram 接收消息，按 Ctrl+C 停止。")
            try:
                await poll(telegram, timeout=timeout)
            finally:
                await services.outbox.stop()
                await telegram.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


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

    async def work(services: Services) -> None:
        client = build_channels(services).telegram.client()
        if client is None:
            raise click.ClickException("没有配置 TELEGRAM_BOT_TOKEN，无法连接 Telegram。")
        try:
            await set_webhook(client, url, secret.get_secret_value())
        except TelegramError as exc:
            raise click.ClickException(f"Telegram 拒绝了设置：{exc}") from exc

    run(work)
    click.echo(f"已设置 Webhook：{url}")


@click.group("wechat")
def wechat() -> None:
    """WeChat Official Account: its custom menu."""


@wechat.command("menu")
@click.option("--show", is_flag=True, help="Print the menu as JSON instead of sending it.")
def wechat_menu(show: bool) -> None:
    """Create the Official Account's menu (找驿站 / 入会 / 求助) from the code."""
    menu = official_menu()
    if show:
        click.echo(json.dumps(menu, ensure_ascii=False, indent=2))
        return

    async def work(services: Services) -> None:
        official = build_channels(services).wechat.official
        try:
            await official.create_menu(menu)
        except WeChatNotConfigured:
            raise click.ClickException(
                "没有配置 WECHAT_APPID 和 WECHAT_SECRET，无法设置公众号菜单。"
            ) from None
        except WeChatApiError as exc:
            raise click.ClickException(
                f"微信拒绝了这个菜单（错误码 {exc.errcode}：{exc.errmsg}）。"
            ) from None
        except WeChatError as exc:
            raise click.ClickException(f"连不上微信，请稍后再试：{exc}") from None

    run(work, upgrade=False)
    buttons = "、".join(top["name"] for top in menu["button"])
    click.echo(f"已设置公众号菜单：{buttons}。微信客户端最长 5 分钟后显示新菜单。")


@click.command("chat")
@click.option(
    "--lang", "language", default="zh", show_default=True, help="Language of the answers: zh or en."
)
@click.option("--user", default="local", show_default=True, help="Who you are in the chat.")
def chat(language: str, user: str) -> None:
    """Talk to the bot in the terminal: type text, or @40.84,111.75 to share a location."""
    quiet_logs()

    async def main() -> None:
        async with running(get_settings()) as services:
            loaded = await load_demo_if_empty(services.db, services.store)
            if loaded:
                click.echo(f"数据库里还没有驿站，已载入 {loaded} 个演示驿站（虚构数据）。")
            await services.start(upgrade=False)
            await run_session(services, sys.stdin, user=user, language=language)

    asyncio.run(main())


@click.group()
def outbox() -> None:
    """Messages waiting to go out (staff chats, worker notifications)."""


@outbox.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
def outbox_run(once: bool) -> None:
    """Deliver outbox messages until interrupted (`yizhan serve` does this too)."""

    async def main() -> None:
        async with running(get_settings()) as services:
            channels = build_channels(services)
            register_senders(services, channels)
            dispatcher = services.outbox
            try:
                if once:
                    await dispatcher.drain(timeout=600)
                else:
                    await dispatcher.run_forever()
            finally:
                await channels.telegram.close()
            click.echo(f"已发送 {dispatcher.delivered} 条，失败 {dispatcher.failed} 次。")

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


@outbox.command("status")
def outbox_status() -> None:
    """Count outbox messages by status."""

    async def work(services: Services) -> dict[str, int]:
        return await counts(services.db)

    found = run(work, upgrade=False)
    labels = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "dead": "已放弃"}
    for status, label in labels.items():
        click.echo(f"{label}：{found.get(status, 0)}")
