"""`Messenger`: who is told what about a case, as `core.notices.Notice`s queued in the caller's
transaction — the staff card to each chat of the target union (once per chat, recorded in
`case_recipients`), and each step to the worker on their own channel."""

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
from ._records import CaseStore
from ._routing import Target


class Messenger:
    def __init__(self, clock: Clock, store: CaseStore, directory: Directory) -> None:
        self.clock, self.store, self.directory = clock, store, directory

    async def forward(
        self,
        session: AsyncSession,
        case: CaseView,
        target: Target,
        reason: str,
        station_name: str = "",
        escalated_from: str = "",
    ) -> int:
        """The staff card to the target's chats; a chat that already has the case gets nothing."""
        card = cards.staff_card(case, station_name=station_name, escalated_from=escalated_from)
        sent = 0
        for chat in target.chats:
            known = (
                await session.execute(
                    select(col(CaseRecipient.id)).where(
                        col(CaseRecipient.case_id) == case.id,
                        col(CaseRecipient.channel) == chat.channel,
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
                    channel=chat.channel,
                    address=chat.address,
                    reason=reason,
                    at=self.clock.now(),
                )
            )
            sent += await send_notice(session, chat, card, f"case:{case.id}:card")
        await self.store.event(session, case, reason, "system", detail=target.union.name)
        return sent

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
