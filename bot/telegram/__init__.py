"""The Telegram channel: webhook surface, long polling, and the outbox senders.

`setup(app)` mounts `POST /telegram/webhook` (listed in `core.app.SURFACES`); `bot` is the
`yizhan bot` command group (`poll`, `set-webhook`). Two outbox kinds, one Bot API client (and so
one rate limiter): "telegram_replies" (`REPLIES_KIND`, `TelegramBot.send`) carries the bot's own
replies to an update as ordered calls, "telegram" (`NOTICE_KIND`, `TelegramNoticeSender` or
`TelegramBot.send_notice`) a `core.notices.Notice` rendered to one `sendMessage`. The client
itself is `integrations.TelegramClient`.
"""

from ._bot import LIVE_REFRESH_SECONDS, REPLIES_KIND, Outcome, TelegramBot, bot_of
from ._notices import NOTICE_KIND, TelegramNoticeSender, notice_call
from ._render import calls_for, message_of
from ._webhook import SECRET_HEADER, setup
from .cli import bot, poll

__all__ = [
    "LIVE_REFRESH_SECONDS",
    "NOTICE_KIND",
    "REPLIES_KIND",
    "SECRET_HEADER",
    "Outcome",
    "TelegramBot",
    "TelegramNoticeSender",
    "bot",
    "bot_of",
    "calls_for",
    "message_of",
    "notice_call",
    "poll",
    "setup",
]
