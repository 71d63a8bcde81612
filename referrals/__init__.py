"""Feedback about stations and legal-aid requests: cases, routing to the responsible union's
staff chats (through `core.outbox`), staff actions with an audit log, SLA escalation, the
worker's view, and the stations demoted by "closed" reports.

`service_of(context)` gives the process's `Referrals` service; `closed_reports_of(context)`
the demoted-station set that searches pass to `StationFinder.nearest_open(demoted=…)`.
"""

from __future__ import annotations

from core.context import AppContext
from core.outbox import dispatcher_of
from core.pii import cipher_for

from ._cards import HOTLINES, URGENT_NOTE, category_label, kind_label, status_label
from ._cases import (
    PUSH_CHANNELS,
    ActionResult,
    CaseError,
    CaseNotFound,
    NewCase,
    NotAllowed,
    Staff,
    Submitted,
)
from ._closed import ClosedReports
from ._models import (
    FEEDBACK_CATEGORIES,
    LEGAL_CATEGORIES,
    URGENT_LEGAL,
    Boundary,
    Case,
    CaseEvent,
    CaseEventView,
    CaseKind,
    CaseRecipient,
    CaseStatus,
    CaseView,
)
from ._regions import Area, AreaFinder, RegionError, import_boundaries, parse_boundaries
from ._routing import StaffChat, Target, chain_for, route
from ._service import Referrals
from ._sla import add_working_hours, working_hours_between
from ._texts import rotate_case_keys


def closed_reports_of(context: AppContext) -> ClosedReports:
    reports: ClosedReports | None = context.components.get("closed_reports")
    if reports is None:
        reports = ClosedReports(context.db, context.clock, context.finder, context.store)
        context.components["closed_reports"] = reports
    return reports


def service_of(context: AppContext) -> Referrals:
    """The process's referrals service (created on first use)."""
    service: Referrals | None = context.components.get("referrals")
    if service is None:
        dispatcher = dispatcher_of(context)
        service = Referrals(
            context.db,
            context.clock,
            context.finder,
            cipher=cipher_for(context.settings),
            on_enqueue=dispatcher.wake,
        )
        reports = closed_reports_of(context)
        pending: set[object] = set()

        def closed_changed(case: CaseView) -> None:
            if case.category == "closed":
                import asyncio

                task = asyncio.get_running_loop().create_task(reports.changed())
                pending.add(task)  # keep a reference until it is done
                task.add_done_callback(pending.discard)

        service.listeners.append(closed_changed)
        context.components["referrals"] = service
    return service


__all__ = [
    "FEEDBACK_CATEGORIES",
    "HOTLINES",
    "LEGAL_CATEGORIES",
    "PUSH_CHANNELS",
    "URGENT_LEGAL",
    "URGENT_NOTE",
    "ActionResult",
    "Area",
    "AreaFinder",
    "Boundary",
    "Case",
    "CaseError",
    "CaseEvent",
    "CaseEventView",
    "CaseKind",
    "CaseNotFound",
    "CaseRecipient",
    "CaseStatus",
    "CaseView",
    "ClosedReports",
    "NewCase",
    "NotAllowed",
    "Referrals",
    "RegionError",
    "Staff",
    "StaffChat",
    "Submitted",
    "Target",
    "add_working_hours",
    "category_label",
    "chain_for",
    "closed_reports_of",
    "import_boundaries",
    "kind_label",
    "parse_boundaries",
    "rotate_case_keys",
    "route",
    "service_of",
    "status_label",
    "working_hours_between",
]
