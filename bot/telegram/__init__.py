"""The Telegram channel: webhook surface, long polling, and the outbox senders.

`TelegramBot(services, client)` handles updates; `setup(app, bot)` mounts
`POST /telegram/webhook`; `poll(bot)` is long polling. Two outbox kinds, one Bot API client (and
so one rate limiter): "telegram_replies" (`REPLIES_KIND`, `TelegramBot.send`) carries the bot's
own replies to an update as ordered calls, "telegram" (`NOTICE_KIND`, `TelegramBot.send_notice`)
a `core.notices.Notice` rendered to one `sendMessage`. The client itself is
`integrations.TelegramClient`; the composition root (`yizhan/`) builds both and registers the
senders.
"""

from ._bot import ALLOWED_UPDATES, LIVE_REFRESH_SECONDS, REPLIES_KIND, Outcome, TelegramBot
from ._notices import NOTICE_KIND, TelegramNoticeSender, notice_call
from ._poll import poll, set_webhook
from ._render import calls_for, message_of
from ._webhook import BOT, SECRET_HEADER, setup

__all__ = [
    "ALLOWED_UPDATES",
    "BOT",
    "LIVE_REFRESH_SECONDS",
    "NOTICE_KIND",
    "REPLIES_KIND",
    "SECRET_HEADER",
    "Outcome",
    "TelegramBot",
    "TelegramNoticeSender",
    "calls_for",
    "message_of",
    "notice_call",
    "poll",
    "set_webhook",
    "setup",
]
