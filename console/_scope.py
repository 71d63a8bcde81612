"""What the signed-in person may see and change on the station, coverage and union pages.

- Stations: the area of each general union (region, league/city, county) they serve — a
  region union every station, a league union its league's, a county union its county's.
  Grassroots and industry unions hold no area of their own: their staff see no stations here.
- Unions and staff: the unions at or below a general union they serve (the union tree), for
  managing chats and staff there. Staff of only grassroots or industry unions manage nothing.

Another union's station or union is answered exactly like a missing one (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers import Services
from locations import Areas
from membership import StaffAccount, UnionInfo

GENERAL = ("region", "league", "county")


@dataclass(frozen=True, slots=True)
class Scope:
    areas: Areas  # None: every station
    unions: tuple[UnionInfo, ...]  # unions they may manage (at or below their general unions)
    all_unions: tuple[UnionInfo, ...]

    @property
    def sees_stations(self) -> bool:
        return self.areas is None or bool(self.areas)

    @property
    def manages_unions(self) -> bool:
        return bool(self.unions)

    def manages(self, union_id: int) -> bool:
        return any(u.id == union_id for u in self.unions)


def _below(root: UnionInfo, unions: list[UnionInfo]) -> list[UnionInfo]:
    children: dict[int, list[UnionInfo]] = {}
    for u in unions:
        if u.parent_id is not None:
            children.setdefault(u.parent_id, []).append(u)
    found, todo = [root], [root]
    while todo:
        for child in children.get(todo.pop().id, ()):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


async def scope_of(services: Services, account: StaffAccount) -> Scope:
    unions = await services.directory.all_unions()
    held = [u for u in unions if u.id in account.union_ids and u.level in GENERAL]
    areas: list[tuple[str, str]] = []
    whole = False
    managed: dict[int, UnionInfo] = {}
    for u in held:
        if u.level == "region":
            whole = True
        elif u.league:
            areas.append((u.league, u.county if u.level == "county" else ""))
        for below in _below(u, unions):
            managed[below.id] = below
    return Scope(
        areas=None if whole else tuple(dict.fromkeys(areas)),
        unions=tuple(sorted(managed.values(), key=lambda u: u.id)),
        all_unions=tuple(unions),
    )
