"""Senders that reach union staff chats through the outbox: Telegram groups (Bot API) and WeCom
group robots (webhook). `setup(app)` registers them on the process's dispatcher; the settings
are `TELEGRAM_BOT_TOKEN` / `TELEGRAM_API_BASE` and `WECOM_API_BASE` / `WECOM_FREQ_WAIT`.

Outbox kinds (payload: `core.notices.Notice.to_payload()`): "telegram" (recipient: chat id),
sent by the bot's notice sender (`bot.telegram`), and "wecom" (recipient: the robot's key), sent
by `WeComSender` over `integrations.WeComRobot`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from aiohttp import web
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.telegram import bot_of
from core.context import CONTEXT, AppContext
from core.outbox import dispatcher_of
from integrations import WeComRobot

from ._sender import WECOM_KIND, WeComSender, robot_text


class StaffChatSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    # Seconds to hold a robot after its rate-limit answer (45009); the limit is per minute.
    wecom_freq_wait: float = 60.0


def register_senders(context: AppContext, *, wecom_api_base: str | None = None) -> None:
    """Put the staff-chat senders on the dispatcher (kept if another module registered one)."""
    dispatcher = dispatcher_of(context)
    http = context.components.get("staff_http")
    if http is None:
        http = httpx.AsyncClient(timeout=10.0)
        context.components["staff_http"] = http
    chat_settings = StaffChatSettings()
    base = wecom_api_base or chat_settings.wecom_api_base
    robot = WeComRobot(http, base_url=base, freq_wait=chat_settings.wecom_freq_wait)
    dispatcher.register(WECOM_KIND, WeComSender(robot), replace=False)
    if context.settings.telegram_bot_token is not None:
        bot_of(context)  # registers the one "telegram" sender


def setup(app: web.Application) -> None:
    context = app[CONTEXT]
    register_senders(context)

    async def closing(app: web.Application) -> AsyncIterator[None]:
        yield
        http = context.components.pop("staff_http", None)
        if http is not None:
            await http.aclose()

    app.cleanup_ctx.append(closing)


__all__ = [
    "WECOM_KIND",
    "StaffChatSettings",
    "WeComSender",
    "register_senders",
    "robot_text",
    "setup",
]
