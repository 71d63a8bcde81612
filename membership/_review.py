"""Review: staff approve (member number issued) or reject (with a reason); the worker is told on
the channel they used, and the union's staff chat gets each new or corrected application.

Messages go through the outbox in the same transaction as the change, so a chat API that is
down delays them but loses none, and a button pressed twice sends nothing twice.

Messages are `core.notices.Notice`s queued to `Recipient`s with `send_notice`: the staff
chats of the union (Telegram chat id, WeCom robot key) and the worker on the channel they
applied through; each channel's adapter renders them (buttons where it has them, the footer
where it has not, the "enrollment_result" template on the mini-program).
Staff chats see masked names and phones only: the outbox keeps its rows, and a group chat is
no place for a full phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.context import AppContext
from core.notices import TELEGRAM, WECOM, Action, Notice, Recipient, can_push, send_notice
from core.pii import cipher_for

from ._directory import StaffInfo, UnionInfo, get_union
from ._enrollment import (
    EnrollmentError,
    EnrollmentLocked,
    EnrollmentNotFound,
    EnrollmentView,
    view_of,
)
from ._models import Enrollment, EnrollmentEvent, EnrollmentStatus

CALLBACK_PREFIX = "enr"  # callback_data: "enr:approve:<id>:<revision>" / "enr:reject:…"
REJECT_REASONS = (
    "所填工作单位或职业与本工会不对应",
    "信息不完整或有误，请核对后重新提交",
    "已在其他工会入会",
)
_LUHN_MAP = "0123456789"


class ReviewConflict(EnrollmentError):
    """The application changed or was decided by someone else; the message says what it is now."""


@dataclass(frozen=True, slots=True)
class Decision:
    enrollment: EnrollmentView
    changed: bool  # False when it was already decided this way (a second press of a button)


def member_number(enrollment_id: int, year: int) -> str:
    """`NM2026-000123-7`: region, year of approval, sequence, a Luhn check digit against typos."""
    body = f"{year}{enrollment_id:06d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    check = (10 - total % 10) % 10
    return f"NM{year}-{enrollment_id:06d}-{check}"


def staff_text(view: EnrollmentView, union: UnionInfo) -> str:
    again = "（修改后重新提交）" if view.revision > 1 else ""
    lines = [
        f"新的入会申请{again} #{view.id}",
        f"姓名：{view.masked_name}",
        f"手机：{view.masked_phone}",
        f"职业：{view.occupation_label}",
        f"单位/平台：{view.employer}",
        f"地区：{view.league}{view.county}",
    ]
    if view.masked_id_number:
        lines.append(f"身份证：{view.masked_id_number}")
    lines.append(f"受理工会：{union.name}")
    return "\n".join(lines)


def staff_buttons(view: EnrollmentView) -> tuple[tuple[Action, ...], ...]:
    tail = f"{view.id}:{view.revision}"
    return (
        (
            Action("✅ 通过", f"{CALLBACK_PREFIX}:approve:{tail}"),
            Action("❌ 不通过", f"{CALLBACK_PREFIX}:reject:{tail}"),
        ),
    )


def staff_notice(view: EnrollmentView, union: UnionInfo) -> Notice:
    """The application as staff chats see it: buttons to decide, or (without buttons) where."""
    return Notice(
        staff_text(view, union),
        buttons=staff_buttons(view),
        footer=f"请在工作台 /admin/v1/enrollments/{view.id} 审核。",
    )


async def forward_to_staff(session: AsyncSession, view: EnrollmentView, union: UnionInfo) -> None:
    """Queue the application for the union's staff chat(s), in the caller's transaction."""
    key = f"enrollment:{view.id}:{view.revision}"
    notice = staff_notice(view, union)
    if union.telegram_chat_id:
        await send_notice(session, Recipient(TELEGRAM, union.telegram_chat_id), notice, key)
    if union.wecom_robot_key:
        await send_notice(session, Recipient(WECOM, union.wecom_robot_key), notice, key)


def outcome_text(view: EnrollmentView) -> str:
    if view.status == EnrollmentStatus.APPROVED:
        return (
            f"恭喜！您的入会申请已通过，欢迎加入{view.union_name}。\n"
            f"会员号：{view.member_number}\n随时发送“我的会员”可以查看。"
        )
    if view.status == EnrollmentStatus.REJECTED:
        return (
            f"您的入会申请暂未通过。\n原因：{view.reject_reason}\n"
            "修改后可以重新提交：发送“一键入会”即可。有疑问请拨打 12351。"
        )
    return f"您的入会申请已提交，{view.union_name}会尽快审核，结果会第一时间告诉您。"


async def notify_worker(session: AsyncSession, view: EnrollmentView) -> None:
    """Tell the worker the outcome on the channel they applied through (the openid of one
    WeChat app is useless to the other, so the recipient's channel is the one they used)."""
    if not can_push(view.channel):
        return  # a channel we cannot message first (the terminal): they ask "我的会员"
    key = f"enrollment:{view.id}:{view.revision}:{view.status}"
    notice = Notice(
        outcome_text(view),
        page="pages/membership/index",
        template="enrollment_result",
        data={
            "status": "已通过" if view.status == EnrollmentStatus.APPROVED else "未通过",
            "member_number": view.member_number or "",
            "reason": view.reject_reason,
            "union": view.union_name,
        },
    )
    await send_notice(session, Recipient(view.channel, view.channel_user), notice, key)


def wake_outbox(context: AppContext) -> None:
    context.outbox.wake()


async def _decide(
    context: AppContext,
    enrollment_id: int,
    *,
    approve: bool,
    actor: str,
    union_ids: frozenset[int],
    reason: str = "",
    revision: int | None = None,
) -> Decision:
    target = EnrollmentStatus.APPROVED if approve else EnrollmentStatus.REJECTED
    cipher = cipher_for(context.settings)
    now = context.clock.now().astimezone(UTC)
    async with context.db.transaction() as session:
        row = await session.get(Enrollment, enrollment_id)
        if row is None or row.union_id not in union_ids:
            raise EnrollmentNotFound("没有找到这份入会申请，或它不归您的工会审核。")
        if row.status == target and (revision is None or revision == row.revision):
            union = await get_union(context.db, row.union_id)
            return Decision(view_of(row, union, cipher), changed=False)
        if row.status == EnrollmentStatus.APPROVED:
            raise EnrollmentLocked(f"这份申请已经通过（会员号 {row.member_number}），不能再更改。")
        if revision is not None and revision != row.revision:
            raise ReviewConflict("申请人已修改并重新提交了申请，请按最新一条消息审核。")
        if row.status != EnrollmentStatus.SUBMITTED:
            raise ReviewConflict("这份申请已经处理过了，申请人修改后会重新提交。")
        values: dict[str, object] = {"status": target, "decided_at": now, "decided_by": actor}
        if approve:
            values["member_number"] = member_number(enrollment_id, context.clock.now().year)
        else:
            values["reject_reason"] = reason
        # Conditional on the status we read: of two staff pressing at once, one decides.
        result = await session.execute(
            update(Enrollment)
            .where(
                col(Enrollment.id) == enrollment_id,
                col(Enrollment.status) == EnrollmentStatus.SUBMITTED,
                col(Enrollment.revision) == row.revision,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ReviewConflict("这份申请刚刚被其他工作人员处理了。")
        session.add(
            EnrollmentEvent(
                enrollment_id=enrollment_id, action=target.value, actor=actor, note=reason, at=now
            )
        )
        await session.refresh(row)
        union = await get_union(context.db, row.union_id)
        view = view_of(row, union, cipher)
        await notify_worker(session, view)
    wake_outbox(context)
    return Decision(view, changed=True)


async def approve(
    context: AppContext,
    enrollment_id: int,
    *,
    staff: StaffInfo | None = None,
    actor: str = "",
    union_ids: frozenset[int] | None = None,
    revision: int | None = None,
) -> Decision:
    """Approve and issue a member number; staff may only decide for their own unions."""
    return await _decide(
        context,
        enrollment_id,
        approve=True,
        actor=actor or f"staff:{staff.id if staff else '?'}",
        union_ids=union_ids
        if union_ids is not None
        else (staff.union_ids if staff else frozenset()),
        revision=revision,
    )


async def reject(
    context: AppContext,
    enrollment_id: int,
    reason: str,
    *,
    staff: StaffInfo | None = None,
    actor: str = "",
    union_ids: frozenset[int] | None = None,
    revision: int | None = None,
) -> Decision:
    reason = reason.strip()
    if not reason:
        from ._enrollment import EnrollmentInvalid

        raise EnrollmentInvalid({"reason": "请写明不通过的原因，方便申请人修改。"})
    if len(reason) > 500:
        from ._enrollment import EnrollmentInvalid

        raise EnrollmentInvalid({"reason": "原因请写在 500 字以内。"})
    return await _decide(
        context,
        enrollment_id,
        approve=False,
        reason=reason,
        actor=actor or f"staff:{staff.id if staff else '?'}",
        union_ids=union_ids
        if union_ids is not None
        else (staff.union_ids if staff else frozenset()),
        revision=revision,
    )
