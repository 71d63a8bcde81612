"""The union directory and staff: which union serves a place, an employer or an industry, and
who may act for it.

Staff authenticate with a bearer token that is shown once; only its SHA-256 is stored (a token
is 256 random bits, so a fast hash is enough), and the stored hash is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db import Database

from ._models import StaffMember, StaffUnion, Union, UnionLevel, utcnow

TOKEN_PREFIX = "yzs_"


class DirectoryError(Exception):
    """A directory change that cannot be made (unknown union, bad parent, …); message in Chinese."""


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
    telegram_chat_id: str = ""
    wecom_robot_key: str = ""
    parent_id: int | None = None


@dataclass(frozen=True, slots=True)
class StaffInfo:
    id: int
    name: str
    union_ids: frozenset[int]
    telegram_user_id: str = ""

    def serves(self, union_id: int | None) -> bool:
        return union_id is not None and union_id in self.union_ids


@dataclass(slots=True)
class UnionRow:
    """One validated row of a union import; `parent` is the parent's key or name."""

    name: str
    level: str
    key: str = ""
    league: str = ""
    county: str = ""
    adcode: str = ""
    industries: list[str] = field(default_factory=list)
    employers: list[str] = field(default_factory=list)
    pool: bool = False
    requires_id_number: bool = False
    telegram_chat_id: str = ""
    wecom_robot_key: str = ""
    parent: str = ""

    @property
    def stable_key(self) -> str:
        return self.key or self.name


@dataclass(slots=True)
class ImportSummary:
    created: int = 0
    updated: int = 0


def _info(u: Union) -> UnionInfo:
    assert u.id is not None
    return UnionInfo(
        id=u.id,
        key=u.key,
        name=u.name,
        level=u.level,
        league=u.league,
        county=u.county,
        adcode=u.adcode,
        industries=tuple(u.industries),
        employers=tuple(u.employers),
        pool=u.pool,
        requires_id_number=u.requires_id_number,
        telegram_chat_id=u.telegram_chat_id,
        wecom_robot_key=u.wecom_robot_key,
        parent_id=u.parent_id,
    )


async def import_unions(db: Database, rows: Sequence[UnionRow]) -> ImportSummary:
    """Create or update unions by their stable key (code, else name), then link parents.

    Parents may be named by key or name and may appear later in the file or already exist.
    Everything happens in one transaction: a bad parent leaves the directory unchanged.
    """
    summary = ImportSummary()
    async with db.transaction() as session:
        existing = {u.key: u for u in (await session.execute(select(Union))).scalars()}
        for row in rows:
            union = existing.get(row.stable_key)
            if union is None:
                union = Union(key=row.stable_key, name=row.name, level=row.level)
                session.add(union)
                existing[union.key] = union
                summary.created += 1
            else:
                summary.updated += 1
            union.name, union.level = row.name, row.level
            union.league, union.county, union.adcode = row.league, row.county, row.adcode
            union.industries, union.employers = list(row.industries), list(row.employers)
            union.pool, union.requires_id_number = row.pool, row.requires_id_number
            union.telegram_chat_id, union.wecom_robot_key = (
                row.telegram_chat_id,
                row.wecom_robot_key,
            )
            union.active, union.updated_at = True, utcnow()
        await session.flush()
        by_name = {u.name: u for u in existing.values()}
        for row in rows:
            union = existing[row.stable_key]
            if not row.parent:
                union.parent_id = None
                continue
            parent = existing.get(row.parent) or by_name.get(row.parent)
            if parent is None:
                raise DirectoryError(f"“{row.name}”的上级工会“{row.parent}”不在名录里。")
            if parent is union:
                raise DirectoryError(f"“{row.name}”不能是自己的上级工会。")
            union.parent_id = parent.id
        await _check_no_cycles(session)
    return summary


async def _check_no_cycles(session: AsyncSession) -> None:
    parents: dict[int | None, int | None] = {
        i: p for i, p in (await session.execute(select(col(Union.id), col(Union.parent_id)))).all()
    }
    names = {i: n for i, n in (await session.execute(select(col(Union.id), col(Union.name)))).all()}
    for start in parents:
        seen: set[int] = set()
        node: int | None = start
        while node is not None:
            if node in seen:
                raise DirectoryError(f"上级工会关系成了环：请检查“{names[start]}”的上级。")
            seen.add(node)
            node = parents.get(node)


async def all_unions(db: Database) -> list[UnionInfo]:
    async with db.session() as session:
        rows = (
            await session.execute(select(Union).where(col(Union.active)).order_by(col(Union.id)))
        ).scalars()
        return [_info(u) for u in rows]


async def get_union(db: Database, union_id: int) -> UnionInfo | None:
    async with db.session() as session:
        union = await session.get(Union, union_id)
        return _info(union) if union is not None and union.active else None


async def find_union(db: Database, key_or_name: str) -> UnionInfo | None:
    async with db.session() as session:
        union = (await session.execute(select(Union).where(col(Union.key) == key_or_name))).scalar()
        if union is None:
            union = (
                (await session.execute(select(Union).where(col(Union.name) == key_or_name)))
                .scalars()
                .first()
            )
        return _info(union) if union is not None and union.active else None


