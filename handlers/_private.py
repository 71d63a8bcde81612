"""Worker dialogs belong in a private chat; a group hears only staff business.

In a group (`Message.private` False: a union's staff group, or any group the bot was added
to) the bot answers a worker's command — a menu word, a command, a need, a place, a shared
location — with one short pointer and a link to its private chat carrying the command as the
start payload (`Message.direct_link` + payload), and nothing else: no keyboards, no personal
data, no case details. Ordinary chatter ("大家早上好") gets no reply. Staff cards' buttons and
a staff member's typed reply to a case go on to their handlers.

`/start <payload>` in the private chat then starts what was asked for (`START_PAYLOADS`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from membership import CALLBACK_PREFIX

from ._case_staff import STAFF
from ._i18n import Translator
from ._menu import every_language
from ._messages import Alert, Button, Message, Text
from ._router import Command, Data, InState, KindIs, Predicate, Router, Skip
from ._state import DialogState
from ._words import SYNONYMS

# Start payloads (A-Z, a-z, 0-9, _ and -) → the command that starts the dialog, and the menu
# words that mean it.
START_PAYLOADS: dict[str, tuple[str, str]] = {
    "join": ("/join", "一键入会"),
    "feedback": ("/feedback", "反馈问题"),
    "legal": ("/legal", "法律援助"),
    "member": ("/member", "我的会员"),
    "cases": ("/cases", "我的求助"),
    "near": ("/near", "附近驿站"),
    "help": ("/help", "帮助"),
    "lang": ("/lang", "语言"),
}
_BY_WORD = {
    word.lower(): payload
    for payload, (_command, label) in START_PAYLOADS.items()
    for word in every_language(label)
}
_BY_COMMAND = {command[1:]: payload for payload, (command, _label) in START_PAYLOADS.items()}
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def in_group(message: Message) -> bool:
    return not message.private


groups = Router("groups", filters=[Predicate(in_group)])
silence = Router("groups.silence", filters=[Predicate(in_group)])

# Staff business, answered in the group by its own handlers.
staff_traffic = Data(f"{CALLBACK_PREFIX}:") | Data(STAFF) | InState("casestaff")


def worker_request(message: Message) -> dict[str, Any] | bool:
    """What a worker asked for in a group, as a start payload; False for chatter."""
    if message.kind in ("location", "contact", "media"):
        return {"start": "near" if message.kind == "location" else "help"}
    text = (message.text or "").strip()
    if text.startswith("/"):
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return {"start": _BY_COMMAND.get(name, "help")}
    if text.lower() in _BY_WORD:
        return {"start": _BY_WORD[text.lower()]}
    # A need said on its own ("厕所") is a request; a sentence that mentions a station or a
    # place ("海东路驿站今天人多") is talk among the group, staff groups above all.
    if text.lower() in SYNONYMS:
        return {"start": "near"}
    return False


@groups.message(~staff_traffic, Predicate(worker_request))
async def to_private_chat(message: Message, start: str, t: Translator) -> Text:
    """One short pointer, with the link that opens the private chat at the asked-for step."""
    text = t("这里是群聊。为保护您的信息，找驿站、入会、求助请私聊我办理。")
    if not message.direct_link:
        return Text(text)
    return Text(text, buttons=((Button(t("私聊驿站通"), url=message.direct_link + start),),))


@groups.message(KindIs("button"), ~staff_traffic)
async def stale_group_button(t: Translator) -> Alert:
    return Alert(t("请私聊我办理。"))


@groups.message(~staff_traffic)
async def chatter() -> None:
    """Ordinary group talk is not for the bot."""
    return None


@silence.message()
async def nothing_for_the_group() -> None:
    """Whatever the dialogs let through in a group (a staff member's words in another chat
    than the one their reply was asked in) gets no answer: never the worker's fallback."""
    return None


def start_command(args: str) -> str | None:
    """The command a `/start` payload stands for; None for an unknown or missing one."""
    if not args or not _PAYLOAD.match(args):
        return None
    found = START_PAYLOADS.get(args)
    return found[0] if found else None


# `/start <payload>` in a private chat: tried before /start itself (`build_root`).
deep_links = Router("start.payload")


@deep_links.message(Command("start"), Predicate(lambda m: not in_group(m)))
async def start_from_link(message: Message, args: str, state: DialogState, **data: Any) -> Any:
    """`/start join` (the link from a group): start as if the worker had sent `/join`."""
    command = start_command(args)
    if command is None:
        raise Skip  # a plain /start, or a payload we do not know: the welcome
    await state.clear()
    asked = replace(message, text=command)
    return await data["conversation"].root.dispatch(
        asked, {**data, "message": asked, "state": state, "raw_state": None}
    )
