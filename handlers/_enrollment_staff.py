"""The staff chat's approve / reject buttons on an application card (一键入会).

Decided by who pressed: registered staff whose unions cover the application's
(`membership.may_act` / `unions_visible_to`, the check /admin/v1 and the console use). Anyone
else gets a private alert and nothing changes; a decision edits the card (outcome, who, when)
and takes its buttons away.
"""

from __future__ import annotations

from core.clock import Clock
from membership import (
    CALLBACK_PREFIX,
    REJECT_REASONS,
    Directory,
    EnrollmentError,
    Enrollments,
    StaffInfo,
    may_act,
    unions_visible_to,
)

from ._i18n import Translator
from ._messages import Alert, Button, Edit, Message
from ._router import Data, Router
from ._staff import decided_card, refused, signed, staff_of

router = Router("enrollment.staff")


def _staff_prefix(action: str) -> str:
    return f"{CALLBACK_PREFIX}:{action}:"


# -- staff, in their union's chat ------------------------------------------------------------


async def _staff_scope(
    message: Message, directory: Directory
) -> tuple[StaffInfo | None, frozenset[int], str]:
    """Who pressed, the unions they may decide for, and the actor for the record. Only
    registered staff decide, and only for their own unions (`Enrollments` refuses an
    application of any other): being in the group where the card was posted is not enough,
    since anyone can be added to a group. An unregistered presser gets no unions."""
    staff = await staff_of(message, directory)
    if staff is None:
        return None, frozenset(), f"{message.channel}:{message.user_id}"
    # The same scope /admin/v1 and the console use (`membership.unions_visible_to`).
    return staff, unions_visible_to(staff), f"staff:{staff.id}"


def _not_staff(t: Translator) -> Alert:
    return refused(t("只有登记过的本工会工作人员才能审核入会申请。如需开通，请联系管理员。"))


def _target(payload: str) -> tuple[int, int] | None:
    parts = payload.split(":")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return int(parts[0]), int(parts[1])


def _card_buttons(t: Translator, target: tuple[int, int]) -> tuple[tuple[Button, ...], ...]:
    """The card's own buttons (as `membership.staff_notice` made them), to put back."""
    tail = f"{target[0]}:{target[1]}"
    return (
        (
            Button(t("✅ 通过"), data=f"{_staff_prefix('approve')}{tail}"),
            Button(t("❌ 不通过"), data=f"{_staff_prefix('reject')}{tail}"),
        ),
    )


@router.message(Data(_staff_prefix("approve")))
async def staff_approve(
    payload: str,
    message: Message,
    directory: Directory,
    enrollments: Enrollments,
    clock: Clock,
    t: Translator,
) -> Edit | Alert:
    target = _target(payload)
    staff, union_ids, actor = await _staff_scope(message, directory)
    if target is None or staff is None or not union_ids:
        return _not_staff(t)
    try:
        decision = await enrollments.approve(
            target[0], actor=actor, union_ids=union_ids, revision=target[1]
        )
    except EnrollmentError as exc:
        return refused(f"#{target[0]}：{exc}")
    e = decision.enrollment
    if not decision.changed:
        return refused(
            t("#{id} 早已通过，会员号 {number}。").format(id=e.id, number=e.member_number)
        )
    what = t("✅ 已通过，会员号 {number}").format(number=e.member_number)
    return decided_card(message, signed(t, what, staff, clock))


async def _undecided(
    enrollments: Enrollments, target: tuple[int, int], staff: StaffInfo, t: Translator
) -> Alert | None:
    """Why this presser cannot look at choices for the application now (None: they can)."""
    found = await enrollments.get(target[0])
    if found is None or not may_act(staff, found.union_id):
        return refused(t("没有找到这份入会申请，或它不归您的工会审核。"))
    if found.revision != target[1]:
        return refused(t("申请人已修改并重新提交了申请，请按最新一条消息审核。"))
    if found.status != "submitted":
        return refused(t("这份申请已经处理过了。"))
    return None


@router.message(Data(_staff_prefix("reject")))
async def staff_reject(
    payload: str, message: Message, directory: Directory, enrollments: Enrollments, t: Translator
) -> Edit | Alert:
    """The card's buttons become the reasons to choose from (and a way back)."""
    target = _target(payload)
    staff, union_ids, _actor = await _staff_scope(message, directory)
    if target is None or staff is None or not union_ids:
        return _not_staff(t)
    why_not = await _undecided(enrollments, target, staff, t)
    if why_not is not None:
        return why_not
    rows = tuple(
        (Button(t(reason), data=f"{_staff_prefix('why')}{target[0]}:{target[1]}:{i}"),)
        for i, reason in enumerate(REJECT_REASONS)
    )
    back = ((Button(t("↩ 返回"), data=f"{_staff_prefix('back')}{target[0]}:{target[1]}"),),)
    return Edit(
        t("#{id} 不通过的原因是？（其他原因请在工作台填写）").format(id=target[0]),
        rows + back,
        markup_only=True,
    )


@router.message(Data(_staff_prefix("back")))
async def staff_back(
    payload: str, message: Message, directory: Directory, enrollments: Enrollments, t: Translator
) -> Edit | Alert:
    target = _target(payload)
    staff, union_ids, _actor = await _staff_scope(message, directory)
    if target is None or staff is None or not union_ids:
        return _not_staff(t)
    why_not = await _undecided(enrollments, target, staff, t)
    if why_not is not None:
        return why_not
    return Edit(t("请审核。"), _card_buttons(t, target), markup_only=True)


@router.message(Data(_staff_prefix("why")))
async def staff_reason(
    payload: str,
    message: Message,
    directory: Directory,
    enrollments: Enrollments,
    clock: Clock,
    t: Translator,
) -> Edit | Alert:
    target = _target(payload)
    staff, union_ids, actor = await _staff_scope(message, directory)
    index = payload.split(":")[-1]
    if target is None or staff is None or not union_ids:
        return _not_staff(t)
    if not index.isdigit() or int(index) >= len(REJECT_REASONS):
        return refused(t("这个按钮已经过期了。"))
    reason = REJECT_REASONS[int(index)]
    try:
        decision = await enrollments.reject(
            target[0], reason, actor=actor, union_ids=union_ids, revision=target[1]
        )
    except EnrollmentError as exc:
        return refused(f"#{target[0]}：{exc}")
    if not decision.changed:
        return refused(t("#{id} 早已处理为不通过。").format(id=decision.enrollment.id))
    what = t("❌ 未通过：{reason}").format(reason=t(reason))
    return decided_card(message, signed(t, what, staff, clock))
