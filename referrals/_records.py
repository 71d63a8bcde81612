"""The ground floor of the referrals service: the case tables, the audit log, forwarding to
staff chats and telling the worker (both through the outbox, in the caller's transaction), and
reading. `StaffActions` (`_actions`) and `Referrals` (`_service`) build on it.

Rows hold the free texts encrypted (see `_texts`); everything handed out is a `CaseView` or
`CaseEventView` with the texts opened, so callers never see a token and never write one back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.notices import WECOM, Notice, Recipient, send_notice
from core.pii import PiiCipher

from . import _cards as cards
from ._cases import PUSH_CHANNELS, CaseNotFound, NotAllowed, Staff, StationLookup
from ._models import Case, CaseBase, CaseEvent, CaseEventView, CaseRecipient, CaseView
from ._regions import AreaFinder
from ._routing import Target
from ._texts import case_view, event_view, seal


class CaseRecords:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        stations: StationLookup,
        *,
        cipher: PiiCipher,
        areas: AreaFinder | None = None,
        on_enqueue: Callable[[], None] | None = None,
        sla_hours: float = 4.0,
    ) -> None:
        self.db, self.clock, self.stations, self.cipher = db, clock, stations, cipher
        self.areas = areas or AreaFinder(db)
        self.on_enqueue = on_enqueue or (lambda: None)
        self.sla_hours = sla_hours
        self.listeners: list[Callable[[CaseView], None]] = []  # e.g. closed-station reports

    def _view(self, row: Case) -> CaseView:
        return case_view(row, self.cipher)

    def _changed(self, case: CaseView) -> None:
        for listener in self.listeners:
            listener(case)

    # -- writing, inside the caller's transaction -----------------------------------------

    async def _event(
        self,
        session: AsyncSession,
        case: CaseBase,
        action: str,
        actor: str,
        *,
        actor_name: str = "",
        channel: str = "",
        detail: str = "",
    ) -> CaseEventView:
        detail = detail[:2000]
        row = CaseEvent(
            case_id=case.id or 0,
            action=action,
            actor=actor,
            actor_name=actor_name,
            channel=channel,
            detail_enc=seal(self.cipher, detail),
            at=self.clock.now(),
        )
        session.add(row)
        await session.flush()
        return CaseEventView.model_validate(row, update={"detail": detail})

    async def _forward(
        self,
        session: AsyncSession,
        case: CaseView,
        target: Target,
        reason: str,
        station_name: str = "",
        escalated_from: str = "",
    ) -> int:
        """Outbox rows to the target's chats; a chat that already has the case gets nothing."""
        card = cards.staff_card(case, station_name=station_name, escalated_from=escalated_from)
        sent = 0
        for chat in target.chats:
            known = (
                await session.execute(
                    select(col(CaseRecipient.id)).where(
                        col(CaseRecipient.case_id) == case.id,
                        col(CaseRecipient.kind) == chat.kind,
                        col(CaseRecipient.address) == chat.address,
                    )
                )
            ).first()
            if known is not None:
                continue
            session.add(
                CaseRecipient(
                    case_id=case.id or 0,
                    union_id=target.union.id,
                    kind=chat.kind,
                    address=chat.address,
                    reason=reason,
                    at=self.clock.now(),
                )
            )
            # Staff chats are stored as "telegram" / "wecom_robot"; the notice goes to the channel.
            channel = WECOM if chat.kind == "wecom_robot" else chat.kind
            sent += await send_notice(
                session, Recipient(channel, chat.address), card, f"case:{case.id}:card"
            )
        await self._event(session, case, reason, "system", detail=target.union.name)
        return sent

    async def _tell_worker(
        self,
        session: AsyncSession,
        case: CaseBase,
        event: CaseEventView,
        notice: Notice,
    ) -> bool:
        if case.channel not in PUSH_CHANNELS:
            return False
        # One notice for every channel: its text, and the step as template data for channels
        # that send templated messages (the mini-program's subscribe message).
        notice = cards.worker_subscribe(case, event.action, event.detail, notice.text)
        return await send_notice(
            session,
            Recipient(case.channel, case.worker_ref),
            notice,
            f"case:{case.id}:event:{event.id}",
        )

    async def _load_for(self, session: AsyncSession, case_id: int, staff: Staff) -> Case:
        case = await session.get(Case, case_id)
        if case is None:
            raise CaseNotFound("没有找到这条求助。")
        unions = set(staff.union_ids)
        if case.union_id not in unions:
            got = (
                await session.execute(
                    select(col(CaseRecipient.id)).where(
                        col(CaseRecipient.case_id) == case_id,
                        col(CaseRecipient.union_id).in_(unions),
                    )
                )
            ).first()
            if got is None:
                raise NotAllowed("这条求助不归您所在的工会处理。")
        return case

    async def _union_name(self, union_ids: Collection[int | None]) -> str:
        from membership import get_union

        for uid in union_ids:
            if uid is not None and (union := await get_union(self.db, uid)) is not None:
                return union.name
        return "工会"

    # -- reading ---------------------------------------------------------------------------

    async def get_for(self, case_id: int, staff: Staff) -> CaseView:
        """The case, if it belongs to one of the staff member's unions (else NotAllowed)."""
        async with self.db.session() as session:
            return self._view(await self._load_for(session, case_id, staff))

    async def get(self, case_id: int) -> CaseView | None:
        async with self.db.session() as session:
            row = await session.get(Case, case_id)
        return self._view(row) if row is not None else None

    async def events(self, case_id: int) -> list[CaseEventView]:
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(CaseEvent)
                    .where(col(CaseEvent.case_id) == case_id)
                    .order_by(col(CaseEvent.id))
                )
            ).scalars()
            return [event_view(row, self.cipher) for row in rows]

    async def recipients(self, case_id: int) -> list[CaseRecipient]:
        async with self.db.session() as session:
            return list(
                (
                    await session.execute(
                        select(CaseRecipient)
                        .where(col(CaseRecipient.case_id) == case_id)
                        .order_by(col(CaseRecipient.id))
                    )
                ).scalars()
            )

    async def of_worker(self, channel: str, worker_ref: str, limit: int = 20) -> list[CaseView]:
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(Case)
                    .where(
                        col(Case.channel) == channel,
                        col(Case.worker_ref) == worker_ref,
                    )
                    .order_by(col(Case.id).desc())
                    .limit(limit)
                )
            ).scalars()
            return [self._view(row) for row in rows]

    async def for_staff(
        self,
        staff: Staff,
        *,
        status: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[CaseView]:
        """Cases of the staff member's own unions (responsible now, or sent to them)."""
        unions = list(staff.union_ids)
        sent_to = select(col(CaseRecipient.case_id)).where(col(CaseRecipient.union_id).in_(unions))
        query = select(Case).where(or_(col(Case.union_id).in_(unions), col(Case.id).in_(sent_to)))
        if status:
            query = query.where(col(Case.status) == status)
        if kind:
            query = query.where(col(Case.kind) == kind)
        if since:
            query = query.where(col(Case.created_at) >= since)
        if before_id:
            query = query.where(col(Case.id) < before_id)
        async with self.db.session() as session:
            rows = (
                await session.execute(query.order_by(col(Case.id).desc()).limit(limit))
            ).scalars()
            return [self._view(row) for row in rows]
