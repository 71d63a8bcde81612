"""`Conversation`: a message in, replies out — the dispatcher every channel calls.

For each message it takes the user's lock (one message at a time per user, across processes),
loads the user's dialog state, walks the router tree and calls the first matching handler with
the dependencies it names. Errors become a short apology with the hotline, never a crash of the
channel.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from core.store import Store

from ._i18n import language_of, translator
from ._intents import offered_station, remember_offered
from ._language import chosen_language
from ._messages import Message, Reply, Text
from ._router import HandlerResult, Router
from ._state import Busy, DialogState, UserLock, user_key

log = logging.getLogger(__name__)


class Injectables(Protocol):
    """What the conversation needs of the services (`handlers.Services` is one): the store for
    locks and dialog state, and the values handlers may name as parameters."""

    store: Store

    def injectable(self) -> dict[str, Any]: ...


def build_root(dialogs: Iterable[Router] = ()) -> Router:
    """The router tree: what a group may hear (staff business; workers are pointed to the
    private chat), `/start <payload>`, the language switch, commands, free text understood
    (`_intents`), the dialogs given (in order), entry placeholders, stations, silence for the
    rest of a group's talk, fallback. The composition root names the dialogs
    (`yizhan.wiring.DIALOGS`)."""
    from . import _intents, _language, _menu, _private, _stations

    root = Router("root")
    said, understood = _intents.router_for(root)
    root.include(
        _private.groups, _private.deep_links, _language.router, _menu.commands, said, understood
    )
    for dialog in dialogs:
        root.include(dialog)
    root.include(_intents.human, _menu.entries, _stations.router, _private.silence, _menu.fallback)
    return root


def _as_list(result: HandlerResult) -> list[Reply]:
    if result is None:
        return []
    if type(result) is list:  # the usual answer; skips the slower ABC check below
        return result
    if isinstance(result, Sequence):
        return list(result)
    return [result]


class Conversation:
    """`extra`: more injectable values beside the services' fields (a test's own helpers)."""

    def __init__(
        self, services: Injectables, root: Router, *, extra: Mapping[str, Any] | None = None
    ) -> None:
        self.services = services
        self.root = root
        self.extra = dict(extra or {})
        self._injectable: dict[str, Any] | None = None

    def dependencies(self) -> dict[str, Any]:
        """What handlers may ask for by parameter name: every field of `Services`, `extra`."""
        if self._injectable is None:
            self._injectable = {**self.services.injectable(), **self.extra}
        return self._injectable

    async def handle(self, message: Message) -> list[Reply]:
        user = user_key(message.channel, message.user_id)
        store = self.services.store
        # The worker's own choice (/lang) wins over what their app reports: many Chinese
        # riders' phones say "en".
        tag = await chosen_language(store, user) or message.language
        t = translator(tag)
        try:
            async with UserLock(store, user, read=DialogState.key(user)) as lock:
                state = DialogState(store, user, lock.read_value)
                data = {
                    **self.dependencies(),
                    "message": message,
                    "state": state,
                    "raw_state": state.name,
                    "t": t,
                    "lang": language_of(tag),
                    "user_key": user,
                }
                replies = _as_list(await self.root.dispatch(message, data))
                offered = offered_station(replies)
                if offered is not None:  # what "关门了" is about
                    await remember_offered(store, user, offered)
                return replies
        except Busy:
            return [Text(t("上一条消息还在处理，请稍等一下再发。"))]
        except Exception:
            log.exception("conversation failed for %s message from %s", message.kind, user)
            return [Text(t("抱歉，系统出了点问题，请稍后再试。急事请拨打职工服务热线 12351。"))]
