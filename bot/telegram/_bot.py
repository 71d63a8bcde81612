"""`TelegramBot`: one update in, replies durably queued out — shared by the webhook and polling.

An update is claimed in the shared store by its `update_id` before anything happens, so a
duplicate (Telegram re-sends when our answer was slow or lost) is caught in every process; the
claim turns into a day-long "done" mark only after the replies are committed to the outbox, and
is dropped when handling fails, so Telegram's retry is handled instead of being lost.

Replies go to the outbox (`core.outbox`) as one row of kind "telegram_replies" per update —
`{"calls": [{"method", "params"}, …]}`, the pin and its details in order — delivered by the dispatcher with retries; a call that already went out is remembered in
the store, so a retry after a partial failure does not send the pin twice. A photo sent in a
private chat is fetched into the media store first (`_photos.py`). A call Telegram
rejects for good (4xx) makes the row dead with the error, never "sent".
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Any

from core.logging import mask_pii
from core.outbox import GiveUp, OutboxMessage, RetryLater
from handlers import Services, language_for
from integrations import TelegramClient, TelegramError, TelegramRejected, TelegramRetry

from ._commit import GroupCommit
from ._notices import NOTICE_KIND, send_notice_with
from ._photos import keep_photo
from ._render import Call, alert_of, calls_for, is_private, message_of

log = logging.getLogger(__name__)

REPLIES_KIND = "telegram_replies"  # outbox kind of the bot's own replies to an update
UPDATE_TTL = 24 * 3600.0  # Telegram keeps an unanswered update for at most 24 hours
CLAIM_TTL = 60.0  # a process that died while handling an update gives it up after this
LIVE_REFRESH_SECONDS = 180.0  # a live location answers again at most this often per user
PROGRESS_TTL = 7 * 24 * 3600.0
_NOT_MODIFIED = "message is not modified"  # Telegram's 400 for an edit to the same content
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


class TelegramBot:
    """`client` is the Bot API client (None while no TELEGRAM_BOT_TOKEN is configured); the
    composition root makes one per process, so replies and notices share its rate limiter."""

    def __init__(self, services: Services, client: TelegramClient | None) -> None:
        self.context = services
        self._client = client
        self._tasks: set[asyncio.Task[Any]] = set()
        self._commits = GroupCommit(services.db)
        self._username: str | None = None  # the bot's, from getMe, asked once per process

    def client(self) -> TelegramClient | None:
        """The Bot API client; None while no TELEGRAM_BOT_TOKEN is configured."""
        return self._client

    async def close(self) -> None:
        """Cancel the spinner-stopping calls still in flight (the HTTP client is shared)."""
        for task in list(self._tasks):
            task.cancel()

    # -- inbound ---------------------------------------------------------------------------

    async def process(self, update: dict[str, Any]) -> Outcome:
        update_id = update.get("update_id")
        if not isinstance(update_id, int):
            return Outcome.IGNORED
        store = self.context.store
        key = f"tg:update:{update_id}"
        if not await store.set(key, "busy", ttl=CLAIM_TTL, only_new=True):
            return Outcome.DUPLICATE
        try:
            outcome = await self._handle(update, update_id)
        except BaseException:
            await store.delete(key)  # let Telegram's retry of this update through
            raise
        await store.set(key, "done", ttl=UPDATE_TTL)
        return outcome

    async def username(self) -> str:
        """The bot's username (getMe), asked once per process; "" while it cannot be had."""
        if self._username is None:
            client = self.client()
            if client is None:
                return ""
            try:
                me = await client.call("getMe", {})
            except TelegramError as exc:
                log.info("telegram: getMe failed: %s", exc)
                return ""  # asked again next time
            self._username = str(me.get("username", "")) if isinstance(me, dict) else ""
        return self._username

    def _in_group(self, update: dict[str, Any]) -> bool:
        raw = update.get("message") or (update.get("callback_query") or {}).get("message") or {}
        chat = raw.get("chat") if isinstance(raw, dict) else None
        return isinstance(chat, dict) and not is_private(chat)

    async def _handle(self, update: dict[str, Any], update_id: int) -> Outcome:
        # Only a group needs the link to the private chat: private chats skip the lookup.
        username = await self.username() if self._in_group(update) else ""
        parsed = message_of(update, username=username)
        if parsed is None:
            return Outcome.IGNORED
        message, _ = parsed
        if message.live and not await self.context.store.set(
            f"tg:live:{message.user_id}", "1", ttl=LIVE_REFRESH_SECONDS, only_new=True
        ):
            return Outcome.IGNORED  # a live location moves every few seconds: refresh rarely
        services = self.context
        message = await keep_photo(
            message, self.client(), services.media, max_bytes=services.settings.media_max_bytes
        )
        try:
            replies = await self.context.conversation.handle(message)
        except BaseException:
            if message.kind == "button":
                self._answer_callback(message.message_id, "")
            raise
        if message.kind == "button":
            # Refusals and "already done" go to the presser alone, as an alert on the button.
            alert, replies = alert_of(replies)
            self._answer_callback(message.message_id, alert)
        calls = calls_for(message.chat_id, replies, card_id=message.card_id)
        if calls:
            await self.queue(message.chat_id, calls, dedupe_key=f"update:{update_id}")
        return Outcome.HANDLED

    def _answer_callback(self, query_id: str, alert: str) -> None:
        """Stop the button's spinner, with `alert` shown to the presser alone when there is one.
        Not queued: it only matters for a few seconds, and a lost one costs nothing but the
        alert (a refusal changed nothing)."""
        client = self.client()
        if client is None or not query_id:
            return
        params: dict[str, Any] = {"callback_query_id": query_id}
        if alert:
            params.update(text=alert, show_alert=True)

        async def answer() -> None:
            try:
                await client.call("answerCallbackQuery", params)
            except TelegramError as exc:
                log.info("telegram: answerCallbackQuery failed: %s", exc)

        task = asyncio.create_task(answer())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def queue(self, chat_id: str, calls: list[Call], *, dedupe_key: str | None) -> bool:
        """Commit `calls` to the outbox as one ordered delivery; False if already queued."""
        added = await self._commits.add(REPLIES_KIND, chat_id, {"calls": calls}, dedupe_key)
        self.context.outbox.wake()
        return added

    # -- outbound (the outbox sender) ------------------------------------------------------

    async def send_notice(self, row: OutboxMessage) -> dict[str, Any] | None:
        """The sender for kind "telegram" (a `core.notices.Notice`), on the bot's client."""
        client = self.client()
        if client is None:
            raise RetryLater("TELEGRAM_BOT_TOKEN 未配置")
        # A worker's notice in the language they chose (a staff group has none: as it is).
        language = await language_for(self.context.store, NOTICE_KIND, row.recipient)
        return await send_notice_with(client, row, language=language)

    async def send(self, row: OutboxMessage) -> dict[str, Any] | None:
        """The sender for kind "telegram_replies": the row's calls in order, each sent once."""
        client = self.client()
        if client is None:
            raise RetryLater("TELEGRAM_BOT_TOKEN 未配置")
        calls: list[Call] = list((row.payload or {}).get("calls") or [])
        store = self.context.store
        progress = f"tg:sent:{row.id}"
        done = int(await store.get(progress) or 0)
        sent: list[Any] = []
        for position in range(done, len(calls)):
            call = calls[position]
            try:
                result = await client.call(call["method"], call["params"])
            except TelegramRetry as exc:
                raise RetryLater(str(exc), retry_after=exc.retry_after) from exc
            except TelegramRejected as exc:
                if _NOT_MODIFIED in str(exc):
                    result = None  # an edit that changes nothing: the chat already shows it
                else:
                    # Telegram will never take this call (bad request, bot blocked, chat gone):
                    # the row goes dead with the reason, for `yizhan outbox status` and staff to
                    # see, instead of "sent" with the rest of the delivery silently lost. The
                    # progress mark stays, so the calls before it are never sent again.
                    log.warning(
                        "telegram: outbox #%s gave up at call %d of %d: %s",
                        row.id,
                        position + 1,
                        len(calls),
                        mask_pii(str(exc)),
                    )
                    raise GiveUp(
                        f"{exc} (call {position + 1} of {len(calls)}, {position} sent before it)"
                    ) from exc
            await store.set(progress, str(position + 1), ttl=PROGRESS_TTL)
            sent.append(result.get("message_id") if isinstance(result, dict) else None)
        return {"message_ids": sent}
