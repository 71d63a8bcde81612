"""Which union answers a case, and which staff chats it goes to. The routing table is data: the
union directory of `membership` (unions with level, adcode or place names, staff chats).

A case goes to the county union of its area; when that union has no staff chat configured (or
does not exist), to the league union, then to the region. Escalation moves one level up from
the union that has it now, skipping levels without a chat.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.db import Database
from membership import UnionInfo, all_unions

from ._regions import Area

LEVEL_ORDER = ("county", "league", "region")
LEVEL_LABELS = {"county": "旗县区总工会", "league": "盟市总工会", "region": "自治区总工会"}


@dataclass(frozen=True, slots=True)
class StaffChat:
    kind: str  # outbox kind: "telegram" | "wecom_robot"
    address: str


@dataclass(frozen=True, slots=True)
class Target:
    union: UnionInfo
    level: str
    chats: tuple[StaffChat, ...]


def chats_of(union: UnionInfo) -> tuple[StaffChat, ...]:
    chats = []
    if union.telegram_chat_id:
        chats.append(StaffChat("telegram", union.telegram_chat_id))
    if union.wecom_robot_key:
        chats.append(StaffChat("wecom_robot", union.wecom_robot_key))
    return tuple(chats)


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


async def chain_for(db: Database, area: Area) -> list[Target]:
    """The general unions of the area from the county up, only those with a staff chat."""
    unions = await all_unions(db)
    chain = []
    for level in LEVEL_ORDER:
        union = _match(unions, level, area)
        if union is not None and chats_of(union):
            chain.append(Target(union, level, chats_of(union)))
    return chain


async def route(db: Database, area: Area) -> Target | None:
    chain = await chain_for(db, area)
    return chain[0] if chain else None


async def next_up(db: Database, area: Area, level: str) -> Target | None:
    """The nearest union above `level` with a staff chat (escalation)."""
    above = LEVEL_ORDER[LEVEL_ORDER.index(level) + 1 :] if level in LEVEL_ORDER else ()
    for target in await chain_for(db, area):
        if target.level in above:
            return target
    return None
