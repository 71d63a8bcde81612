"""A case's page (`GET /console/cases/{id}`) and its buttons: claim, reply, resolve, reopen,
mark as a duplicate, and reveal.

The worker's words, staff replies and outcomes are shown with phones and ID numbers masked;
"显示原文" (a POST, so a link or a reload cannot do it) shows them whole once and records the
look in the case's timeline. Another union's case answers the same 404 as a case that does not
exist (ids cannot be probed).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core import mask_pii
from locations import Point, from_wgs84
from membership import StaffAccount
from referrals import CaseError, CaseView

from . import _queries as q
from ._pages import NOT_FOUND, Refused, form_of, render, require_staff, see_other, services_of

ACTIONS = ("claim", "reply", "resolve", "reopen", "duplicate")
DONE = {
    "claim": "已认领，工人会收到通知。",
    "reply": "回复已发出，会送到工人所用的渠道。",
    "resolve": "已办结，工人会收到处理结果。",
    "reopen": "已重新打开，工人会收到通知。",
    "duplicate": "已合并为重复求助，工人会收到通知。",
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
    "revealed": "查看原文",
    "sla_missed": "超时",
}
CHANNEL_LABELS = {
    "telegram": "Telegram",
    "wechat": "微信公众号",
    "miniprogram": "微信小程序",
    "wecom": "企业微信",
    "console": "终端",
}
REVEAL = {"text": "求助原文", "contact": "联系电话"}


def case_id_of(request: web.Request) -> int:
    raw = request.match_info["case_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise Refused(404, *NOT_FOUND)
    return int(raw)


def _place(case: CaseView) -> dict[str, Any] | None:
    """The place as coordinates and a map link (GCJ-02 for Amap, which shows it right in China);
    the page's `#case-map` element carries them for a map widget."""
    if case.lat is None or case.lng is None:
        return None
    lat, lng = from_wgs84(Point(case.lat, case.lng), "gcj02")
    return {
        "lat": round(case.lat, 6),
        "lng": round(case.lng, 6),
        "link": f"https://uri.amap.com/marker?position={lng:.6f},{lat:.6f}&coordinate=gaode",
    }


async def _contact(
    request: web.Request, account: StaffAccount, case: CaseView, revealed: set[str]
) -> dict[str, Any] | None:
    """How the claimer reaches a worker who agreed to be contacted (None for anyone else)."""
    if not case.consent_contact or case.claimed_by != account.id:
        return None
    phone = await q.contact_phone(services_of(request), case)
    return {
        "channel": CHANNEL_LABELS.get(case.channel, case.channel),
        "phone": phone if "contact" in revealed else mask_pii(phone),
        "masked": "contact" not in revealed and bool(phone),
    }


async def _page(
    request: web.Request,
    case_id: int,
    *,
    error: str = "",
    status: int = 200,
    revealed: set[str] | None = None,
) -> web.Response:
    account, _session = await require_staff(request)
    services = services_of(request)
    case = await q.case(services, account, case_id)
    if case is None:
        raise Refused(404, *NOT_FOUND)
    revealed = revealed or set()
    whole = "text" in revealed

    def shown(text: str) -> str:
        return text if whole else mask_pii(text)

    events = [
        {
            "at": e.at,
            "label": EVENT_LABELS.get(e.action, e.action),
            "who": e.actor_name or ("工人" if e.actor == "worker" else "系统"),
            "detail": shown(e.detail),
        }
        for e in await q.case_events(services, case_id)
    ]
    done = DONE.get(request.query.get("done", ""), "")
    closed = case.status in ("resolved", "duplicate")
    masked = any(mask_pii(t) != t for t in (case.description, case.outcome))
    return render(
        request,
        "case.html",
        {
            "case": case,
            "kind": q.kind_label(case.kind),
            "category": q.category_label(case.kind, case.category),
            "status_label": q.status_label(case.status),
            "description": shown(case.description),
            "outcome": shown(case.outcome),
            "can_reveal": masked and not whole,
            "events": events,
            "place": _place(case),
            "contact": await _contact(request, account, case, revealed),
            "can_claim": case.status == "new",
            "can_answer": not closed,
            "can_reopen": closed,
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


async def case_reveal(request: web.Request) -> web.Response:
    """`POST /console/cases/{id}/reveal` (`what` = text | contact): this answer shows it whole;
    the look is in the timeline before the page is drawn."""
    account, _session, form = await form_of(request)
    case_id = case_id_of(request)
    what = str(form.get("what") or "text")
    if what not in REVEAL:
        what = "text"
    if await q.reveal(services_of(request), account, case_id, REVEAL[what]) is None:
        raise Refused(404, *NOT_FOUND)
    return await _page(request, case_id, revealed={what})
