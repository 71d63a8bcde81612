"""The union directory and staff (`Directory`): which union serves a place, an employer or an
industry, where its staff chats are, and who may act for it.

A union's staff chats and a staff member's chat accounts are `core.notices.Recipient`s, rows of
`union_chats` and `staff_identities`: channel names are data here, never compared with.

Every reading method takes an optional `session=`: a use case that reads the directory inside
its own transaction passes its session, so nothing opens a second connection under a write
(on SQLite that would wait for the writer it is part of).

The staff half (adding staff, tokens, roles, chat accounts) is `StaffRoster` in `_staff`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.notices import Recipient

from ._errors import DirectoryError
from ._models import Union, UnionChat, utcnow
from ._staff import StaffInfo, StaffRoster
from ._unions import UnionInfo, choose_union, place_choice

__all__ = ["Directory", "ImportSummary", "StaffInfo", "UnionRow"]


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
    chats: list[Recipient] = field(default_factory=list)
    parent: str = ""

    @property
    def stable_key(self) -> str:
        return self.key or self.name


@dataclass(slots=True)
class ImportSummary:
    created: int = 0
    updated: int = 0


def _info(u: Union, chats: Sequence[Recipient] = ()) -> UnionInfo:
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
        chats=tuple(chats),
        parent_id=u.parent_id,
    )


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


async def _chats_of(session: AsyncSession, union_ids: list[int]) -> dict[int, list[Recipient]]:
    if not union_ids:
        return {}
    rows = await session.execute(
        select(col(UnionChat.union_id), col(UnionChat.channel), col(UnionChat.address))
        .where(col(UnionChat.union_id).in_(union_ids))
        .order_by(col(UnionChat.id))
    )
    chats: dict[int, list[Recipient]] = {}
    for union_id, channel, address in rows.all():
        chats.setdefault(union_id, []).append(Recipient(channel, address))
    return chats


async def _infos(session: AsyncSession, unions: Sequence[Union]) -> list[UnionInfo]:
    chats = await _chats_of(session, [u.id for u in unions if u.id is not None])
    return [_info(u, chats.get(u.id or 0, ())) for u in unions]


class Directory(StaffRoster):
    """The union directory and its staff, over one database."""

    # -- unions ----------------------------------------------------------------------------

    async def import_unions(self, rows: Sequence[UnionRow]) -> ImportSummary:
        """Create or update unions by their stable key (code, else name), then link parents.

        Parents may be named by key or name and may appear later in the file or already exist.
        A union's staff chats become exactly the row's. Everything happens in one transaction:
        a bad parent leaves the directory unchanged.
        """
        summary = ImportSummary()
        async with self.db.transaction() as session:
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
                union.active, union.updated_at = True, utcnow()
            await session.flush()
            by_name = {u.name: u for u in existing.values()}
            for row in rows:
                union = existing[row.stable_key]
                assert union.id is not None
                await session.execute(delete(UnionChat).where(col(UnionChat.union_id) == union.id))
                for chat in dict.fromkeys(row.chats):
                    session.add(
                        UnionChat(union_id=union.id, channel=chat.channel, address=chat.address)
                    )
                if not row.parent:
                    union.parent_id = None
                    continue
                parent = existing.get(row.parent) or by_name.get(row.parent)
                if parent is None:
                    raise DirectoryError(f"“{row.name}”的上级工会“{row.parent}”不在名录里。")
                if parent is union:
                    raise DirectoryError(f"“{row.name}”不能是自己的上级工会。")
                union.parent_id = parent.id
            await session.flush()
            await _check_no_cycles(session)
        return summary

    async def all_unions(self, *, session: AsyncSession | None = None) -> list[UnionInfo]:
        async with self._reading(session) as s:
            rows = (
                await s.execute(select(Union).where(col(Union.active)).order_by(col(Union.id)))
            ).scalars()
            return await _infos(s, list(rows))

    async def get_union(
        self, union_id: int, *, session: AsyncSession | None = None
    ) -> UnionInfo | None:
        async with self._reading(session) as s:
            union = await s.get(Union, union_id)
            if union is None or not union.active:
                return None
            return (await _infos(s, [union]))[0]

    async def find_union(
        self, key_or_name: str, *, session: AsyncSession | None = None
    ) -> UnionInfo | None:
        async with self._reading(session) as s:
            union = (await s.execute(select(Union).where(col(Union.key) == key_or_name))).scalar()
            if union is None:
                union = (
                    (await s.execute(select(Union).where(col(Union.name) == key_or_name)))
                    .scalars()
                    .first()
                )
            if union is None or not union.active:
                return None
            return (await _infos(s, [union]))[0]

    async def union_for_place(
        self, league: str, county: str = "", *, session: AsyncSession | None = None
    ) -> UnionInfo | None:
        """The general union serving a league/county (county union, else league, else region)."""
        return place_choice(await self.all_unions(session=session), league, county)

    async def assign_union(
        self,
        *,
        league: str,
        county: str,
        occupation: str = "",
        employer: str = "",
        session: AsyncSession | None = None,
    ) -> UnionInfo | None:
        """Which union reviews a worker's enrollment (see `choose_union`)."""
        return choose_union(
            await self.all_unions(session=session),
            league=league,
            county=county,
            occupation=occupation,
            employer=employer,
        )

    async def unions_above(
        self, union_id: int, *, session: AsyncSession | None = None
    ) -> list[UnionInfo]:
        """The chain of parents of a union, nearest first (for escalation)."""
        by_id = {u.id: u for u in await self.all_unions(session=session)}
        chain: list[UnionInfo] = []
        node = by_id.get(union_id)
        while node is not None and node.parent_id is not None and len(chain) < 10:
            node = by_id.get(node.parent_id)
            if node is not None:
                chain.append(node)
        return chain

    async def unions_for_chat(
        self, channel: str, address: str, *, session: AsyncSession | None = None
    ) -> list[UnionInfo]:
        """The unions whose staff chat this is (a button pressed there acts for them)."""
        if not address:
            return []
        chat = Recipient(channel, address)
        return [u for u in await self.all_unions(session=session) if chat in u.chats]
