"""What the signed-in person may see and change on the station, coverage and union pages.

- Stations: the area of each general union (region, league/city, county) they serve — a
  region union every station, a league union its league's, a county union its county's.
  Grassroots and industry unions hold no area of their own: their staff see no stations here.
- Unions and staff: admins only (`membership.may_manage`: the unions they hold and every one
  below them in the union tree), for managing chats and staff there.

Another union's station or union is answered exactly like a missing one (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers import Services
from locations import Areas
from membership import StaffAccount, UnionInfo, may_manage

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


async def scope_of(services: Services, account: StaffAccount) -> Scope:
    unions = await services.directory.all_unions()
    # `union_ids` is the worked-out scope: held unions, and for an admin everything below.
    seen = [u for u in unions if u.id in account.union_ids and u.level in GENERAL]
    areas: list[tuple[str, str]] = []
    whole = False
    for u in seen:
        if u.level == "region":
            whole = True
        elif u.league:
            areas.append((u.league, u.county if u.level == "county" else ""))
    leagues = {lg for lg, ct in areas if not ct}  # a whole league covers its counties
    areas = [(lg, ct) for lg, ct in areas if not ct or lg not in leagues]
    return Scope(
        areas=None if whole else tuple(dict.fromkeys(areas)),
        unions=tuple(u for u in unions if may_manage(account, u.id)),
        all_unions=tuple(unions),
    )
