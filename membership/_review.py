"""Review: staff approve (member number issued) or reject (with a reason); the worker is told on
the channel they used, and the union's staff chats get each new or corrected application.

Everyone is told with a `core.notices.Notice` queued in the same transaction as the change, so
a chat that is down delays a message but loses none, and a button pressed twice sends nothing
twice (the dedupe keys below). The staff card carries approve/reject buttons and, for chats
without buttons, a footer pointing to the workbench; the worker's outcome carries the
`enrollment_result` template and the membership page, for channels that send templated
messages. How each channel shows them is its adapter's business.

Staff chats see masked names and phones only: the outbox keeps its rows, and a group chat is
no place for a full phone number.

Everything here works in the caller's session; `Enrollments` (`_enrollment`) owns the
transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.notices import Action, Notice, Recipient, can_push, send_notice
from core.pii import PiiCipher, seal

from ._directory import Directory, UnionInfo
from ._errors import EnrollmentLocked, EnrollmentNotFound, ReviewConflict
from ._models import Enrollment, EnrollmentEvent, EnrollmentStatus
from ._view import EnrollmentView, view_of

CALLBACK_PREFIX = "enr"  # button data: "enr:approve:<id>:<revision>" / "enr:reject:…"
REJECT_REASONS = (
    "所填工作单位或职业与本工会不对应",
    "信息不完整或有误，请核对后重新提交",
    "已在其他工会入会",
)
RESULT_TEMPLATE = "enrollment_result"
RESULT_PAGE = "pages/membership/index"


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


def staff_notice(view: EnrollmentView, union: UnionInfo) -> Notice:
    """The card a union's staff chats get for a new or corrected application."""
    tail = f"{view.id}:{view.revision}"
    return Notice(
        staff_text(view, union),
        buttons=(
            (
                Action("✅ 通过", f"{CALLBACK_PREFIX}:approve:{tail}"),
                Action("❌ 不通过", f"{CALLBACK_PREFIX}:reject:{tail}"),
            ),
        ),
        footer=f"请在工作台 /admin/v1/enrollments/{view.id} 审核。",
    )


async def forward_to_staff(session: AsyncSession, view: EnrollmentView, union: UnionInfo) -> None:
    """Queue the application for each of the union's staff chats, in the caller's transaction."""
    key = f"enrollment:{view.id}:{view.revision}"
    notice = staff_notice(view, union)
    for chat in union.chats:
        await send_notice(session, chat, notice, dedupe_key=key)


def outcome_text(view: EnrollmentView) -> str:
    if view.status == EnrollmentStatus.APPROVED:
        return (
            f"恭喜！您的入会申请已通过，欢迎加入{view.union_name}。\n"
            f"会员号：{view.member_number}\n随时可以在“我的会员”里查看。"
        )
    if view.status == EnrollmentStatus.REJECTED:
        return (
            f"您的入会申请暂未通过。\n原因：{view.reject_reason}\n"
            "修改信息后可以重新申请入会。有疑问请拨打 12351。"
        )
    return f"您的入会申请已提交，{view.union_name}会尽快审核，结果会第一时间告诉您。"


def outcome_notice(view: EnrollmentView) -> Notice:
    """The worker's outcome: the text, and the `enrollment_result` template with its values."""
    return Notice(
        outcome_text(view),
        page=RESULT_PAGE,
        template=RESULT_TEMPLATE,
        data={
            "status": "已通过" if view.status == EnrollmentStatus.APPROVED else "未通过",
            "member_number": view.member_number or "",
            "reason": view.reject_reason,
            "union": view.union_name,
        },
    )


async def notify_worker(session: AsyncSession, view: EnrollmentView) -> None:
    """Tell the worker the outcome on the channel they applied through, if it can be messaged
    first (the terminal cannot: there they ask "我的会员")."""
    if not can_push(view.channel):
        return
    key = f"enrollment:{view.id}:{view.revision}:{view.status}"
    recipient = Recipient(view.channel, view.channel_user)
    await send_notice(session, recipient, outcome_notice(view), dedupe_key=key)


async def decide(
    session: AsyncSession,
    directory: Directory,
    cipher: PiiCipher,
    enrollment_id: int,
    *,
    approve: bool,
    actor: str,
    union_ids: frozenset[int],
    now: datetime,
    reason: str = "",
    revision: int | None = None,
) -> Decision:
    """Approve or reject in the caller's transaction and queue the worker's notice. `now` is
    the business clock's time (its year is the member number's); it is stored as UTC."""
    at = now.astimezone(UTC)
    target = EnrollmentStatus.APPROVED if approve else EnrollmentStatus.REJECTED
    row = await session.get(Enrollment, enrollment_id)
    if row is None or row.union_id not in union_ids:
        raise EnrollmentNotFound("没有找到这份入会申请，或它不归您的工会审核。")
    if row.status == target and (revision is None or revision == row.revision):
        union = await directory.get_union(row.union_id, session=session)
        return Decision(view_of(row, union, cipher), changed=False)
    if row.status == EnrollmentStatus.APPROVED:
        raise EnrollmentLocked(f"这份申请已经通过（会员号 {row.member_number}），不能再更改。")
    if revision is not None and revision != row.revision:
        raise ReviewConflict("申请人已修改并重新提交了申请，请按最新一条消息审核。")
    if row.status != EnrollmentStatus.SUBMITTED:
        raise ReviewConflict("这份申请已经处理过了，申请人修改后会重新提交。")
    values: dict[str, object] = {"status": target, "decided_at": at, "decided_by": actor}
    if approve:
        values["member_number"] = member_number(enrollment_id, now.year)
    else:
        values["reject_reason_enc"] = seal(cipher, reason)
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
            enrollment_id=enrollment_id,
            action=target.value,
            actor=actor,
            note_enc=seal(cipher, reason),
            at=at,
        )
    )
    await session.refresh(row)
    union = await directory.get_union(row.union_id, session=session)
    view = view_of(row, union, cipher)
    await notify_worker(session, view)
    return Decision(view, changed=True)
