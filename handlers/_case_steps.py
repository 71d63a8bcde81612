"""What the feedback and legal-aid dialogs share: their button prefix, the filter for typed
answers, button rows and the location keyboard."""

from __future__ import annotations

from ._i18n import Translator
from ._menu import ENTRY_POINTS, every_language
from ._messages import Button, Keyboard, KeyButton, Message
from ._router import KindIs, Predicate

WORKER = "rf:"  # the worker's dialog buttons
_MENU = frozenset(
    w.lower()
    for label in (*(e[0] for e in ENTRY_POINTS), "附近驿站", "帮助")
    for w in every_language(label)
)


def is_menu_or_command(message: Message) -> bool:
    text = (message.text or "").strip()
    return text.startswith("/") or text.lower() in _MENU


free_text = KindIs("text") & ~Predicate(is_menu_or_command)


def button_rows(buttons: list[Button], per_row: int = 2) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def location_keyboard(t: Translator) -> Keyboard:
    return Keyboard(
        ((KeyButton(t("发送位置"), request="location"),), (KeyButton(t("取消")),)), one_time=True
    )
