"""`Messenger`: who is told what about a case, as `core.notices.Notice`s queued in the caller's
transaction — the case into the target union's queue and the staff card to each chat that
hears of it (once per chat, both recorded in `case_recipients`), and each step to the worker
on their own channel."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.notices import Recipient, can_push, send_notice
from membership import Directory

from . import _cards as cards
from ._models import CaseBase, CaseEventView, CaseRecipient, CaseView
from ._records import QUEUE, CaseStore
from ._routing import Target


class Messenger:
    def __init__(
        self, clock: Clock, store: CaseStore, directory: Directory, *, public_url: str = ""
    ) -> None:
        self.clock, self.store, self.directory = clock, store, directory
        self.public_url = public_url

    async def forward(
        self,
        session: AsyncSession,
        case: CaseView,
        target: Target,
        reason: str,
        station_name: str = "",
        escalated_from: str = "",
    ) -> int:
        """Put the case in the target union's queue and send the staff card to the chats that
        hear of it; a chat that already has the case gets nothing."""
        card = cards.staff_card(
            case,
            station_name=station_name,
            escalated_from=escalated_from,
            link=cards.case_link(self.public_url, case),
        )
        await self._record(
            session, case, target.union.id, Recipient(QUEUE, str(target.union.id)), reason
        )
        sent = 0
        for chat in target.chats:
            if await self._record(session, case, target.notified.id, chat, reason):
                sent += await send_notice(session, chat, card, f"case:{case.id}:card")
        detail = target.union.name
        if target.chats_of is not None:
            detail += f"（本工会未设工作群，已通知{target.chats_of.name}）"
        await self.store.event(session, case, reason, "system", detail=detail)
        return sent

    async def _record(
        self, session: AsyncSession, case: CaseView, union_id: int, to: Recipient, reason: str
    ) -> bool:
        """One `case_recipients` row per case and recipient; False when it was there."""
        known = (
            await session.execute(
                select(col(CaseRecipient.id)).where(
                    col(CaseRecipient.case_id) == case.id,
                    col(CaseRecipient.channel) == to.channel,
                    col(CaseRecipient.address) == to.address,
                )
            )
        ).first()
        if known is not None:
            return False
        session.add(
            CaseRecipient(
                case_id=case.id or 0,
                union_id=union_id,
                channel=to.channel,
                address=to.address,
                reason=reason,
                at=self.clock.now(),
            )
        )
        return True

    async def tell_worker(
        self, session: AsyncSession, case: CaseBase, event: CaseEventView, text: str
    ) -> bool:
        """Tell the worker about `event` (`text`), if their channel can be messaged first."""
        if not can_push(case.channel):
            return False
        notice = cards.worker_notice(case, event.action, event.detail, text)
        recipient = Recipient(case.channel, case.worker_ref)
        return await send_notice(session, recipient, notice, f"case:{case.id}:event:{event.id}")

    async def union_name(self, session: AsyncSession, union_ids: Collection[int | None]) -> str:
        """The name of the first of these unions that is in the directory."""
        for uid in union_ids:
            if uid is not None:
                union = await self.directory.get_union(uid, session=session)
                if union is not None:
                    return union.name
        return "工会"
