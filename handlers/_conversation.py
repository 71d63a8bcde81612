"""`Conversation`: a message in, replies out — the dispatcher every channel calls.

For each message it takes the user's lock (one message at a time per user, across processes),
loads the user's dialog state, walks the router tree and calls the first matching handler with
the dependencies it names. Errors become a short apology with the hotline, never a crash of the
channel.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from core.context import AppContext

from ._i18n import language_of, translator
from ._messages import Message, Reply, Text
from ._router import HandlerResult, Router
from ._state import Busy, DialogState, UserLock, user_key

log = logging.getLogger(__name__)

# name → factory(context): components other packages make injectable (see `provide`).
PROVIDERS: dict[str, Callable[[AppContext], Any]] = {}


def provide(name: str) -> Callable[[Callable[[AppContext], Any]], Callable[[AppContext], Any]]:
    """Decorator: make `factory(context)`'s result injectable into handlers as `name`.

    Called once per `Conversation`, on its first message (so the context has started)."""

    def register(factory: Callable[[AppContext], Any]) -> Callable[[AppContext], Any]:
        PROVIDERS[name] = factory
        return factory

    return register


def build_root(dialogs: Iterable[str] | None = None) -> Router:
    """The router tree: commands, registered dialogs, entry placeholders, stations, fallback."""
    from . import _menu, _stations
    from .dialogs import DIALOGS

    root = Router("root")
    root.include(_menu.commands)
    for dotted in DIALOGS if dialogs is None else dialogs:
        root.include(importlib.import_module(dotted).router)
    root.include(_menu.entries, _stations.router, _menu.fallback)
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
    def __init__(self, context: AppContext, *, root: Router | None = None) -> None:
        self.context = context
        self.root = root or build_root()
        self._provided: dict[str, Any] | None = None

    def dependencies(self) -> dict[str, Any]:
        ctx = self.context
        if self._provided is None:
            self._provided = {name: factory(ctx) for name, factory in PROVIDERS.items()}
        return {
            "context": ctx,
            "settings": ctx.settings,
            "db": ctx.db,
            "store": ctx.store,
            "clock": ctx.clock,
            "finder": ctx.finder,
            "conversation": self,
            **ctx.components,
            **self._provided,
        }

    async def handle(self, message: Message) -> list[Reply]:
        t = translator(message.language)
        user = user_key(message.channel, message.user_id)
        store = self.context.store
        try:
            async with UserLock(store, user, read=DialogState.key(user)) as lock:
                state = DialogState(store, user, lock.read_value)
                data = {
                    **self.dependencies(),
                    "message": message,
                    "state": state,
                    "raw_state": state.name,
                    "t": t,
                    "lang": language_of(message.language),
                    "user_key": user,
                }
                return _as_list(await self.root.dispatch(message, data))
        except Busy:
            return [Text(t("上一条消息还在处理，请稍等一下再发。"))]
        except Exception:
            log.exception("conversation failed for %s message from %s", message.kind, user)
            return [Text(t("抱歉，系统出了点问题，请稍后再试。急事请拨打职工服务热线 12351。"))]


def conversation_for(context: AppContext) -> Conversation:
    """The process's conversation for `context` (made once, kept in its components)."""
    found = context.components.get("conversation")
    if not isinstance(found, Conversation):
        found = context.components["conversation"] = Conversation(context)
    return found
