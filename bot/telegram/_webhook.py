"""`POST /telegram/webhook`: Telegram's pushes. Answers fast; replies go through the outbox.

Telegram sends an update again, for up to a day, for as long as the answer is not 2xx. So an
update that passed the secret check but can never be handled (not JSON, nested too deep, a
field of the wrong type) is answered 200 `{"outcome": "rejected"}` and logged once, at WARNING,
with what is wrong; a wrong secret is 401, and repeated wrong secrets from one address are
refused with 429 before they are compared (`core.guard`)."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging

from aiohttp import web

from core.guard import AuthFailures
from core.http import Problem, parse_json
from core.store import StoreError

from ._bot import UPDATE_TTL, Outcome, TelegramBot
from ._update import rejected_because

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT = web.AppKey("telegram_bot", TelegramBot)
REJECTED = "rejected"


def _authorised(request: web.Request) -> bool:
    secret = request.app[BOT].context.settings.telegram_webhook_secret
    if secret is None or not secret.get_secret_value():
        return False  # no secret configured: nobody can prove to be Telegram, so refuse all
    given = request.headers.get(SECRET_HEADER, "")
    return hmac.compare_digest(given.encode(), secret.get_secret_value().encode())


async def webhook(request: web.Request) -> web.Response:
    failures = AuthFailures.of(request, "telegram_webhook")
    await failures.check()
    if not _authorised(request):
        await failures.record()
        raise Problem(401, "未通过身份验证", "Telegram 密钥不对，请求已拒绝。")
    try:
        update = parse_json(await request.read())  # orjson, with the depth limit
    except Problem as problem:
        return await _rejected(request, None, problem.detail)
    reason = rejected_because(update)
    if reason is not None:
        return await _rejected(request, update, reason)
    outcome = await request.app[BOT].process(update)
    return web.Response(body=_ANSWERS[outcome], content_type="application/json")


async def _rejected(request: web.Request, update: object, reason: str) -> web.Response:
    """Answer 200 "rejected"; log it once per update (a re-sent copy, when our first answer
    was lost, is answered the same without a second line)."""
    update_id = update.get("update_id") if isinstance(update, dict) else None
    first = True
    if isinstance(update_id, int):
        store = request.app[BOT].context.store
        with contextlib.suppress(StoreError):  # without the store: log it again, no harm
            key = f"tg:rejected:{update_id}"
            first = await store.set(key, "1", ttl=UPDATE_TTL, only_new=True)
    if first:
        shown = update_id if isinstance(update_id, int) else "?"  # only Telegram's own number
        log.warning("telegram: rejected update %s: %s", shown, reason)
    return web.Response(body=_ANSWERS[REJECTED], content_type="application/json")


# The possible answers, encoded once: this is the busiest endpoint.
_ANSWERS = {
    outcome: json.dumps({"ok": True, "outcome": outcome}).encode()
    for outcome in (*(o.value for o in Outcome), REJECTED)
}


def setup(app: web.Application, bot: TelegramBot) -> None:
    """Mount `POST /telegram/webhook` for `bot`. The composition root stops the outbox before
    `bot.close()`, so no delivery runs on a closed client."""
    app[BOT] = bot
    app.router.add_post("/telegram/webhook", webhook)
