"""`UnionInfo`, a union as the directory hands it out, and the pure choices over a list of them
(`Directory` reads the list): which union reviews a worker's enrollment, and which general
union serves a place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.notices import Recipient

from ._models import UnionLevel


@dataclass(frozen=True, slots=True)
class UnionInfo:
    id: int
    key: str
    name: str
    level: str
    league: str = ""
    county: str = ""
    adcode: str = ""
    industries: tuple[str, ...] = ()
    employers: tuple[str, ...] = ()
    pool: bool = False
    requires_id_number: bool = False
    # The union's staff chats, in the order they were configured.
    chats: tuple[Recipient, ...] = ()
    parent_id: int | None = None


def place_choice(unions: Iterable[UnionInfo], league: str, county: str) -> UnionInfo | None:
    """The most local general union for the place: county, then league, then region."""
    league, county = league.strip(), county.strip()
    by_level: dict[str, UnionInfo] = {}
    for u in unions:
        if (
            u.level == UnionLevel.COUNTY
            and county
            and u.county == county
            and (not league or not u.league or u.league == league)
        ):
            by_level.setdefault("county", u)
        elif u.level == UnionLevel.LEAGUE and league and u.league == league:
            by_level.setdefault("league", u)
        elif u.level == UnionLevel.REGION:
            by_level.setdefault("region", u)
    return by_level.get("county") or by_level.get("league") or by_level.get("region")


def _same_employer(a: str, b: str) -> bool:
    a, b = a.strip().casefold(), b.strip().casefold()
    return bool(a) and bool(b) and (a == b or (len(b) >= 2 and b in a) or (len(a) >= 2 and a in b))


def choose_union(
    unions: Sequence[UnionInfo], *, league: str, county: str, occupation: str, employer: str
) -> UnionInfo | None:
    """Which of `unions` reviews a worker's enrollment.

    1. a grassroots union listing the employer/platform, same county first, then same league;
    2. an industry union for the occupation, same county first, then same league;
    3. the county's new-employment-form pool;
    4. the general union of the place (county, league, region).
    """

    def local_first(candidates: list[UnionInfo]) -> UnionInfo | None:
        in_county = [
            u for u in candidates if county and u.county == county and u.league in ("", league)
        ]
        in_league = [u for u in candidates if u.league == league and not u.county]
        anywhere_in_league = [u for u in candidates if u.league == league]
        for group in (in_county, in_league, anywhere_in_league):
            if group:
                return group[0]
        return None

    if employer:
        hit = local_first(
            [
                u
                for u in unions
                if u.level == UnionLevel.GRASSROOTS
                and any(_same_employer(employer, e) for e in u.employers)
            ]
        )
        if hit:
            return hit
    if occupation:
        hit = local_first(
            [u for u in unions if u.level == UnionLevel.INDUSTRY and occupation in u.industries]
        )
        if hit:
            return hit
    pools = [
        u for u in unions if u.pool and county and u.county == county and u.league in ("", league)
    ]
    if pools:
        return pools[0]
    return place_choice(unions, league, county)
