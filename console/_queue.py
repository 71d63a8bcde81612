"""The queue (`GET /console/` when signed in): cases and enrollments of the signed-in person's
unions in one list, overdue cases first, then newest first; filters by kind, status, union and
"mine". `GET /console/queue.json` gives the same rows; the page polls it (console.js) so new
items appear without a reload."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from core import mask_pii
from membership import StaffAccount, unions_visible_to
from referrals import CaseView

from . import _queries as q
from ._pages import local_time, render, services_of, signed_in
from ._signin import sign_in_page

LIMIT = 100  # per source; older items are reached by filtering
KINDS = {"": "全部", "legal_aid": "法律援助", "feedback": "驿站反馈", "enrollment": "入会申请"}
# One status list for both sources: each option says what it means for cases and enrollments.
STATUSES = {
    "open": "待办（未办结）",
    "new": "待认领",
    "claimed": "处理中",
    "resolved": "已办结",
    "submitted": "待审核",
    "approved": "已通过",
    "rejected": "未通过",
    "all": "全部",
}
CASE_STATUSES = {
    "open": ("new", "claimed"),
    "new": ("new",),
    "claimed": ("claimed",),
    "resolved": ("resolved", "duplicate"),
    "all": (None,),
}
ENROLLMENT_STATUSES = {
    "open": ("submitted",),
    "submitted": ("submitted",),
    "approved": ("approved",),
    "rejected": ("rejected",),
    "all": (None,),
}
ENROLLMENT_LABELS = {"submitted": "待审核", "approved": "已通过", "rejected": "未通过"}


@dataclass(frozen=True, slots=True)
class Row:
    url: str
    kind: str
    label: str  # kind shown to people
    number: str
    summary: str
    status: str
    at: datetime
    overdue: bool


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _overdue(case: CaseView, now: datetime) -> bool:
    return case.status == "new" and case.sla_due_at is not None and _utc(case.sla_due_at) <= now


def _case_row(case: CaseView, now: datetime) -> Row:
    text = mask_pii(case.description)
    summary = q.category_label(case.kind, case.category) + (f"：{text[:40]}" if text else "")
    return Row(
        url=f"/console/cases/{case.id}",
        kind=case.kind,
        label=q.kind_label(case.kind),
        number=case.number,
        summary=summary,
        status=q.status_label(case.status),
        at=_utc(case.created_at),
        overdue=_overdue(case, now),
    )


@dataclass(frozen=True, slots=True)
class Filters:
    kind: str
    status: str
    union: int | None
    mine: bool

    @classmethod
    def of(cls, request: web.Request, union_ids: frozenset[int]) -> Filters:
        query = request.query
        kind = query.get("kind", "")
        status = query.get("status", "open")
        raw_union = query.get("union", "")
        union = int(raw_union) if raw_union.isdigit() and len(raw_union) < 12 else None
        return cls(
            kind=kind if kind in KINDS else "",
            status=status if status in STATUSES else "open",
            union=union if union in union_ids else None,
            mine=query.get("mine") == "1",
        )


async def collect(request: web.Request, account: StaffAccount, f: Filters) -> list[Row]:
    """The rows the filters select, overdue first (they are already late), then the newest."""
    services = services_of(request)
    now = services.clock.now()
    rows: list[Row] = []
    if f.kind != "enrollment":
        for case_status in CASE_STATUSES.get(f.status, ()):
            for case in await q.cases(
                services,
                account,
                status=case_status,
                kind=f.kind or None,
                limit=LIMIT,
                union_id=f.union,
                mine=f.mine,
            ):
                rows.append(_case_row(case, now))
    if f.kind in ("", "enrollment") and not f.mine:  # enrollments are nobody's until decided
        for enrollment_status in ENROLLMENT_STATUSES.get(f.status, ()):
            for e in await q.enrollments(
                services, account, status=enrollment_status, limit=LIMIT, union_id=f.union
            ):
                rows.append(
                    Row(
                        url=f"/console/enrollments/{e.id}",
                        kind="enrollment",
                        label="入会申请",
                        number=f"R{e.id}",
                        summary=f"{e.name} · {e.occupation_label} · {e.employer}",
                        status=ENROLLMENT_LABELS.get(e.status, e.status),
                        at=_utc(e.submitted_at),
                        overdue=False,
                    )
                )
    rows.sort(key=lambda r: (not r.overdue, -r.at.timestamp()))
    return rows


async def queue(request: web.Request) -> web.Response:
    found = await signed_in(request)
    if found is None:
        return sign_in_page(request)
    account, _session = found
    f = Filters.of(request, unions_visible_to(account))
    rows = await collect(request, account, f)
    unions = await q.unions_of(services_of(request), account)
    return render(
        request,
        "queue.html",
        {
            "rows": rows,
            "kinds": KINDS,
            "statuses": STATUSES,
            "kind": f.kind,
            "status": f.status,
            "union": f.union,
            "mine": f.mine,
            "unions": unions if len(unions) > 1 else [],
            "overdue": sum(r.overdue for r in rows),
        },
    )


async def queue_json(request: web.Request) -> web.Response:
    """`GET /console/queue.json?<the queue's filters>`: the same rows, for the page to poll
    (new items appear without a reload). 401 once the session is gone."""
    found = await signed_in(request)
    if found is None:
        return web.json_response({"signed_in": False}, status=401)
    account, _session = found
    f = Filters.of(request, unions_visible_to(account))
    rows = await collect(request, account, f)
    return web.json_response(
        {
            "signed_in": True,
            "overdue": sum(r.overdue for r in rows),
            "rows": [
                {
                    "url": r.url,
                    "kind": r.kind,
                    "label": r.label,
                    "number": r.number,
                    "summary": r.summary,
                    "status": r.status,
                    "at": local_time(r.at),
                    "overdue": r.overdue,
                }
                for r in rows
            ],
        },
        dumps=lambda v: json.dumps(v, ensure_ascii=False),
    )
