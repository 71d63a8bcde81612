"""A case's page (`GET /console/cases/{id}`) and its buttons: claim, reply, resolve.

The worker's words, staff replies and outcomes are shown with phones and ID numbers masked.
Another union's case answers the same 404 as a case that does not exist (ids cannot be probed).
"""

from __future__ import annotations

from aiohttp import web

from core import mask_pii
from referrals import CaseError

from . import _queries as q
from ._pages import NOT_FOUND, Refused, form_of, render, require_staff, see_other, services_of

ACTIONS = ("claim", "reply", "resolve")
DONE = {
    "claim": "已认领，工人会收到通知。",
    "reply": "回复已发出，会送到工人所用的渠道。",
    "resolve": "已办结，工人会收到处理结果。",
}
EVENT_LABELS = {
    "created": "工人提交",
    "routed": "转给工会",
    "escalated": "超时上报",
    "claimed": "认领",
    "replied": "回复工人",
    "resolved": "办结",
    "reopened": "重新打开",
    "duplicate": "合并为重复",
}


def case_id_of(request: web.Request) -> int:
    raw = request.match_info["case_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise Refused(404, *NOT_FOUND)
    return int(raw)


async def _page(
    request: web.Request, case_id: int, *, error: str = "", status: int = 200
) -> web.Response:
    account, _session = await require_staff(request)
    services = services_of(request)
    case = await q.case(services, account, case_id)
    if case is None:
        raise Refused(404, *NOT_FOUND)
    events = [
        {
            "at": e.at,
            "label": EVENT_LABELS.get(e.action, e.action),
            "who": e.actor_name or ("工人" if e.actor == "worker" else "系统"),
            "detail": mask_pii(e.detail),
        }
        for e in await q.case_events(services, case_id)
    ]
    done = DONE.get(request.query.get("done", ""), "")
    closed = case.status in ("resolved", "duplicate")
    return render(
        request,
        "case.html",
        {
            "case": case,
            "kind": q.kind_label(case.kind),
            "category": q.category_label(case.kind, case.category),
            "status_label": q.status_label(case.status),
            "description": mask_pii(case.description),
            "outcome": mask_pii(case.outcome),
            "photo_url": q.photo_url(services, case),
            "events": events,
            "can_claim": case.status == "new",
            "can_answer": not closed,
            "mine": case.claimed_by == account.id,
            "done": done,
            "error": error,
        },
        status=status,
    )


async def case_page(request: web.Request) -> web.Response:
    return await _page(request, case_id_of(request))


async def case_action(request: web.Request) -> web.Response:
    account, _session, form = await form_of(request)
    case_id = case_id_of(request)
    action = request.match_info["action"]
    services = services_of(request)
    if await q.case(services, account, case_id) is None:
        raise Refused(404, *NOT_FOUND)
    text = str(form.get("text") or "")
    try:
        await q.case_action(services, account, case_id, action, text)
    except CaseError as exc:  # already claimed, closed, empty reply: say why on the page
        return await _page(request, case_id, error=str(exc), status=409)
    return see_other(f"/console/cases/{case_id}?done={action}")
