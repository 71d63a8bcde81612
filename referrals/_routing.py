"""Which union answers a case, and which staff chats it goes to. The routing table is data: the
union directory of `membership` (unions with level, adcode or place names, staff chats as
`core.notices.Recipient`s).

A case goes to the county union of its area; when that union has no staff chat configured (or
does not exist), to the league union, then to the region. Escalation moves one level up from
the union that has it now, skipping levels without a chat.

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


@dataclass(frozen=True, slots=True)
class Target:
    union: UnionInfo
    level: str
    chats: tuple[Recipient, ...]


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


async def chain_for(
    directory: Directory, area: Area, *, session: AsyncSession | None = None
) -> list[Target]:
    """The general unions of the area from the county up, only those with a staff chat."""
    unions = await directory.all_unions(session=session)
    chain = []
    for level in LEVEL_ORDER:
        union = _match(unions, level, area)
        if union is not None and union.chats:
            chain.append(Target(union, level, union.chats))
    return chain


async def route(
    directory: Directory, area: Area, *, session: AsyncSession | None = None
) -> Target | None:
    chain = await chain_for(directory, area, session=session)
    return chain[0] if chain else None


async def next_up(
    directory: Directory, area: Area, level: str, *, session: AsyncSession | None = None
) -> Target | None:
    """The nearest union above `level` with a staff chat (escalation)."""
    above = LEVEL_ORDER[LEVEL_ORDER.index(level) + 1 :] if level in LEVEL_ORDER else ()
    for target in await chain_for(directory, area, session=session):
        if target.level in above:
            return target
    return None
