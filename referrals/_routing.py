"""Which union answers a case, and which staff chats hear of it. The routing table is data: the
union directory of `membership` (unions with level, adcode or place names, staff chats as
`core.notices.Recipient`s).

A case belongs to a union from the moment it is acknowledged: the county union of its area, or
the nearest level above that exists in the directory (league, then region); with no area (no
position, or outside every boundary) the region's union. It is in that union's queue (console,
`/admin/v1`) whether or not the union has a staff chat: chats are extra notifications. The
staff card goes to the owning union's chats, or, when it has none, to the nearest union above
that has one (so a console-only union's case still reaches someone's phone). Escalation moves
the case one existing level up from the union that has it now, the same for every union.

The directory is read through the session the caller gives (or one of its own without).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.notices import Recipient
from membership import Directory, UnionInfo

from ._regions import Area

LEVEL_ORDER = ("county", "league", "region")
LEVEL_LABELS = {"county": "旗县区总工会", "league": "盟市总工会", "region": "自治区总工会"}
# Every union a case was routed to gets a row of `case_recipients` on the pseudo-channel QUEUE
# (no message is sent on it): the case stays in that union's queue after it escalates, as it
# does for a union whose chat received the card.


@dataclass(frozen=True, slots=True)
class Target:
    union: UnionInfo  # owns the case: it is in this union's queue
    level: str
    chats: tuple[Recipient, ...]  # where the staff card goes
    # Whose chats those are, when not the union's own (it has none: the nearest above's).
    chats_of: UnionInfo | None = None

    @property
    def notified(self) -> UnionInfo:
        return self.chats_of or self.union


def _match(unions: list[UnionInfo], level: str, area: Area) -> UnionInfo | None:
    adcode = {
        "county": area.county_adcode,
        "league": area.league_adcode,
        "region": area.region_adcode,
    }[level]
    same_level = [u for u in unions if u.level == level]
    for u in same_level:  # adcodes are exact; names are the fallback of hand-made directories
        if u.adcode and u.adcode == adcode:
            return u
    for u in same_level:
        if u.adcode:
            continue
        if (
            level == "county"
            and area.county
            and u.county == area.county
            and (not u.league or not area.league or u.league == area.league)
        ):
            return u
        if level == "league" and area.league and u.league == area.league:
            return u
        if level == "region":
            return u
    return None


def _chain(unions: list[UnionInfo], area: Area | None) -> list[Target]:
    found: list[tuple[str, UnionInfo]] = []
    if area is not None:
        for level in LEVEL_ORDER:
            union = _match(unions, level, area)
            if union is not None:
                found.append((level, union))
    if not any(level == "region" for level, _ in found):
        # No area, or no region union matched by adcode: the directory's own region union
        # (a top of the tree) is the level above everything.
        top = next((u for u in unions if u.level == "region" and u.parent_id is None), None)
        top = top or next((u for u in unions if u.level == "region"), None)
        if top is not None:
            found.append(("region", top))
    chain: list[Target] = []
    for i, (level, union) in enumerate(found):
        heard = next((u for _, u in found[i:] if u.chats), None)
        chats = heard.chats if heard is not None else ()
        chain.append(Target(union, level, chats, heard if heard is not union else None))
    return chain


async def chain_for(
    directory: Directory, area: Area | None, *, session: AsyncSession | None = None
) -> list[Target]:
    """The general unions of the area that exist in the directory, from the county up; each
    with the chats that hear of its cases (its own, else the nearest above's)."""
    return _chain(await directory.all_unions(session=session), area)


async def route(
    directory: Directory, area: Area | None, *, session: AsyncSession | None = None
) -> Target | None:
    """The union that owns a new case (None only when the directory has no general union)."""
    chain = await chain_for(directory, area, session=session)
    return chain[0] if chain else None


async def next_up(
    directory: Directory, area: Area | None, level: str, *, session: AsyncSession | None = None
) -> Target | None:
    """The nearest existing union above `level` (escalation), chats or not."""
    above = LEVEL_ORDER[LEVEL_ORDER.index(level) + 1 :] if level in LEVEL_ORDER else ()
    for target in await chain_for(directory, area, session=session):
        if target.level in above:
            return target
    return None
