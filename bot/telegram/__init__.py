"""The Telegram channel: webhook surface, long polling, and the Bot API client.

`TelegramBot(services)` handles updates and is the outbox sender for its replies;
`setup(app, bot)` mounts `POST /telegram/webhook`; `poll(bot)` is long polling. The
composition root (`yizhan/`) builds the bot, mounts it and registers its sender.
"""

from ._bot import ALLOWED_UPDATES, KIND, LIVE_REFRESH_SECONDS, Outcome, TelegramBot
from ._client import (
    RateLimiter,
    TelegramClient,
    TelegramError,
    TelegramRejected,
    TelegramRetry,
)
from ._poll import poll, set_webhook
from ._render import calls_for, calls_of_payload, message_of
from ._webhook import BOT, SECRET_HEADER, setup

__all__ = [
    "ALLOWED_UPDATES",
    "BOT",
    "KIND",
    "LIVE_REFRESH_SECONDS",
    "SECRET_HEADER",
    "Outcome",
    "RateLimiter",
    "TelegramBot",
    "TelegramClient",
    "TelegramError",
    "TelegramRejected",
    "TelegramRetry",
    "calls_for",
    "calls_of_payload",
    "message_of",
    "poll",
    "set_webhook",
    "setup",
]
