"""The Telegram channel: webhook surface, long polling, and the Bot API client.

`setup(app)` mounts `POST /telegram/webhook` (listed in `core.app.SURFACES`); `bot` is the
`yizhan bot` command group (`poll`, `set-webhook`). Replies leave through the outbox.
"""

from ._bot import KIND, LIVE_REFRESH_SECONDS, Outcome, TelegramBot, bot_of
from ._client import (
    RateLimiter,
    TelegramClient,
    TelegramError,
    TelegramRejected,
    TelegramRetry,
)
from ._render import calls_for, calls_of_payload, message_of
from ._webhook import SECRET_HEADER, setup
from .cli import bot, poll

__all__ = [
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
    "bot",
    "bot_of",
    "calls_for",
    "calls_of_payload",
    "message_of",
    "poll",
    "setup",
]
