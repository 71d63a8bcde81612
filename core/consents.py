"""Consents to one-time notices: a mini-program user who taps "allow" on a subscribe request
agrees to receive one message of that template (WeChat counts them per template). Each answer
is kept as a row (an audit trail: who allowed what, when), and `available` says how many
allowed messages of a kind are not used yet; the sender calls `use` before sending one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, func, select
from sqlmodel import Field, SQLModel, col

from .clock import Clock
from .db import Database
from .outbox import AwareDateTime

RESULTS = ("accept", "reject", "ban", "filter")  # what the client reports per template
USED = "used"  # a row written when a message spent one acceptance


class NoticeConsent(SQLModel, table=True):
    __tablename__ = "notice_consents"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=32)  # which notices: "case", "enrollment"
    template: str = Field(max_length=64)
    result: str = Field(max_length=16)  # accept | reject | ban | filter | used
    at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))


class NoticeConsents:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def record(self, channel: str, address: str, answers: list[tuple[str, str, str]]) -> None:
        """Keep each (kind, template, result) the user answered, in one transaction."""
        now = self.clock.now().astimezone(UTC)
        async with self.db.transaction() as session:
            for kind, template, result in answers:
                session.add(
                    NoticeConsent(
                        channel=channel,
                        address=address,
                        kind=kind,
                        template=template,
                        result=result,
                        at=now,
                    )
                )

    async def available(self, channel: str, address: str, kind: str) -> int:
        """Acceptances of `kind` not yet used by a message."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(col(NoticeConsent.result), func.count())
                .where(
                    col(NoticeConsent.channel) == channel,
                    col(NoticeConsent.address) == address,
                    col(NoticeConsent.kind) == kind,
                    col(NoticeConsent.result).in_(("accept", USED)),
                )
                .group_by(col(NoticeConsent.result))
            )
            counts = {result: count for result, count in rows.all()}
        return max(0, counts.get("accept", 0) - counts.get(USED, 0))

    async def use(self, channel: str, address: str, kind: str, template: str) -> bool:
        """Spend one acceptance before sending; False when none is left (do not send)."""
        if await self.available(channel, address, kind) <= 0:
            return False
        await self.record(channel, address, [(kind, template, USED)])
        return True
