"""Senders that reach union staff chats through the outbox: Telegram groups (Bot API) and WeCom
group robots (webhook). The composition root calls `register_senders`; the settings are
`TELEGRAM_BOT_TOKEN` / `TELEGRAM_API_BASE` and `WECOM_API_BASE` / `WECOM_FREQ_WAIT`.

Outbox kinds: "telegram" (recipient: chat id) and "wecom_robot" (recipient: the robot's key).
Kind "telegram" has one sender, the bot's own (`bot.telegram.bot_of`), which reads both
documented payload shapes (`bot.telegram.calls_of_payload`); registering a second sender for the
same kind made rows of the other shape count as sent without a call.
"""

from __future__ import annotations

import httpx

from core.outbox import Dispatcher
from core.settings import Settings

from ._wecom import WeComRobot


def register_senders(outbox: Dispatcher, http: httpx.AsyncClient, settings: Settings) -> None:
    """Put the staff-chat senders on the dispatcher (the Telegram one is the bot's own)."""
    robot = WeComRobot(http, base_url=settings.wecom_api_base, freq_wait=settings.wecom_freq_wait)
    outbox.register("wecom_robot", robot)


__all__ = ["WeComRobot", "register_senders"]
