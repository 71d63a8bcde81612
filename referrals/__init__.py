"""Feedback about stations and legal-aid requests: cases, routing to the responsible union (its
queue, and its staff chats), staff actions with an audit log, SLA escalation, the worker's
view, and the stations demoted by "closed" reports.

The door
--------
- `Referrals(db, clock, finder, cipher, directory, on_enqueue, *, on_changed, areas,
  sla_hours)`: `submit(new_case)`, `escalate_due()`; staff `claim`, `reply`, `resolve`,
  `reopen`, `mark_duplicate`, `reveal` (an audited look at unmasked text); reading `get`,
  `get_for`, `events`, `recipients`, `of_worker`,
  `for_staff`. Composed of `CaseStore` (tables, audit log, reading), `Messenger` (staff cards
  and the worker's notices, as `core.notices.Notice`s queued in the same transaction) and
  `StaffActions`. `on_enqueue()` runs after notices were queued (the outbox's `wake`),
  `on_changed(case)` after a case was submitted, resolved or marked a duplicate — wire
  `ClosedReports.changed` to it for "closed" reports (`closed_listener`).
- `ClosedReports(db, clock, finder, store)`: `demoted()`, the station ids that searches pass to
  `StationFinder.nearest_open(demoted=…)`; `changed()` after a "closed" report changes.
- Routing: `route`, `chain_for` (a `Target`: the union that owns the case — the county of its
  area or the nearest level above that exists, in that union's queue chats or not — its level,
  and the chats that hear of it: its own, else the nearest above's, as `Recipient`s from
  `membership.UnionInfo.chats`). Regions: `AreaFinder`, `import_boundaries`,
  `parse_boundaries`. Working time: `add_working_hours`, `working_hours_between`. Labels and
  hotlines for adapters. Key rotation: `rotate_case_keys`.

Channel names (where a worker asked from, a union's chats) are data from `core.notices`.

Errors (one tree; messages are Chinese, for the person who caused them)
----------------------------------------------------------------------
::

    ReferralsError (a ValueError)
    ├── CaseError           input that cannot become a case or an action
    │   ├── CaseNotFound    no such case
    │   └── NotAllowed      a staff member acting on another union's case
    └── RegionError         a boundary file that cannot be imported
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ._cards import HOTLINES, URGENT_NOTE, category_label, kind_label, status_label
from ._cases import ActionResult, NewCase, Staff, Submitted
from ._closed import ClosedReports
from ._errors import CaseError, CaseNotFound, NotAllowed, ReferralsError, RegionError
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
from ._regions import Area, AreaFinder, import_boundaries, parse_boundaries
from ._routing import Target, chain_for, route
from ._service import Referrals
from ._sla import add_working_hours, working_hours_between
from ._texts import rotate_case_keys


def closed_listener(reports: ClosedReports) -> Callable[[CaseView], None]:
    """An `on_changed` for `Referrals`: a changed "closed" report refreshes the demoted set
    (in the background, so the worker's answer does not wait for the store)."""
    pending: set[asyncio.Task[None]] = set()

    def changed(case: CaseView) -> None:
        if case.category == "closed":
            task = asyncio.get_running_loop().create_task(reports.changed())
            pending.add(task)  # keep a reference until it is done
            task.add_done_callback(pending.discard)

    return changed


__all__ = [
    "FEEDBACK_CATEGORIES",
    "HOTLINES",
    "LEGAL_CATEGORIES",
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
    "ReferralsError",
    "RegionError",
    "Staff",
    "Submitted",
    "Target",
    "add_working_hours",
    "category_label",
    "chain_for",
    "closed_listener",
    "import_boundaries",
    "kind_label",
    "parse_boundaries",
    "rotate_case_keys",
    "route",
    "status_label",
    "working_hours_between",
]
