"""Staff chats on Telegram: the outbox sender for kind "telegram" (a group or a private chat).

Payload: `text`, and either Telegram's own `reply_markup` or channel-neutral `buttons`
(rows of `{"text", "data"}`) that become an inline keyboard. What the chat answers
(`message_id`) is kept in the outbox row, so a card can be edited later.
"""

from __future__ import annotations

from typing import Any

# TODO(bot.telegram door): import these from `bot.telegram` once its __init__ exports them.
from bot.telegram._client import TelegramClient, TelegramRejected, TelegramRetry
from core.outbox import GiveUp, OutboxMessage, RetryLater


def markup(payload: dict[str, Any]) -> dict[str, Any] | None:
    if payload.get("reply_markup"):
        return dict(payload["reply_markup"])
    rows = payload.get("buttons") or []
    if not rows:
        return None
    return {"inline_keyboard": [
        [{"text": b["text"], "callback_data": b["data"]} for b in row] for row in rows
    ]}


class TelegramSender:
    def __init__(self, client: TelegramClient) -> None:
        self.client = client

    async def __call__(self, message: OutboxMessage) -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": message.recipient,
                                  "text": str(message.payload.get("text", ""))[:4096]}
        keyboard = markup(message.payload)
        if keyboard:
            params["reply_markup"] = keyboard
        try:
            result = await self.client.call("sendMessage", params)
        except TelegramRetry as exc:
            raise RetryLater(str(exc), retry_after=exc.retry_after) from None
        except TelegramRejected as exc:
            if exc.status == 429:
                raise RetryLater(str(exc)) from None
            raise GiveUp(str(exc)) from None
        return {"message_id": (result or {}).get("message_id")}