def _place_choice(unions: Iterable[UnionInfo], league: str, county: str) -> UnionInfo | None:
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


async def union_for_place(db: Database, league: str, county: str = "") -> UnionInfo | None:
    """The general union serving a league/county (county union, else league, else region)."""
    return _place_choice(await all_unions(db), league, county)


def _same_employer(a: str, b: str) -> bool:
    a, b = a.strip().casefold(), b.strip().casefold()
    return bool(a) and bool(b) and (a == b or (len(b) >= 2 and b in a) or (len(a) >= 2 and a in b))


async def assign_union(
    db: Database, *, league: str, county: str, occupation: str = "", employer: str = ""
) -> UnionInfo | None:
    """Which union reviews a worker's enrollment.

    1. a grassroots union listing the employer/platform, same county first, then same league;
    2. an industry union for the occupation, same county first, then same league;
    3. the county's new-employment-form pool;
    4. the general union of the place (county, league, region).
    """
    unions = await all_unions(db)

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
    return _place_choice(unions, league, county)


async def unions_above(db: Database, union_id: int) -> list[UnionInfo]:
    """The chain of parents of a union, nearest first (for escalation)."""
    by_id = {u.id: u for u in await all_unions(db)}
    chain: list[UnionInfo] = []
    node = by_id.get(union_id)
    while node is not None and node.parent_id is not None and len(chain) < 10:
        node = by_id.get(node.parent_id)
        if node is not None:
            chain.append(node)
    return chain


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def add_staff(
    db: Database, name: str, union_keys: Sequence[str], *, telegram_user_id: str = ""
) -> tuple[StaffInfo, str]:
    """Create a staff member serving the named unions; returns them and their token (shown once)."""
    name = name.strip()
    if not name:
        raise DirectoryError("请写上工作人员的姓名。")
    if not union_keys:
        raise DirectoryError("请用 --union 指定至少一个所服务的工会。")
    union_ids: list[int] = []
    for key in union_keys:
        union = await find_union(db, key)
        if union is None:
            raise DirectoryError(f"名录里没有“{key}”这个工会，请先导入工会名录。")
        union_ids.append(union.id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction() as session:
        staff = StaffMember(
            name=name, token_hash=hash_token(token), telegram_user_id=telegram_user_id
        )
        session.add(staff)
        await session.flush()
        assert staff.id is not None
        for uid in dict.fromkeys(union_ids):
            session.add(StaffUnion(staff_id=staff.id, union_id=uid))
        info = StaffInfo(staff.id, staff.name, frozenset(union_ids), telegram_user_id)
    return info, token


async def _staff_info(session: AsyncSession, staff: StaffMember) -> StaffInfo:
    union_ids = (
        (
            await session.execute(
                select(col(StaffUnion.union_id)).where(col(StaffUnion.staff_id) == staff.id)
            )
        )
        .scalars()
        .all()
    )
    assert staff.id is not None
    return StaffInfo(staff.id, staff.name, frozenset(union_ids), staff.telegram_user_id)


async def staff_for_token(db: Database, token: str) -> StaffInfo | None:
    """The active staff member holding this bearer token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    async with db.session() as session:
        staff = (
            await session.execute(select(StaffMember).where(col(StaffMember.token_hash) == digest))
        ).scalar()
        # The index lookup finds the row; the constant-time compare is the actual check.
        if staff is None or not staff.active or not hmac.compare_digest(staff.token_hash, digest):
            return None
        return await _staff_info(session, staff)


async def staff_for_telegram_user(db: Database, telegram_user_id: str) -> StaffInfo | None:
    """The staff member linked to a Telegram account (who pressed a button in a staff chat)."""
    if not telegram_user_id:
        return None
    async with db.session() as session:
        staff = (
            (
                await session.execute(
                    select(StaffMember).where(
                        col(StaffMember.telegram_user_id) == telegram_user_id,
                        col(StaffMember.active),
                    )
                )
            )
            .scalars()
            .first()
        )
        return await _staff_info(session, staff) if staff is not None else None


async def deactivate_staff(db: Database, staff_id: int) -> bool:
    async with db.transaction() as session:
        staff = await session.get(StaffMember, staff_id)
        if staff is None or not staff.active:
            return False
        staff.active = False
        return True


async def list_staff(db: Database) -> list[StaffInfo]:
    async with db.session() as session:
        rows = (
            (
                await session.execute(
                    select(StaffMember).where(col(StaffMember.active)).order_by(col(StaffMember.id))
                )
            )
            .scalars()
            .all()
        )
        return [await _staff_info(session, s) for s in rows]


async def unions_for_telegram_chat(db: Database, chat_id: str) -> list[UnionInfo]:
    """The unions whose staff chat is this Telegram chat (a button pressed there acts for them)."""
    return [u for u in await all_unions(db) if chat_id and u.telegram_chat_id == chat_id]
