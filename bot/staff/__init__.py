"""Senders that reach union staff chats through the outbox: Telegram groups (Bot API) and WeCom
group robots (webhook). `setup(app)` registers them on the process's dispatcher; the settings
are `TELEGRAM_BOT_TOKEN` / `TELEGRAM_API_BASE` and `WECOM_API_BASE` / `WECOM_FREQ_WAIT`.

Outbox kinds: "telegram" (recipient: chat id) and "wecom_robot" (recipient: the robot's key).
Kind "telegram" has one sender, the bot's own (`bot.telegram.bot_of`), which reads both
documented payload shapes (`bot.telegram.calls_of_payload`); registering a second sender for the
same kind made rows of the other shape count as sent without a call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from aiohttp import web
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.telegram import bot_of
from core.context import CONTEXT, AppContext
from core.notices import WECOM
from core.outbox import dispatcher_of

from ._wecom import WeComRobot


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
    dispatcher.register("wecom_robot", robot, replace=False)
    # Temporary (until the integrations/notice renderers land): notices to WeCom chats are
    # queued under their channel's name; the robot renders their text and footer.
    dispatcher.register(WECOM, robot, replace=False)
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


__all__ = ["StaffChatSettings", "WeComRobot", "register_senders", "setup"]
