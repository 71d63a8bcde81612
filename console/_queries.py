"""Every call the console makes into the domains, in one place.

The membership and referrals domains are being reworked into service objects; keeping the
console's calls here means re-pointing this one module, not every page. Each function takes
the process's `Services` and the signed-in `StaffAccount` and answers only with that
person's unions' items: another union's item is `None`, exactly like a missing one.
"""

from __future__ import annotations

from handlers import Services
from membership import (
    REJECT_REASONS,
    Credentials,
    Decision,
    EnrollmentView,
    StaffAccount,
    UnionInfo,
    may_act,
    unions_visible_to,
)
from referrals import (
    ActionResult,
    CaseEventView,
    CaseNotFound,
    CaseView,
    NotAllowed,
    category_label,
    kind_label,
    status_label,
)

CHANNEL = "console"  # how the case's audit log names this surface
__all__ = [
    "CHANNEL",
    "REJECT_REASONS",
    "category_label",
    "credentials_for",
    "kind_label",
    "status_label",
]


def credentials_for(services: Services) -> Credentials:
    return services.credentials


async def cases(
    services: Services,
    staff: StaffAccount,
    *,
    status: str | None,
    kind: str | None,
    limit: int,
    union_id: int | None = None,
    mine: bool = False,
) -> list[CaseView]:
    return await services.referrals.for_staff(
        staff,
        status=status,
        kind=kind,
        limit=limit,
        union_id=union_id,
        claimed_by=staff.id if mine else None,
    )


async def unions_of(services: Services, staff: StaffAccount) -> list[UnionInfo]:
    """The unions whose work this person sees (for the queue's union filter)."""
    visible = unions_visible_to(staff)
    return [u for u in await services.directory.all_unions() if u.id in visible]


async def reveal(
    services: Services, staff: StaffAccount, case_id: int, what: str
) -> CaseView | None:
    """The case for an unmasked look, recorded in its audit log (None: not theirs)."""
    try:
        return await services.referrals.reveal(case_id, staff, what, CHANNEL)
    except (CaseNotFound, NotAllowed):
        return None


async def contact_phone(services: Services, case: CaseView) -> str:
    """The phone the worker gave when joining the union from the same chat account, if any
    (what "同意工会联系" lets the claimer use); empty when there is none."""
    found = await services.enrollments.enrollment_of(case.channel, case.worker_ref)
    return found.phone if found is not None else ""


async def case(services: Services, staff: StaffAccount, case_id: int) -> CaseView | None:
    try:
        return await services.referrals.get_for(case_id, staff)
    except (CaseNotFound, NotAllowed):  # another union's case looks like no case at all
        return None


async def case_events(services: Services, case_id: int) -> list[CaseEventView]:
    return await services.referrals.events(case_id)


async def case_action(
    services: Services, staff: StaffAccount, case_id: int, action: str, text: str
) -> ActionResult:
    """claim / reply / resolve / reopen / duplicate, as the chat buttons and `/admin/v1` do
    (CaseError on refusal)."""
    referrals = services.referrals
    if action == "claim":
        return await referrals.claim(case_id, staff, CHANNEL)
    if action == "reply":
        return await referrals.reply(case_id, staff, text, CHANNEL)
    if action == "reopen":
        return await referrals.reopen(case_id, staff, text, CHANNEL)
    if action == "duplicate":
        return await referrals.mark_duplicate(case_id, staff, text, CHANNEL)
    return await referrals.resolve(case_id, staff, text, CHANNEL)


async def enrollments(
    services: Services,
    staff: StaffAccount,
    *,
    status: str | None,
    limit: int,
    union_id: int | None = None,
) -> list[EnrollmentView]:
    unions = unions_visible_to(staff)
    if union_id is not None:
        unions = unions & {union_id}
    return await services.enrollments.list(unions, status=status, limit=limit)


async def enrollment(
    services: Services, staff: StaffAccount, enrollment_id: int
) -> EnrollmentView | None:
    found = await services.enrollments.get(enrollment_id)
    return found if found is not None and may_act(staff, found.union_id) else None


async def decide(
    services: Services,
    staff: StaffAccount,
    enrollment_id: int,
    *,
    approved: bool,
    reason: str,
    revision: int | None,
) -> Decision:
    actor = f"staff:{staff.id}"
    if approved:
        return await services.enrollments.approve(
            enrollment_id, actor=actor, union_ids=staff.union_ids, revision=revision
        )
    return await services.enrollments.reject(
        enrollment_id, reason, actor=actor, union_ids=staff.union_ids, revision=revision
    )
