"""Who may see and act on what: one check shared by `/admin/v1`, the console and chat buttons.

Roles follow the union tree (`Union.parent_id`):

- `staff` act on the work of the unions they hold (cases, enrollments) and nothing else;
- `admin` also see and act on everything below their unions, and manage the unions and staff
  there (a league union's admin covers its counties and their grassroots unions).

`StaffInfo` and `StaffAccount` carry the answer already worked out: `role`, `held_union_ids`
(the unions they belong to) and `union_ids` (the unions whose work they see, held and, for an
admin, everything below). Callers ask `may_act(staff, union_id)`, `may_manage(staff, union_id)`
and `unions_visible_to(staff)` rather than looking at the sets themselves, so a later rule
(a deputy, a read-only auditor) changes this module only.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ._models import Union


class Role(StrEnum):
    STAFF = "staff"  # acts on their own unions' work
    ADMIN = "admin"  # and on everything below them; manages unions and staff there


ROLE_LABELS = {Role.STAFF: "工作人员", Role.ADMIN: "管理员"}


class Access(Protocol):
    """What the checks need to know about a person (`StaffInfo`, `StaffAccount` fit)."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def union_ids(self) -> frozenset[int]: ...


def clean_role(value: str) -> Role:
    """A role from its name (CLI, forms); ValueError in Chinese for anything else."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ValueError("角色只能是 staff（工作人员）或 admin（管理员）。") from None


def scope(
    role: str, held: Iterable[int], parents: Iterable[tuple[int, int | None]]
) -> frozenset[int]:
    """The unions a person with `role` holding `held` sees: `held`, and for an admin every
    union below one of them. `parents` are `(union_id, parent_id)` pairs of the directory."""
    held = frozenset(held)
    if role != Role.ADMIN or not held:
        return held
    children: dict[int, list[int]] = {}
    for union_id, parent_id in parents:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(union_id)
    seen = set(held)
    todo = list(held)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:  # a cycle cannot be imported, but never loop on one
                seen.add(child)
                todo.append(child)
    return frozenset(seen)


def may_act(staff: Access | None, union_id: int | None) -> bool:
    """May this person see and act on an item (case, enrollment) of this union?"""
    return staff is not None and union_id is not None and union_id in staff.union_ids


def may_manage(staff: Access | None, union_id: int | None) -> bool:
    """May this person change this union (its chats) and its staff?"""
    return staff is not None and staff.role == Role.ADMIN and may_act(staff, union_id)


def unions_visible_to(staff: Access | None) -> frozenset[int]:
    """The unions whose items this person sees (empty for nobody)."""
    return staff.union_ids if staff is not None else frozenset()


async def scope_in(session: AsyncSession, role: str, held: Iterable[int]) -> frozenset[int]:
    """`scope` over the directory as it is in `session` (active unions only below the held)."""
    held = frozenset(held)
    if role != Role.ADMIN or not held:
        return held
    rows = await session.execute(
        select(col(Union.id), col(Union.parent_id)).where(col(Union.active))
    )
    return scope(role, held, ((i, p) for i, p in rows.all() if i is not None))
