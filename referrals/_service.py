"""`Referrals`, the service: a worker's report or request is stored before it is acknowledged,
routed to the responsible union and forwarded to its staff chats through the outbox in the
same transaction; unclaimed legal-aid requests escalate after their deadline. Staff actions and
reading come from the layers below (`_actions`, `_records`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from . import _cards as cards
from ._actions import StaffActions
from ._cases import CaseError, NewCase, Submitted, case_number, validate
from ._models import Case, CaseKind, CaseStatus, CaseView
from ._regions import Area
from ._routing import LEVEL_LABELS, Target, next_up, route
from ._sla import add_working_hours
from ._texts import seal


class Referrals(StaffActions):
    """The referrals service; one per process (`context.components["referrals"]`)."""

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
        row = Case(
            number=case_number(new.kind),
            kind=new.kind,
            category=new.category,
            description_enc=seal(self.cipher, new.description),
            photo_ref=new.photo_ref,
            station_id=new.station_id,
            lat=new.point.lat if new.point else None,
            lng=new.point.lng if new.point else None,
            place_text=new.place_text,
            consent_contact=new.consent_contact,
            channel=new.channel,
            worker_ref=new.worker_ref,
            source_ref=new.source_ref,
            county_adcode=area.county_adcode if area else "",
            area_name=area.county if area else "",
            union_id=target.union.id if target else None,
            level=target.level if target else "",
            created_at=now,
            updated_at=now,
        )
        if new.kind == CaseKind.LEGAL_AID:
            row.sla_due_at = add_working_hours(now, self.sla_hours)
        try:
            async with self.db.transaction() as session:
                session.add(row)
                await session.flush()
                case = self._view(row)
                await self._event(
                    session,
                    case,
                    "created",
                    "worker",
                    channel=new.channel,
                    detail=cards.category_label(case.kind, case.category),
                )
                if target is not None:
                    await self._forward(session, case, target, "routed", station_name)
        except IntegrityError:
            # The same inbound message raced in on another process: that one won.
            existing = await self._by_source(new.channel, new.source_ref)
            if existing is None:
                raise
            return await self._submitted(existing, created=False)
        self.on_enqueue()
        self._changed(case)
        return await self._submitted(case, created=True, target=target)

    async def _submitted(
        self, case: CaseView, *, created: bool, target: Target | None = None
    ) -> Submitted:
        routed_to = target.union.name if target else ""
        if target is None and case.union_id is not None:
            from membership import get_union

            union = await get_union(self.db, case.union_id)
            routed_to = union.name if union else ""
        return Submitted(
            case,
            created,
            cards.acknowledgement(case, routed_to=routed_to),
            cards.is_urgent(case),
            routed_to,
        )

    async def _by_source(self, channel: str, source_ref: str | None) -> CaseView | None:
        if not source_ref:
            return None
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(Case).where(
                        col(Case.channel) == channel, col(Case.source_ref) == source_ref
                    )
                )
            ).scalar()
        return self._view(row) if row is not None else None

    async def escalate_due(self) -> int:
        """Escalate legal-aid requests still unclaimed past their deadline; how many moved."""
        now = self.clock.now()
        async with self.db.session() as session:
            due = list(
                (
                    await session.execute(
                        select(Case).where(
                            col(Case.kind) == CaseKind.LEGAL_AID,
                            col(Case.status) == CaseStatus.NEW,
                            col(Case.sla_due_at) <= now,
                        )
                    )
                ).scalars()
            )
        moved = 0
        for case in due:
            area = (
                Area(
                    case.county_adcode,
                    case.area_name,
                    case.county_adcode[:4] + "00",
                    "",
                    case.county_adcode[:2] + "0000",
                )
                if case.county_adcode
                else None
            )
            target = await next_up(self.db, area, case.level) if area else None
            async with self.db.transaction() as session:
                fresh = await session.get(Case, case.id)
                if fresh is None or fresh.status != CaseStatus.NEW:
                    continue  # claimed meanwhile
                if target is None:  # nobody above: stop the clock, the case stays visible
                    fresh.sla_due_at = None
                    await self._event(
                        session, fresh, "sla_missed", "system", detail="没有更高一级的工会可以升级"
                    )
                    continue
                from_label = await self._union_name([fresh.union_id]) if fresh.union_id else ""
                fresh.union_id, fresh.level = target.union.id, target.level
                fresh.escalations += 1
                fresh.sla_due_at = add_working_hours(now, self.sla_hours)
                fresh.updated_at = now
                station = self.stations.get(fresh.station_id) if fresh.station_id else None
                await self._forward(
                    session,
                    self._view(fresh),
                    target,
                    "escalated",
                    station.name if station else "",
                    escalated_from=from_label or LEVEL_LABELS.get(case.level, ""),
                )
                moved += 1
        if moved:
            self.on_enqueue()
        return moved
