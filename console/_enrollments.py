"""An enrollment's page (`GET /console/enrollments/{id}`): masked phone and ID number, approve,
or reject with a reason the applicant can act on."""

from __future__ import annotations

from aiohttp import web

from membership import EnrollmentError, EnrollmentInvalid

from . import _queries as q
from ._pages import NOT_FOUND, Refused, form_of, render, require_staff, see_other, services_of
from ._queue import ENROLLMENT_LABELS

DONE = {
    "approve": "已通过，申请人会收到会员编号。",
    "reject": "已退回，申请人会看到原因并可修改后重新提交。",
}


def enrollment_id_of(request: web.Request) -> int:
    raw = request.match_info["enrollment_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise Refused(404, *NOT_FOUND)
    return int(raw)


async def _page(
    request: web.Request, enrollment_id: int, *, error: str = "", status: int = 200
) -> web.Response:
    account, _session = await require_staff(request)
    enrollment = await q.enrollment(services_of(request), account, enrollment_id)
    if enrollment is None:
        raise Refused(404, *NOT_FOUND)
    return render(
        request,
        "enrollment.html",
        {
            "e": enrollment,
            "status_label": ENROLLMENT_LABELS.get(enrollment.status, enrollment.status),
            "reasons": q.REJECT_REASONS,
            "done": DONE.get(request.query.get("done", ""), ""),
            "error": error,
        },
        status=status,
    )


async def enrollment_page(request: web.Request) -> web.Response:
    return await _page(request, enrollment_id_of(request))


async def decide(request: web.Request) -> web.Response:
    account, _session, form = await form_of(request)
    enrollment_id = enrollment_id_of(request)
    action = request.match_info["action"]
    services = services_of(request)
    if await q.enrollment(services, account, enrollment_id) is None:
        raise Refused(404, *NOT_FOUND)
    raw_revision = str(form.get("revision") or "")
    revision = int(raw_revision) if raw_revision.isdigit() and len(raw_revision) < 9 else None
    try:
        await q.decide(
            services,
            account,
            enrollment_id,
            approved=action == "approve",
            reason=str(form.get("reason") or ""),
            revision=revision,
        )
    except EnrollmentInvalid as exc:
        detail = "；".join(exc.problems.values()) or str(exc)
        return await _page(request, enrollment_id, error=detail, status=422)
    except EnrollmentError as exc:  # decided meanwhile, resubmitted, …
        return await _page(request, enrollment_id, error=str(exc), status=409)
    return see_other(f"/console/enrollments/{enrollment_id}?done={action}")
