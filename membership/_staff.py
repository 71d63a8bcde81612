"""The staff half of the directory (`StaffRoster`, which `Directory` is): adding staff, their
roles, bearer tokens (with an expiry, rotated by `rotate_token`) and chat accounts.

Staff authenticate with a bearer token that is shown once; only its SHA-256 is stored (a token
is 256 random bits, so a fast hash is enough), and the stored hash is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock, SystemClock
from core.db import Database
from core.notices import Recipient

from ._access import Role, clean_role, scope_in
from ._errors import DirectoryError
from ._models import StaffIdentity, StaffMember, StaffUnion, Union

TOKEN_PREFIX = "yzs_"


@dataclass(frozen=True, slots=True)
class StaffInfo:
    id: int
    name: str
    # The unions whose work they see and act on: held ones, and for an admin all below them.
    union_ids: frozenset[int]
    # The chat accounts they press buttons from.
    identities: tuple[Recipient, ...] = ()
    role: str = Role.STAFF
    # The unions they belong to (for an admin, the tops of what they see).
    held_union_ids: frozenset[int] = frozenset()

    def serves(self, union_id: int | None) -> bool:
        return union_id is not None and union_id in self.union_ids


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def _staff_info(session: AsyncSession, staff: StaffMember) -> StaffInfo:
    held = (
        (
            await session.execute(
                select(col(StaffUnion.union_id)).where(col(StaffUnion.staff_id) == staff.id)
            )
        )
        .scalars()
        .all()
    )
    identities = (
        await session.execute(
            select(col(StaffIdentity.channel), col(StaffIdentity.address))
            .where(col(StaffIdentity.staff_id) == staff.id)
            .order_by(col(StaffIdentity.id))
        )
    ).all()
    assert staff.id is not None
    return StaffInfo(
        staff.id,
        staff.name,
        await scope_in(session, staff.role, held),
        tuple(Recipient(channel, address) for channel, address in identities),
        role=staff.role,
        held_union_ids=frozenset(held),
    )


class StaffRoster:
    """Staff of the directory's unions, over one database. `token_days`: how long a bearer
    token works (None: without end, for tests and old deployments)."""

    def __init__(
        self, db: Database, *, clock: Clock | None = None, token_days: float | None = None
    ) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.token_days = token_days

    @asynccontextmanager
    async def _reading(self, session: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        if session is not None:
            yield session
            return
        async with self.db.session() as own:
            yield own

    def _new_token(self) -> tuple[str, datetime | None]:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires = (
            self.clock.now() + timedelta(days=self.token_days)
            if self.token_days is not None
            else None
        )
        return token, expires

    async def add_staff(
        self,
        name: str,
        union_keys: Sequence[str],
        *,
        identities: Sequence[Recipient] = (),
        role: str = Role.STAFF,
    ) -> tuple[StaffInfo, str]:
        """Create a staff member serving the named unions, with the chat accounts they press
        buttons from; returns them and their token (shown once). An account still linked to an
        active staff member is refused; one of a removed staff member moves to the new one."""
        name = name.strip()
        if not name:
            raise DirectoryError("请写上工作人员的姓名。")
        if not union_keys:
            raise DirectoryError("请用 --union 指定至少一个所服务的工会。")
        try:
            role = clean_role(role)
        except ValueError as exc:
            raise DirectoryError(str(exc)) from None
        token, expires = self._new_token()
        identities = tuple(dict.fromkeys(i for i in identities if i.address))
        async with self.db.transaction() as session:
            union_ids: list[int] = []
            for key in union_keys:
                union = (
                    await session.execute(select(Union).where(col(Union.key) == key))
                ).scalar() or (
                    (await session.execute(select(Union).where(col(Union.name) == key)))
                    .scalars()
                    .first()
                )
                if union is None or not union.active or union.id is None:
                    raise DirectoryError(f"名录里没有“{key}”这个工会，请先导入工会名录。")
                union_ids.append(union.id)
            for identity in identities:
                held = (
                    await session.execute(
                        select(StaffIdentity, StaffMember)
                        .join(StaffMember, col(StaffMember.id) == col(StaffIdentity.staff_id))
                        .where(
                            col(StaffIdentity.channel) == identity.channel,
                            col(StaffIdentity.address) == identity.address,
                        )
                    )
                ).first()
                if held is None:
                    continue
                if held[1].active:
                    raise DirectoryError(
                        f"账号 {identity.address} 已登记给工作人员 {held[1].name}"
                        f"（编号 {held[1].id}），请先停用。"
                    )
                await session.delete(held[0])
            await session.flush()
            staff = StaffMember(
                name=name, token_hash=hash_token(token), role=role, token_expires_at=expires
            )
            session.add(staff)
            await session.flush()
            assert staff.id is not None
            for uid in dict.fromkeys(union_ids):
                session.add(StaffUnion(staff_id=staff.id, union_id=uid))
            for identity in identities:
                session.add(
                    StaffIdentity(
                        staff_id=staff.id, channel=identity.channel, address=identity.address
                    )
                )
            await session.flush()
            info = await _staff_info(session, staff)
        return info, token

    async def rotate_token(self, staff_id: int) -> tuple[str, datetime | None]:
        """A new bearer token for an active staff member (the old one stops working at once);
        returns it (shown once) and when it expires."""
        token, expires = self._new_token()
        async with self.db.transaction() as session:
            staff = await session.get(StaffMember, staff_id)
            if staff is None or not staff.active:
                raise DirectoryError(f"没有找到在岗的工作人员 {staff_id}。")
            staff.token_hash, staff.token_expires_at = hash_token(token), expires
        return token, expires

    async def set_role(self, staff_id: int, role: str) -> StaffInfo:
        try:
            role = clean_role(role)
        except ValueError as exc:
            raise DirectoryError(str(exc)) from None
        async with self.db.transaction() as session:
            staff = await session.get(StaffMember, staff_id)
            if staff is None or not staff.active:
                raise DirectoryError(f"没有找到在岗的工作人员 {staff_id}。")
            staff.role = role
            await session.flush()
            return await _staff_info(session, staff)

    async def get_staff(
        self, staff_id: int, *, session: AsyncSession | None = None
    ) -> StaffInfo | None:
        """The active staff member with this id, or None."""
        async with self._reading(session) as s:
            staff = await s.get(StaffMember, staff_id)
            if staff is None or not staff.active:
                return None
            return await _staff_info(s, staff)

    async def staff_for_token(
        self, token: str, *, session: AsyncSession | None = None
    ) -> StaffInfo | None:
        """The active staff member holding this bearer token (not yet expired), or None."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        async with self._reading(session) as s:
            staff = (
                await s.execute(select(StaffMember).where(col(StaffMember.token_hash) == digest))
            ).scalar()
            # The index lookup finds the row; the constant-time compare is the actual check.
            if (
                staff is None
                or not staff.active
                or not hmac.compare_digest(staff.token_hash, digest)
            ):
                return None
            if (
                staff.token_expires_at is not None
                and _aware(staff.token_expires_at) <= self.clock.now()
            ):
                return None
            return await _staff_info(s, staff)

    async def token_expired(self, token: str) -> bool:
        """Whether this is a real token past its expiry (to tell the person why it fails)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return False
        async with self.db.session() as s:
            staff = (
                await s.execute(
                    select(StaffMember).where(col(StaffMember.token_hash) == hash_token(token))
                )
            ).scalar()
        return (
            staff is not None
            and staff.active
            and staff.token_expires_at is not None
            and _aware(staff.token_expires_at) <= self.clock.now()
        )

    async def staff_for_identity(
        self, channel: str, address: str, *, session: AsyncSession | None = None
    ) -> StaffInfo | None:
        """The active staff member linked to this chat account (who pressed a button)."""
        if not address:
            return None
        async with self._reading(session) as s:
            staff = (
                (
                    await s.execute(
                        select(StaffMember)
                        .join(StaffIdentity, col(StaffIdentity.staff_id) == col(StaffMember.id))
                        .where(
                            col(StaffIdentity.channel) == channel,
                            col(StaffIdentity.address) == address,
                            col(StaffMember.active),
                        )
                    )
                )
                .scalars()
                .first()
            )
            return await _staff_info(s, staff) if staff is not None else None

    async def deactivate_staff(self, staff_id: int) -> bool:
        async with self.db.transaction() as session:
            staff = await session.get(StaffMember, staff_id)
            if staff is None or not staff.active:
                return False
            staff.active = False
            return True

    async def list_staff(self, *, session: AsyncSession | None = None) -> list[StaffInfo]:
        async with self._reading(session) as s:
            rows = (
                (
                    await s.execute(
                        select(StaffMember)
                        .where(col(StaffMember.active))
                        .order_by(col(StaffMember.id))
                    )
                )
                .scalars()
                .all()
            )
            return [await _staff_info(s, staff) for staff in rows]
