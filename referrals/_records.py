"""`CaseStore`: the case tables, the audit log and reading. Writing helpers work in the caller's
session; the readers open their own.

Rows hold the free texts encrypted (see `_texts`); everything handed out is a `CaseView` or
`CaseEventView` with the texts opened, so callers never see a token and never write one back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.pii import PiiCipher

from ._cases import Staff
from ._errors import CaseNotFound, NotAllowed
from ._models import Case, CaseBase, CaseEvent, CaseEventView, CaseRecipient, CaseView
from ._texts import case_view, event_view, seal

QUEUE = "queue"  # as in _routing: a union's queue, not a chat


class CaseStore:
    def __init__(self, db: Database, clock: Clock, cipher: PiiCipher) -> None:
        self.db, self.clock, self.cipher = db, clock, cipher

    def view(self, row: Case) -> CaseView:
        return case_view(row, self.cipher)

    # -- in the caller's session -----------------------------------------------------------

    async def event(
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
        """Append to the audit log."""
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

    async def load_for(self, session: AsyncSession, case_id: int, staff: Staff) -> Case:
        """The case row, if it belongs to (or was sent to) one of the staff member's unions."""
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

    async def by_source(
        self, session: AsyncSession, channel: str, source_ref: str | None
    ) -> CaseView | None:
        """The case made from this inbound message, if any (a retry makes no second case)."""
        if not source_ref:
            return None
        row = (
            await session.execute(
                select(Case).where(col(Case.channel) == channel, col(Case.source_ref) == source_ref)
            )
        ).scalar()
        return self.view(row) if row is not None else None

    # -- reading ---------------------------------------------------------------------------

    async def get_for(self, case_id: int, staff: Staff) -> CaseView:
        """The case, if it belongs to one of the staff member's unions (else NotAllowed)."""
        async with self.db.session() as session:
            return self.view(await self.load_for(session, case_id, staff))

    async def get(self, case_id: int) -> CaseView | None:
        async with self.db.session() as session:
            row = await session.get(Case, case_id)
        return self.view(row) if row is not None else None

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
        """The staff chats the case was sent to (not the unions' queues it is in)."""
        async with self.db.session() as session:
            return list(
                (
                    await session.execute(
                        select(CaseRecipient)
                        .where(
                            col(CaseRecipient.case_id) == case_id,
                            col(CaseRecipient.channel) != QUEUE,
                        )
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
            return [self.view(row) for row in rows]

    async def for_staff(
        self,
        staff: Staff,
        *,
        status: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        before_id: int | None = None,
        union_id: int | None = None,
        claimed_by: int | None = None,
    ) -> list[CaseView]:
        """Cases of the staff member's own unions (responsible now, or sent to them); with
        `union_id` only that one of theirs, with `claimed_by` only that person's."""
        unions = list(staff.union_ids)
        if union_id is not None:
            unions = [union_id] if union_id in staff.union_ids else []
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
        if claimed_by is not None:
            query = query.where(col(Case.claimed_by) == claimed_by)
        async with self.db.session() as session:
            rows = (
                await session.execute(query.order_by(col(Case.id).desc()).limit(limit))
            ).scalars()
            return [self.view(row) for row in rows]
