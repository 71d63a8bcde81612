"""Feedback about stations and legal-aid requests: cases, routing to the responsible union's
staff chats (through `core.outbox`), staff actions with an audit log, SLA escalation, the
worker's view, and the stations demoted by "closed" reports.

`Referrals(db, clock, stations, cipher=…, on_enqueue=…)` is the service; `ClosedReports` the
demoted-station set that searches pass to `StationFinder.nearest_open(demoted=…)`. The
composition root (`yizhan.wiring`) builds one of each per process.
"""

from __future__ import annotations

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
    "import_boundaries",
    "kind_label",
    "parse_boundaries",
    "rotate_case_keys",
    "route",
    "status_label",
    "working_hours_between",
]
