"""Cases: a worker's report or request, stored before it is acknowledged, routed to the
responsible union and forwarded to its staff chats through the outbox in the same transaction.

Exceptions: `CaseError` (bad input, message in Chinese), `CaseNotFound`, `NotAllowed` (a staff
member acting on another union's case).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.outbox import WORKER_KINDS, enqueue
from locations import Point

from . import _cards as cards
from ._models import (
    FEEDBACK_CATEGORIES,
    LEGAL_CATEGORIES,
    Case,
    CaseEvent,
    CaseKind,
    CaseRecipient,
    CaseStatus,
)
from ._regions import Area, AreaFinder
from ._routing import LEVEL_LABELS, Target, next_up, route
from ._sla import add_working_hours

# Channels whose users can be messaged first, and the outbox kind that reaches them (the
# Official Account by customer-service message, the mini-program by subscribe message).
PUSH_KINDS = WORKER_KINDS
PUSH_CHANNELS = frozenset(PUSH_KINDS)
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
MAX_TEXT = 1000


class CaseError(ValueError):
    """Input that cannot become a case or an action; the message is Chinese, for the user."""


class CaseNotFound(CaseError):
    pass


class NotAllowed(CaseError):
    pass


class Staff(Protocol):
    """Who acts on a case (`membership.StaffInfo` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def union_ids(self) -> frozenset[int]: ...


class StationLookup(Protocol):
    def get(self, station_id: int) -> Any: ...


@dataclass(slots=True)
class NewCase:
    kind: str
    category: str
    channel: str
    worker_ref: str
    description: str = ""
    source_ref: str | None = None
    station_id: int | None = None
    point: Point | None = None  # WGS-84
    place_text: str = ""
    photo_ref: str = ""
    consent_contact: bool = False


@dataclass(slots=True)
class Submitted:
    case: Case
    created: bool  # False: the same inbound message came again; this is the first case
    acknowledgement: str
    urgent: bool
    routed_to: str = ""


@dataclass(slots=True)
class ActionResult:
    case: Case
    notified_worker: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _number(kind: str) -> str:
    prefix = "L" if kind == CaseKind.LEGAL_AID else "F"
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def validate(new: NewCase) -> None:
    if new.kind not in (CaseKind.FEEDBACK, CaseKind.LEGAL_AID):
        raise CaseError("请选择是驿站反馈还是法律援助。")
    table = LEGAL_CATEGORIES if new.kind == CaseKind.LEGAL_AID else FEEDBACK_CATEGORIES
    if new.category not in table:
        raise CaseError(f"请从这些类别中选择：{'、'.join(table.values())}。")
    new.description = (new.description or "").strip()
    if len(new.description) > MAX_TEXT:
        raise CaseError(f"描述太长了，请控制在 {MAX_TEXT} 字以内。")
    needs_words = new.kind == CaseKind.LEGAL_AID or new.category == "other"
    if needs_words and len(new.description) < 4:
        raise CaseError("请简单说说发生了什么（至少几个字），工会才好帮您。")
    if new.kind == CaseKind.FEEDBACK and new.station_id is None:
        raise CaseError("请先选择是哪个驿站。")
    if not new.worker_ref or not new.channel:
        raise CaseError("不知道该把进展告诉谁，请从公众号、机器人或小程序提交。")
    if len(new.place_text) > 200 or len(new.photo_ref) > 500:
        raise CaseError("地点或照片信息太长了。")


class Referrals:
    """The referrals service; one per process (`context.components["referrals"]`)."""

    def __init__(
        self, db: Database, clock: Clock, stations: StationLookup, *,
        areas: AreaFinder | None = None, on_enqueue: Callable[[], None] | None = None,
        sla_hours: float = 4.0,
    ) -> None:
        self.db, self.clock, self.stations = db, clock, stations
        self.areas = areas or AreaFinder(db)
        self.on_enqueue = on_enqueue or (lambda: None)
        self.sla_hours = sla_hours
        self.listeners: list[Callable[[Case], None]] = []  # e.g. closed-station reports

    # -- submitting ------------------------------------------------------------------------

    async def submit(self, new: NewCase) -> Submitted:
        validate(new)
        existing = await self._by_source(new.channel, new.source_ref)
        if existing is not None:
            return await self._submitted(existing, created=False)
        station_name = ""
        if new.station_id is not None:
            station = self.stations.get(new.station_id)
            if station is None:
                raise CaseError("没有找到这个驿站，它可能已撤销。请换一个驿站或直接描述地点。")
            new.point, station_name = station.point, station.name
            new.place_text = new.place_text or station.address
        area = await self.areas.area_of(new.point) if new.point else None
        target = await route(self.db, area) if area else None
        now = self.clock.now()
        case = Case(
            number=_number(new.kind), kind=new.kind, category=new.category,
            description=new.description, photo_ref=new.photo_ref, station_id=new.station_id,
            lat=new.point.lat if new.point else None, lng=new.point.lng if new.point else None,
            place_text=new.place_text, consent_contact=new.consent_contact,
            channel=new.channel, worker_ref=new.worker_ref, source_ref=new.source_ref,
            county_adcode=area.county_adcode if area else "",
            area_name=area.county if area else "",
            union_id=target.union.id if target else None, level=target.level if target else "",
            created_at=now, updated_at=now,
        )
        if new.kind == CaseKind.LEGAL_AID:
            case.sla_due_at = add_working_hours(now, self.sla_hours)
        try:
            async with self.db.transaction() as session:
                session.add(case)
                await session.flush()
                await self._event(session, case, "created", "worker", channel=new.channel,
                                  detail=cards.category_label(case.kind, case.category))
                if target is not None:
                    await self._forward(session, case, target, "routed", station_name)
        except IntegrityError:
            # The same inbound message raced in on another process: that one won.
            existing = await self._by_source(new.channel, new.source_ref)
            if existing is None:
                raise
            return await self._submitted(existing, created=False)
        self.on_enqueue()
        for listener in self.listeners:
            listener(case)
        return await self._submitted(case, created=True, target=target)

    async def _submitted(self, case: Case, *, created: bool, target: Target | None = None) -> Submitted:
        routed_to = target.union.name if target else ""
        if target is None and case.union_id is not None:
            from membership import get_union

            union = await get_union(self.db, case.union_id)
            routed_to = union.name if union else ""
        return Submitted(case, created, cards.acknowledgement(case, routed_to=routed_to),
                         cards.is_urgent(case), routed_to)

    async def _by_source(self, channel: str, source_ref: str | None) -> Case | None:
        if not source_ref:
            return None
        async with self.db.session() as session:
            return (await session.execute(select(Case).where(
                col(Case.channel) == channel, col(Case.source_ref) == source_ref))).scalar()

    async def _forward(
        self, session: AsyncSession, case: Case, target: Target, reason: str,
        station_name: str = "", escalated_from: str = "",
    ) -> int:
        """Outbox rows to the target's chats; a chat that already has the case gets nothing."""
        card = cards.staff_card(case, station_name=station_name, escalated_from=escalated_from)
        sent = 0
        for chat in target.chats:
            known = (await session.execute(select(col(CaseRecipient.id)).where(
                col(CaseRecipient.case_id) == case.id, col(CaseRecipient.kind) == chat.kind,
                col(CaseRecipient.address) == chat.address))).first()
            if known is not None:
                continue
            session.add(CaseRecipient(case_id=case.id or 0, union_id=target.union.id,
                                      kind=chat.kind, address=chat.address, reason=reason,
                                      at=self.clock.now()))
            sent += await enqueue(session, chat.kind, chat.address, card, f"case:{case.id}:card")
        await self._event(session, case, reason, "system", detail=target.union.name)
        return sent

    async def _event(
        self, session: AsyncSession, case: Case, action: str, actor: str, *,
        actor_name: str = "", channel: str = "", detail: str = "",
    ) -> CaseEvent:
        event = CaseEvent(case_id=case.id or 0, action=action, actor=actor, actor_name=actor_name,
                          channel=channel, detail=detail[:2000], at=self.clock.now())
        session.add(event)
        await session.flush()
        return event

    async def _tell_worker(
        self, session: AsyncSession, case: Case, event: CaseEvent, payload: dict[str, Any]
    ) -> bool:
        kind = PUSH_KINDS.get(case.channel)
        if kind is None:
            return False
        if kind == "wechat_subscribe":
            payload = cards.worker_subscribe(case, event.action, event.detail,
                                             str(payload.get("text", "")))
        return await enqueue(session, kind, case.worker_ref, payload,
                             f"case:{case.id}:event:{event.id}")

    # -- staff actions ---------------------------------------------------------------------

    async def _load_for(self, session: AsyncSession, case_id: int, staff: Staff) -> Case:
        case = await session.get(Case, case_id)
        if case is None:
            raise CaseNotFound("没有找到这条求助。")
        unions = set(staff.union_ids)
        if case.union_id not in unions:
            got = (await session.execute(select(col(CaseRecipient.id)).where(
                col(CaseRecipient.case_id) == case_id, col(CaseRecipient.union_id).in_(unions)
            ))).first()
            if got is None:
                raise NotAllowed("这条求助不归您所在的工会处理。")
        return case

    async def _union_name(self, union_ids: Collection[int | None]) -> str:
        from membership import get_union

        for uid in union_ids:
            if uid is not None and (union := await get_union(self.db, uid)) is not None:
                return union.name
        return "工会"

    async def claim(self, case_id: int, staff: Staff, channel: str) -> ActionResult:
        union_name = ""
        async with self.db.transaction() as session:
            case = await self._load_for(session, case_id, staff)
            if case.status == CaseStatus.CLAIMED and case.claimed_by == staff.id:
                return ActionResult(case)
            if case.status != CaseStatus.NEW:
                who = f"已由{case.claimed_by_name}认领" if case.claimed_by_name else "已在处理"
                raise CaseError(f"这条求助{who}，状态：{cards.status_label(case.status)}。")
            # Conditional: of two staff pressing "认领" at once, exactly one wins.
            won = await session.execute(update(Case).where(
                col(Case.id) == case_id, col(Case.status) == CaseStatus.NEW
            ).values(status=CaseStatus.CLAIMED.value, claimed_by=staff.id,
                     claimed_by_name=staff.name, updated_at=self.clock.now()))
            if not won.rowcount:  # type: ignore[attr-defined]
                raise CaseError("刚刚已有同事认领了这条求助。")
            await session.refresh(case)
            union_name = await self._union_name([case.union_id, *sorted(staff.union_ids)])
            event = await self._event(session, case, "claimed", f"staff:{staff.id}",
                                      actor_name=staff.name, channel=channel)
            told = await self._tell_worker(session, case, event,
                                           cards.worker_claimed(case, union_name, staff.name))
        self.on_enqueue()
        return ActionResult(case, told)

    async def reply(self, case_id: int, staff: Staff, text: str, channel: str) -> ActionResult:
        text = (text or "").strip()
        if not text or len(text) > MAX_TEXT:
            raise CaseError(f"回复内容不能为空，也不要超过 {MAX_TEXT} 字。")
        async with self.db.transaction() as session:
            case = await self._load_for(session, case_id, staff)
            if case.status in (CaseStatus.RESOLVED, CaseStatus.DUPLICATE):
                raise CaseError("这条求助已经办结；如需继续，请先重新打开。")
            if case.status == CaseStatus.NEW:  # answering is taking it on
                case.status, case.claimed_by, case.claimed_by_name = (
                    CaseStatus.CLAIMED.value, staff.id, staff.name)
                await self._event(session, case, "claimed", f"staff:{staff.id}",
                                  actor_name=staff.name, channel=channel)
            case.updated_at = self.clock.now()
            union_name = await self._union_name([case.union_id])
            event = await self._event(session, case, "replied", f"staff:{staff.id}",
                                      actor_name=staff.name, channel=channel, detail=text)
            told = await self._tell_worker(session, case, event,
                                           cards.worker_reply(case, union_name, text))
        self.on_enqueue()
        return ActionResult(case, told)

    async def resolve(self, case_id: int, staff: Staff, outcome: str, channel: str) -> ActionResult:
        outcome = (outcome or "").strip()
        if not outcome or len(outcome) > MAX_TEXT:
            raise CaseError("请写上处理结果（不超过 1000 字），工人会看到。")
        async with self.db.transaction() as session:
            case = await self._load_for(session, case_id, staff)
            if case.status in (CaseStatus.RESOLVED, CaseStatus.DUPLICATE):
                raise CaseError("这条求助已经办结了。")
            case.status, case.outcome = CaseStatus.RESOLVED.value, outcome
            case.claimed_by = case.claimed_by or staff.id
            case.claimed_by_name = case.claimed_by_name or staff.name
            case.updated_at = self.clock.now()
            event = await self._event(session, case, "resolved", f"staff:{staff.id}",
                                      actor_name=staff.name, channel=channel, detail=outcome)
            told = await self._tell_worker(session, case, event,
                                           cards.worker_resolved(case, outcome))
        self.on_enqueue()
        self._changed(case)
        return ActionResult(case, told)

    async def reopen(self, case_id: int, staff: Staff, reason: str, channel: str) -> ActionResult:
        async with self.db.transaction() as session:
            case = await self._load_for(session, case_id, staff)
            if case.status not in (CaseStatus.RESOLVED, CaseStatus.DUPLICATE):
                raise CaseError("这条求助还没有办结，不用重新打开。")
            case.status = (CaseStatus.CLAIMED if case.claimed_by else CaseStatus.NEW).value
            case.duplicate_of, case.updated_at = None, self.clock.now()
            event = await self._event(session, case, "reopened", f"staff:{staff.id}",
                                      actor_name=staff.name, channel=channel, detail=reason[:500])
            told = await self._tell_worker(session, case, event, cards.worker_reopened(case))
        self.on_enqueue()
        return ActionResult(case, told)

    async def mark_duplicate(
        self, case_id: int, staff: Staff, of_number: str, channel: str
    ) -> ActionResult:
        async with self.db.transaction() as session:
            case = await self._load_for(session, case_id, staff)
            other = (await session.execute(
                select(Case).where(col(Case.number) == of_number.strip().upper()))).scalar()
            if other is None or other.id == case.id:
                raise CaseError("请填写另一条求助的编号（如 F7K3Q9A）。")
            if case.status in (CaseStatus.RESOLVED, CaseStatus.DUPLICATE):
                raise CaseError("这条求助已经办结了。")
            case.status, case.duplicate_of = CaseStatus.DUPLICATE.value, other.id
            case.updated_at = self.clock.now()
            event = await self._event(session, case, "duplicate", f"staff:{staff.id}",
                                      actor_name=staff.name, channel=channel, detail=other.number)
            told = await self._tell_worker(session, case, event,
                                           cards.worker_duplicate(case, other.number))
        self.on_enqueue()
        self._changed(case)
        return ActionResult(case, told)

    def _changed(self, case: Case) -> None:
        for listener in self.listeners:
            listener(case)

    # -- SLA -------------------------------------------------------------------------------

    async def escalate_due(self) -> int:
        """Escalate legal-aid requests still unclaimed past their deadline; how many moved."""
        now = self.clock.now()
        async with self.db.session() as session:
            due = list((await session.execute(select(Case).where(
                col(Case.kind) == CaseKind.LEGAL_AID, col(Case.status) == CaseStatus.NEW,
                col(Case.sla_due_at) <= now,
            ))).scalars())
        moved = 0
        for case in due:
            area = Area(case.county_adcode, case.area_name, case.county_adcode[:4] + "00", "",
                        case.county_adcode[:2] + "0000") if case.county_adcode else None
            target = await next_up(self.db, area, case.level) if area else None
            async with self.db.transaction() as session:
                fresh = await session.get(Case, case.id)
                if fresh is None or fresh.status != CaseStatus.NEW:
                    continue  # claimed meanwhile
                if target is None:  # nobody above: stop the clock, the case stays visible
                    fresh.sla_due_at = None
                    await self._event(session, fresh, "sla_missed", "system",
                                      detail="没有更高一级的工会可以升级")
                    continue
                from_label = await self._union_name([fresh.union_id]) if fresh.union_id else ""
                fresh.union_id, fresh.level = target.union.id, target.level
                fresh.escalations += 1
                fresh.sla_due_at = add_working_hours(now, self.sla_hours)
                fresh.updated_at = now
                station = self.stations.get(fresh.station_id) if fresh.station_id else None
                await self._forward(session, fresh, target, "escalated",
                                    station.name if station else "",
                                    escalated_from=from_label or LEVEL_LABELS.get(case.level, ""))
                moved += 1
        if moved:
            self.on_enqueue()
        return moved

    # -- reading ---------------------------------------------------------------------------

    async def get_for(self, case_id: int, staff: Staff) -> Case:
        """The case, if it belongs to one of the staff member's unions (else NotAllowed)."""
        async with self.db.session() as session:
            return await self._load_for(session, case_id, staff)

    async def get(self, case_id: int) -> Case | None:
        async with self.db.session() as session:
            return await session.get(Case, case_id)

    async def events(self, case_id: int) -> list[CaseEvent]:
        async with self.db.session() as session:
            return list((await session.execute(select(CaseEvent).where(
                col(CaseEvent.case_id) == case_id).order_by(col(CaseEvent.id)))).scalars())

    async def recipients(self, case_id: int) -> list[CaseRecipient]:
        async with self.db.session() as session:
            return list((await session.execute(select(CaseRecipient).where(
                col(CaseRecipient.case_id) == case_id).order_by(col(CaseRecipient.id)))).scalars())

    async def of_worker(self, channel: str, worker_ref: str, limit: int = 20) -> list[Case]:
        async with self.db.session() as session:
            return list((await session.execute(select(Case).where(
                col(Case.channel) == channel, col(Case.worker_ref) == worker_ref,
            ).order_by(col(Case.id).desc()).limit(limit))).scalars())

    async def for_staff(
        self, staff: Staff, *, status: str | None = None, kind: str | None = None,
        since: datetime | None = None, limit: int = 50, before_id: int | None = None,
    ) -> list[Case]:
        """Cases of the staff member's own unions (responsible now, or sent to them)."""
        unions = list(staff.union_ids)
        sent_to = select(col(CaseRecipient.case_id)).where(
            col(CaseRecipient.union_id).in_(unions))
        query = select(Case).where(or_(col(Case.union_id).in_(unions),
                                       col(Case.id).in_(sent_to)))
        if status:
            query = query.where(col(Case.status) == status)
        if kind:
            query = query.where(col(Case.kind) == kind)
        if since:
            query = query.where(col(Case.created_at) >= since)
        if before_id:
            query = query.where(col(Case.id) < before_id)
        async with self.db.session() as session:
            return list((await session.execute(
                query.order_by(col(Case.id).desc()).limit(limit))).scalars())
