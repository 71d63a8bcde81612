"""What the staff buttons of every dialog share: who pressed (registered staff, through the
directory), and how a decided card reads afterwards.

A staff button is decided by who pressed it, never by the chat it was pressed in: anyone can be
added to a group. A refusal is an `Alert` (only the presser sees it, nothing changes in the
chat); a decision edits the card in place (`Edit`) to say what was decided, by whom and when,
and takes its buttons away so nobody presses them again.
"""

from __future__ import annotations

from core.clock import CHINA_TZ, Clock
from membership import Directory, StaffInfo

from ._i18n import Translator
from ._messages import Alert, Button, Edit, Message


async def staff_of(message: Message, directory: Directory) -> StaffInfo | None:
    """The registered, active staff member behind the presser's account on this channel."""
    return await directory.staff_for_identity(message.channel, message.user_id)


def signed(t: Translator, what: str, staff: StaffInfo, clock: Clock) -> str:
    """ "✅ 已通过 · 王芳 · 11-24 10:05": the outcome, who decided, when (China time)."""
    at = clock.now().astimezone(CHINA_TZ)
    return t("{what} · {name} · {when}").format(
        what=what, name=staff.name, when=f"{at:%m-%d %H:%M}"
    )


def decided_card(message: Message, line: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Edit:
    """The pressed card with `line` under what it said; without buttons unless given."""
    body = message.card_text.strip()
    return Edit(f"{body}\n\n{line}" if body else line, buttons)


def refused(text: str) -> Alert:
    return Alert(text)
