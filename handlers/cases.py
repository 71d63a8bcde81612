"""反馈问题, 法律援助 and 我的求助 in the chat, and the staff chat's claim / reply / resolve buttons.

Feedback about a station: pick the station (the nearest ones to the last shared location as
buttons, or a typed name), tap a category, say what happened (optional for everything but
"other"), answer whether staff may phone — four taps and a sentence. Legal aid: tap a topic
(urgent topics show the 12351 / 12348 hotlines at once), describe it, the place is the last
shared location or a county named, then the same consent question. Both are submitted through
`referrals`, which stores the case with its staff-chat messages in one transaction and answers
with the tracking number.

Each dialog carries a random token used as the case's `source_ref`, so a consent button pressed
twice, or an update delivered twice, never makes a second case.

Staff press the buttons of the case card in their union's Telegram group. They act as the staff
member linked to their Telegram account (`yizhan staff add --telegram-user …`), so the audit log
says who did it. "回复" asks for the text in the same chat; "办结" offers common outcomes as buttons
or takes a typed one. The domain relays each step to the worker on their own channel.

The parts: `_case_feedback` and `_case_legal` (the two dialogs, with `_case_steps`, what they
share), `_case_submit` (consent, submission and 我的求助) and `_case_staff` (the staff buttons).
"""

from __future__ import annotations

from . import _case_feedback, _case_legal, _case_media, _case_staff, _case_submit
from ._case_staff import OUTCOMES, STAFF
from ._case_steps import is_menu_or_command
from ._router import InState, Predicate, Router, Skip
from ._state import DialogState

__all__ = ["OUTCOMES", "STAFF", "router"]

router = Router("cases")


@router.message(InState("case"), Predicate(is_menu_or_command))
async def leave_dialog(state: DialogState) -> None:
    """A menu button or command in the middle of a form: drop the form, let its owner answer."""
    await state.clear()
    raise Skip


# Tried after `leave_dialog`, in this order (the order the handlers were written in).
router.include(
    _case_feedback.router,
    _case_legal.router,
    _case_submit.router,
    _case_staff.router,
    _case_media.router,
)
