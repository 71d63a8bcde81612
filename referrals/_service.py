"""`Referrals`, the service: a worker's report or request is stored before it is acknowledged,
routed to the responsible union and forwarded to its staff chats as notices in the same
transaction; unclaimed legal-aid requests escalate after their deadline.

It is composed of its parts, each an object of its own: `CaseStore` (`_records`: tables, audit
log, reading), `Messenger` (`_forward`: staff cards and the worker's notices) and
`StaffActions` (`_actions`). The methods callers use are all here, under the names they had.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.pii import PiiCipher
from membership import Directory

from . import _cards as cards
from ._actions import StaffActions
from ._cases import ActionResult, NewCase, Staff, StationLookup, Submitted, case_number, validate
from ._errors import CaseError
from ._forward import Messenger
from ._models import Case, CaseEventView, CaseKind, CaseRecipient, CaseStatus, CaseView
from ._records import CaseStore
from ._regions import Area, AreaFinder
from ._routing import LEVEL_LABELS, Target, next_up, route
from ._sla import add_working_hours
from ._texts import seal

log = logging.getLogger(__name__)


def _no_op() -> None:
    pass


def _ignore(_case: CaseView) -> None:
    pass


class Referrals:
    """The referrals service; one per process.

    - `finder`: looks stations up by id (`locations.StationFinder`).
    - `on_enqueue()`: called after a transaction that queued notices commits (the outbox
      dispatcher's `wake`).
    - `on_changed(case)`: called after a case was submitted, resolved or marked a duplicate
      (e.g. `ClosedReports.changed` for "closed" reports, which demote a station in search).
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        finder: StationLookup,
        cipher: PiiCipher,
        directory: Directory,
        on_enqueue: Callable[[], None] = _no_op,
        *,
        on_changed: Callable[[CaseView], None] = _ignore,
        areas: AreaFinder | None = None,
        sla_hours: float = 4.0,
        public_url: str = "",
    ) -> None:
        self.db, self.clock, self.stations, self.cipher = db, clock, finder, cipher
        self.directory = directory
        self.on_enqueue, self.on_changed = on_enqueue, on_changed
        self.areas = areas or AreaFinder(db)
        self.sla_hours = sla_hours
        self.store = CaseStore(db, clock, cipher)
        self.messenger = Messenger(clock, self.store, directory, public_url=public_url)
        self.actions = StaffActions(
            db,
            clock,
            cipher,
            self.store,
            self.messenger,
            on_enqueue=self._enqueued,
            on_changed=self._changed,
        )

    # Late-bound, so a caller that swaps `on_enqueue` / `on_changed` is heard by every part.
    def _enqueued(self) -> None:
        self.on_enqueue()

    def _changed(self, case: CaseView) -> None:
        self.on_changed(case)

    # -- reading (the store) ---------------------------------------------------------------

    async def get(self, case_id: int) -> CaseView | None:
        return await self.store.get(case_id)

    async def get_for(self, case_id: int, staff: Staff) -> CaseView:
        """The case, if it belongs to one of the staff member's unions (else NotAllowed)."""
        return await self.store.get_for(case_id, staff)

    async def events(self, case_id: int) -> list[CaseEventView]:
        return await self.store.events(case_id)

    async def recipients(self, case_id: int) -> list[CaseRecipient]:
        return await self.store.recipients(case_id)

    async def of_worker(
        self, channel: str, worker_ref: str, limit: int = 20, *, before_id: int | None = None
    ) -> list[CaseView]:
        return await self.store.of_worker(channel, worker_ref, limit, before_id=before_id)

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
        return await self.store.for_staff(
            staff,
            status=status,
            kind=kind,
            since=since,
            limit=limit,
            before_id=before_id,
            union_id=union_id,
            claimed_by=claimed_by,
        )

    # -- staff actions ---------------------------------------------------------------------

    async def claim(self, case_id: int, staff: Staff, channel: str) -> ActionResult:
        return await self.actions.claim(case_id, staff, channel)

    async def reply(self, case_id: int, staff: Staff, text: str, channel: str) -> ActionResult:
        return await self.actions.reply(case_id, staff, text, channel)

    async def resolve(self, case_id: int, staff: Staff, outcome: str, channel: str) -> ActionResult:
        return await self.actions.resolve(case_id, staff, outcome, channel)

    async def reopen(self, case_id: int, staff: Staff, reason: str, channel: str) -> ActionResult:
        return await self.actions.reopen(case_id, staff, reason, channel)

    async def mark_duplicate(
        self, case_id: int, staff: Staff, of_number: str, channel: str
    ) -> ActionResult:
        return await self.actions.mark_duplicate(case_id, staff, of_number, channel)

    async def reveal(self, case_id: int, staff: Staff, what: str, channel: str) -> CaseView:
        """The case to show `what` unmasked, the look recorded in its audit log."""
        return await self.actions.reveal(case_id, staff, what, channel)

    # -- submitting and escalation ---------------------------------------------------------

    async def submit(self, new: NewCase) -> Submitted:
        validate(new)
        existing = await self._by_source(new.channel, new.source_ref)
        if existing is not None:
            return await self._submitted(self._resent(existing, new), created=False)
        station_name, named = "", {"league": "", "county": ""}
        if new.station_id is not None:
            station = self.stations.get(new.station_id)
            if station is None:
                raise CaseError("没有找到这个驿站，它可能已撤销。请换一个驿站或直接描述地点。")
            new.point, station_name = station.point, station.name
            named = {"league": station.league, "county": station.county}  # placed by its record
            new.place_text = new.place_text or station.address
        area = await self.areas.area_of(new.point, **named) if new.point else None
        # Always a union when the directory has one: no area still means the region's.
        target = await route(self.directory, area)
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
            place_text_enc=seal(self.cipher, new.place_text),
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
                case = self.store.view(row)
                await self.store.event(
                    session,
                    case,
                    "created",
                    "worker",
                    channel=new.channel,
                    detail=cards.category_label(case.kind, case.category),
                )
                if target is not None:
                    await self.messenger.forward(session, case, target, "routed", station_name)
        except IntegrityError:
            # The same inbound message raced in on another process: that one won.
            existing = await self._by_source(new.channel, new.source_ref)
            if existing is None:
                raise
            return await self._submitted(self._resent(existing, new), created=False)
        if target is None:
            log.error("case %s belongs to no union: the union directory has none", case.number)
        self.on_enqueue()
        self.on_changed(case)
        return await self._submitted(case, created=True, target=target)

    async def _submitted(
        self, case: CaseView, *, created: bool, target: Target | None = None
    ) -> Submitted:
        routed_to = target.union.name if target else ""
        if target is None and case.union_id is not None:
            union = await self.directory.get_union(case.union_id)
            routed_to = union.name if union else ""
        return Submitted(
            case,
            created,
            cards.acknowledgement(case, routed_to=routed_to),
            cards.is_urgent(case),
            routed_to,
        )

    @staticmethod
    def _resent(existing: CaseView, new: NewCase) -> CaseView:
        """The case a resent request made, only when the same worker sends it again: someone
        else's case is never answered to another account, whatever key they send."""
        if existing.worker_ref != new.worker_ref:
            raise CaseError("这个提交编号已经用过了，请重新提交。")
        return existing

    async def _by_source(self, channel: str, source_ref: str | None) -> CaseView | None:
        if not source_ref:
            return None
        async with self.db.session() as session:
            return await self.store.by_source(session, channel, source_ref)

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
            target = await next_up(self.directory, area, case.level)
            async with self.db.transaction() as session:
                fresh = await session.get(Case, case.id)
                if fresh is None or fresh.status != CaseStatus.NEW:
                    continue  # claimed meanwhile
                if target is None:  # nobody above: stop the clock, the case stays visible
                    fresh.sla_due_at = None
                    await self.store.event(
                        session, fresh, "sla_missed", "system", detail="没有更高一级的工会可以升级"
                    )
                    continue
                from_label = (
                    await self.messenger.union_name(session, [fresh.union_id])
                    if fresh.union_id
                    else ""
                )
                fresh.union_id, fresh.level = target.union.id, target.level
                fresh.escalations += 1
                fresh.sla_due_at = add_working_hours(now, self.sla_hours)
                fresh.updated_at = now
                station = self.stations.get(fresh.station_id) if fresh.station_id else None
                await self.messenger.forward(
                    session,
                    self.store.view(fresh),
                    target,
                    "escalated",
                    station.name if station else "",
                    escalated_from=from_label or LEVEL_LABELS.get(case.level, ""),
                )
                moved += 1
        if moved:
            self.on_enqueue()
        return moved
