"""`/admin/v1/cases…`: staff list, read and act on the cases of their own unions. Phones and
ID numbers in the texts are masked; `POST …/reveal` shows them whole and is audited.

Also runs the SLA sweep (unclaimed legal-aid requests escalate) in the background while the
app runs: a minute's delay is nothing against a four-working-hour deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from core import mask_pii
from core.http import Problem, json_response, read_json
from handlers import SERVICES_KEY
from referrals import (
    CaseError,
    CaseNotFound,
    CaseStatus,
    CaseView,
    NotAllowed,
    category_label,
    kind_label,
    status_label,
)

from ._auth import not_found, require_staff

log = logging.getLogger(__name__)
CHANNEL = "admin_api"
SWEEP_SECONDS = 60.0


class ListQuery(BaseModel):
    status: CaseStatus | None = None
    kind: str | None = Field(default=None, pattern="^(feedback|legal_aid)$")
    limit: int = Field(default=50, ge=1, le=200)
    before_id: int | None = Field(default=None, ge=1)


class ActionBody(BaseModel):
    text: str = Field(default="", max_length=1000)
    number: str = Field(default="", max_length=12)


def staff_case_json(case: CaseView, *, whole: bool = False) -> dict[str, Any]:
    """A case for staff: phones and ID numbers in the texts masked unless `whole` (a reveal,
    which is audited)."""
    shown = (lambda text: text) if whole else mask_pii
    return {
        "id": case.id,
        "number": case.number,
        "kind": case.kind,
        "kind_label": kind_label(case.kind),
        "category": case.category,
        "category_label": category_label(case.kind, case.category),
        "status": case.status,
        "status_label": status_label(case.status),
        "description": shown(case.description),
        "photo": case.photo_ref,
        "station_id": case.station_id,
        "place": case.place_text,
        "area": case.area_name,
        "union_id": case.union_id,
        "level": case.level,
        "consent_contact": case.consent_contact,
        "channel": case.channel,
        "claimed_by": case.claimed_by_name,
        "outcome": shown(case.outcome),
        "duplicate_of": case.duplicate_of,
        "escalations": case.escalations,
        "sla_due_at": case.sla_due_at.isoformat() if case.sla_due_at else None,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
    }


def _case_id(request: web.Request) -> int:
    try:
        return int(request.match_info["case_id"])
    except ValueError:
        raise Problem(400, "请求有误", "求助编号应为数字 ID。") from None


async def list_cases(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    try:
        query = ListQuery.model_validate(dict(request.query))
    except ValidationError:
        raise Problem(
            422,
            "查询参数有误",
            "status 应为 new、claimed、resolved 或 duplicate；kind 为 feedback 或 "
            "legal_aid；limit 为 1–200。",
        ) from None
    cases = await request.app[SERVICES_KEY].referrals.for_staff(
        staff,
        status=query.status.value if query.status else None,
        kind=query.kind,
        limit=query.limit,
        before_id=query.before_id,
    )
    return json_response({"cases": [staff_case_json(c) for c in cases]})


# The API has named a recipient by its outbox kind since v1; recipients are channels now, and
# the one whose name differs keeps its old name here (the response stays byte-compatible).
_RECIPIENT_KINDS = {"wecom": "wecom_robot"}


async def _case_json(request: web.Request, case: CaseView, *, whole: bool) -> dict[str, Any]:
    service = request.app[SERVICES_KEY].referrals
    assert case.id is not None
    shown = (lambda text: text) if whole else mask_pii
    events = [
        {
            "action": e.action,
            "actor": e.actor,
            "actor_name": e.actor_name,
            "channel": e.channel,
            "detail": shown(e.detail),
            "at": e.at.isoformat(),
        }
        for e in await service.events(case.id)
    ]
    recipients = [
        {
            "kind": _RECIPIENT_KINDS.get(r.channel, r.channel),
            "reason": r.reason,
            "at": r.at.isoformat(),
        }
        for r in await service.recipients(case.id)
    ]
    return {**staff_case_json(case, whole=whole), "events": events, "recipients": recipients}


async def get_case(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    try:
        case = await request.app[SERVICES_KEY].referrals.get_for(_case_id(request), staff)
    except (CaseNotFound, NotAllowed):  # another union's case looks like no case at all
        raise not_found("条求助") from None
    return json_response(await _case_json(request, case, whole=False))


async def reveal_case(request: web.Request) -> web.Response:
    """`POST /admin/v1/cases/{id}/reveal`: the case with its texts whole; the look is written
    to the case's audit log first."""
    staff = await require_staff(request)
    try:
        case = await request.app[SERVICES_KEY].referrals.reveal(
            _case_id(request), staff, "求助原文", CHANNEL
        )
    except (CaseNotFound, NotAllowed):
        raise not_found("条求助") from None
    return json_response(await _case_json(request, case, whole=True))


def _action(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        staff = await require_staff(request)
        case_id = _case_id(request)
        body = ActionBody()
        if request.can_read_body:
            try:
                body = ActionBody.model_validate(await read_json(request))
            except (ValueError, ValidationError):
                raise Problem(
                    422, "提交的内容有误", '请用 JSON 提交，如 {"text": "…"}（不超过 1000 字）。'
                ) from None
        service = request.app[SERVICES_KEY].referrals
        try:
            if name == "claim":
                done = await service.claim(case_id, staff, CHANNEL)
            elif name == "reply":
                done = await service.reply(case_id, staff, body.text, CHANNEL)
            elif name == "resolve":
                done = await service.resolve(case_id, staff, body.text, CHANNEL)
            elif name == "reopen":
                done = await service.reopen(case_id, staff, body.text, CHANNEL)
            else:
                done = await service.mark_duplicate(case_id, staff, body.number, CHANNEL)
        except (CaseNotFound, NotAllowed):
            raise not_found("条求助") from None
        except CaseError as exc:
            raise Problem(409, "现在不能这样操作", str(exc)) from None
        return json_response(
            {**staff_case_json(done.case), "worker_notified": done.notified_worker}
        )

    return handler


async def _sweeping(app: web.Application) -> AsyncIterator[None]:
    context = app[SERVICES_KEY]

    async def loop() -> None:
        while True:
            try:
                await context.referrals.escalate_due()
            except Exception:  # keep sweeping; the next round retries
                log.exception("case escalation sweep failed")
            await asyncio.sleep(SWEEP_SECONDS)

    task = asyncio.create_task(loop(), name="case-escalation")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/v1/cases", list_cases)
    app.router.add_get("/admin/v1/cases/{case_id}", get_case)
    app.router.add_post("/admin/v1/cases/{case_id}/reveal", reveal_case)
    for name in ("claim", "reply", "resolve", "reopen", "duplicate"):
        app.router.add_post(f"/admin/v1/cases/{{case_id}}/{name}", _action(name))
    app.cleanup_ctx.append(_sweeping)
