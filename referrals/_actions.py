"""`StaffActions`: what staff do to a case — claim, reply, resolve, reopen, mark as a duplicate,
and look at the worker's unmasked words or contact (audited, nothing sent).
Each step is checked against the case's union and status, written to the audit log, and relayed
to the worker as a notice, all in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.pii import PiiCipher

from . import _cards as cards
from ._cases import MAX_TEXT, ActionResult, Staff
from ._errors import CaseError
from ._forward import Messenger
from ._models import Case, CaseEventView, CaseStatus, CaseView
from ._records import CaseStore
from ._texts import seal

_CLOSED = (CaseStatus.RESOLVED, CaseStatus.DUPLICATE)


class StaffActions:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        cipher: PiiCipher,
        store: CaseStore,
        messenger: Messenger,
        *,
        on_enqueue: Callable[[], None],
        on_changed: Callable[[CaseView], None],
    ) -> None:
        self.db, self.clock, self.cipher = db, clock, cipher
        self.store, self.messenger = store, messenger
        self.on_enqueue, self.on_changed = on_enqueue, on_changed

    async def _staff_event(
        self,
        session: AsyncSession,
        case: Case,
        staff: Staff,
        channel: str,
        action: str,
        detail: str = "",
    ) -> CaseEventView:
        return await self.store.event(
            session,
            case,
            action,
            f"staff:{staff.id}",
            actor_name=staff.name,
            channel=channel,
            detail=detail,
        )

    async def claim(self, case_id: int, staff: Staff, channel: str) -> ActionResult:
        async with self.db.transaction() as session:
            case = await self.store.load_for(session, case_id, staff)
            if case.status == CaseStatus.CLAIMED and case.claimed_by == staff.id:
                return ActionResult(self.store.view(case))
            if case.status != CaseStatus.NEW:
                who = f"已由{case.claimed_by_name}认领" if case.claimed_by_name else "已在处理"
                raise CaseError(f"这条求助{who}，状态：{cards.status_label(case.status)}。")
            # Conditional: of two staff pressing "认领" at once, exactly one wins.
            won = await session.execute(
                update(Case)
                .where(col(Case.id) == case_id, col(Case.status) == CaseStatus.NEW)
                .values(
                    status=CaseStatus.CLAIMED.value,
                    claimed_by=staff.id,
                    claimed_by_name=staff.name,
                    updated_at=self.clock.now(),
                )
            )
            if not won.rowcount:  # type: ignore[attr-defined]
                raise CaseError("刚刚已有同事认领了这条求助。")
            await session.refresh(case)
            union_name = await self.messenger.union_name(
                session, [case.union_id, *sorted(staff.union_ids)]
            )
            event = await self._staff_event(session, case, staff, channel, "claimed")
            told = await self.messenger.tell_worker(
                session, case, event, cards.worker_claimed(case, union_name, staff.name)
            )
        self.on_enqueue()
        return ActionResult(self.store.view(case), told)

    async def reply(self, case_id: int, staff: Staff, text: str, channel: str) -> ActionResult:
        text = (text or "").strip()
        if not text or len(text) > MAX_TEXT:
            raise CaseError(f"回复内容不能为空，也不要超过 {MAX_TEXT} 字。")
        async with self.db.transaction() as session:
            case = await self.store.load_for(session, case_id, staff)
            if case.status in _CLOSED:
                raise CaseError("这条求助已经办结；如需继续，请先重新打开。")
            if case.status == CaseStatus.NEW:  # answering is taking it on
                case.status, case.claimed_by, case.claimed_by_name = (
                    CaseStatus.CLAIMED.value,
                    staff.id,
                    staff.name,
                )
                await self._staff_event(session, case, staff, channel, "claimed")
            case.updated_at = self.clock.now()
            union_name = await self.messenger.union_name(session, [case.union_id])
            event = await self._staff_event(session, case, staff, channel, "replied", text)
            told = await self.messenger.tell_worker(
                session, case, event, cards.worker_reply(case, union_name, text)
            )
        self.on_enqueue()
        return ActionResult(self.store.view(case), told)

    async def resolve(self, case_id: int, staff: Staff, outcome: str, channel: str) -> ActionResult:
        outcome = (outcome or "").strip()
        if not outcome or len(outcome) > MAX_TEXT:
            raise CaseError(f"请写上处理结果（不超过 {MAX_TEXT} 字），工人会看到。")
        async with self.db.transaction() as session:
            case = await self.store.load_for(session, case_id, staff)
            if case.status in _CLOSED:
                raise CaseError("这条求助已经办结了。")
            case.status = CaseStatus.RESOLVED.value
            case.outcome_enc = seal(self.cipher, outcome)
            case.claimed_by = case.claimed_by or staff.id
            case.claimed_by_name = case.claimed_by_name or staff.name
            case.updated_at = self.clock.now()
            event = await self._staff_event(session, case, staff, channel, "resolved", outcome)
            told = await self.messenger.tell_worker(
                session, case, event, cards.worker_resolved(case, outcome)
            )
        self.on_enqueue()
        view = self.store.view(case)
        self.on_changed(view)
        return ActionResult(view, told)

    async def reopen(self, case_id: int, staff: Staff, reason: str, channel: str) -> ActionResult:
        async with self.db.transaction() as session:
            case = await self.store.load_for(session, case_id, staff)
            if case.status not in _CLOSED:
                raise CaseError("这条求助还没有办结，不用重新打开。")
            case.status = (CaseStatus.CLAIMED if case.claimed_by else CaseStatus.NEW).value
            case.duplicate_of, case.updated_at = None, self.clock.now()
            event = await self._staff_event(session, case, staff, channel, "reopened", reason[:500])
            told = await self.messenger.tell_worker(
                session, case, event, cards.worker_reopened(case)
            )
        self.on_enqueue()
        return ActionResult(self.store.view(case), told)

    async def mark_duplicate(
        self, case_id: int, staff: Staff, of_number: str, channel: str
    ) -> ActionResult:
        async with self.db.transaction() as session:
            case = await self.store.load_for(session, case_id, staff)
            other = (
                await session.execute(
                    select(Case).where(col(Case.number) == of_number.strip().upper())
                )
            ).scalar()
            # Another union's case is answered like a number that does not exist (numbers
            # cannot be probed), and only a case of the same union can absorb this one.
            if (
                other is None
                or other.id == case.id
                or other.union_id not in staff.union_ids
                or other.union_id != case.union_id
            ):
                raise CaseError("请填写本工会另一条求助的编号（如 F7K3Q9A）。")
            if case.status in _CLOSED:
                raise CaseError("这条求助已经办结了。")
            case.status, case.duplicate_of = CaseStatus.DUPLICATE.value, other.id
            case.updated_at = self.clock.now()
            event = await self._staff_event(
                session, case, staff, channel, "duplicate", other.number
            )
            told = await self.messenger.tell_worker(
                session, case, event, cards.worker_duplicate(case, other.number)
            )
        self.on_enqueue()
        view = self.store.view(case)
        self.on_changed(view)
        return ActionResult(view, told)

    async def reveal(self, case_id: int, staff: Staff, what: str, channel: str) -> CaseView:
        """The case, for showing `what` (e.g. "求助原文") unmasked: written to the audit log
        first, so every look at a phone or ID number is on the record."""
        async with self.db.transaction() as session:
            case = await self.store.load_for(session, case_id, staff)
            await self._staff_event(session, case, staff, channel, "revealed", what[:100])
        return self.store.view(case)
