"""Notices to Telegram: the outbox sender for kind "telegram" (`core.notices.TELEGRAM`).

A row's payload is `Notice.to_payload()`; it becomes one `sendMessage` to the row's recipient
(a chat id): the text, and the notice's buttons as an inline keyboard whose presses come back
as `callback_data`. The footer is for chats without buttons: it is left out when the notice has
buttons and appended to the text when it has none. Page and template are for other channels.
"""

from __future__ import annotations

import logging
from typing import Any

from core.logging import mask_pii
from core.notices import TELEGRAM, Notice
from core.outbox import GiveUp, OutboxMessage, RetryLater
from handlers import localize_notice
from integrations import TelegramClient, TelegramRejected, TelegramRetry

from ._render import Call

log = logging.getLogger(__name__)

NOTICE_KIND = TELEGRAM
MAX_TEXT = 4096  # sendMessage refuses longer texts


def notice_call(chat_id: str, notice: Notice) -> Call:
    """The `sendMessage` call that shows `notice` in `chat_id`."""
    text = notice.text
    if notice.footer and not notice.buttons:
        text = f"{text}\n{notice.footer}" if text else notice.footer
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text[:MAX_TEXT],
        "link_preview_options": {"is_disabled": True},
    }
    if notice.buttons:
        params["reply_markup"] = {
            "inline_keyboard": [
                [{"text": action.text, "callback_data": action.data} for action in row]
                for row in notice.buttons
            ]
        }
    return {"method": "sendMessage", "params": params}


class TelegramNoticeSender:
    """Outbox sender for kind "telegram": one notice, one message. Shares the bot's
    `TelegramClient` (and so its rate limiter) with the replies sender."""

    def __init__(self, client: TelegramClient) -> None:
        self.client = client

    async def __call__(self, row: OutboxMessage) -> dict[str, Any] | None:
        return await send_notice_with(self.client, row)


async def send_notice_with(
    client: TelegramClient, row: OutboxMessage, *, language: str = "zh"
) -> dict[str, Any]:
    """`language`: the recipient's; a worker's notice is rebuilt in it from its template."""
    notice = localize_notice(Notice.from_payload(row.payload or {}), language)
    if not notice.text and not notice.footer:
        raise GiveUp("telegram: the notice has no text")
    call = notice_call(row.recipient, notice)
    try:
        result = await client.call(call["method"], call["params"])
    except TelegramRetry as exc:
        raise RetryLater(str(exc), retry_after=exc.retry_after) from exc
    except TelegramRejected as exc:
        # Telegram will never take it (bot blocked, chat gone): dead, with the reason for staff.
        log.warning("telegram: outbox #%s given up: %s", row.id, mask_pii(str(exc)))
        raise GiveUp(str(exc)) from exc
    return {"message_ids": [result.get("message_id") if isinstance(result, dict) else None]}
