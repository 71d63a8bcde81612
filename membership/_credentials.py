"""Staff sign-in for the web console: a login and a password per staff member.

Passwords are hashed with Argon2id (memory-hard, so a stolen table is slow to crack) through
argon2-cffi. Hashing costs tens of milliseconds of CPU and 64 MiB, so it runs in a worker
thread, never on the event loop. `verify` does the same work for an unknown login as for a
known one (a dummy hash), so the answer time does not tell which logins exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, DateTime, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col

from core.clock import Clock, SystemClock
from core.db import Database
from core.notices import Notice, Recipient, send_notice
from core.outbox import AwareDateTime

from ._access import Role, scope_in
from ._models import StaffIdentity, StaffMember, StaffUnion

MIN_PASSWORD = 10
MAX_PASSWORD = 128  # Argon2 takes any length; a cap keeps a megabyte "password" off the CPU
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
# The ones people pick first; a longer list belongs in a file once someone needs one.
_COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "9876543210",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "password123",
        "passw0rd123",
        "abc1234567",
        "a123456789",
        "woaini1314",
        "iloveyou123",
        "qwer123456",
        "admin12345",
        "admin123456",
    }
)


class CredentialError(ValueError):
    """A login or password that cannot be set; the message is Chinese, for the person."""


class StaffCredential(SQLModel, table=True):
    __tablename__ = "staff_credentials"

    staff_id: int = Field(foreign_key="staff_members.id", primary_key=True)
    login: str = Field(max_length=32, unique=True, index=True)
    password_hash: str = Field(max_length=200)
    changed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class StaffPasswordLink(SQLModel, table=True):
    """A one-time link to choose a console password: only its SHA-256 is kept."""

    __tablename__ = "staff_password_links"

    token_hash: str = Field(max_length=64, primary_key=True)
    staff_id: int = Field(foreign_key="staff_members.id", index=True)
    login: str = Field(max_length=32)
    expires_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))


LINK_HOURS = 72.0


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A signed-in staff member: fits `referrals.Staff` (id, name, union_ids)."""

    id: int
    name: str
    login: str
    union_ids: frozenset[int]
    # When the password last changed: a session started before that is no longer valid.
    changed_at: datetime
    role: str = Role.STAFF
    held_union_ids: frozenset[int] = frozenset()

    def serves(self, union_id: int | None) -> bool:
        return union_id is not None and union_id in self.union_ids


def clean_login(login: str) -> str:
    """Logins are case-insensitive: `WangFang` and `wangfang` are one person."""
    login = login.strip().lower()
    if not _LOGIN.match(login):
        raise CredentialError(
            "登录名请用 3–32 位小写字母、数字、点、横线或下划线，并以字母或数字开头。"
        )
    return login


def check_password(password: str, login: str = "") -> None:
    """Raise CredentialError (in Chinese) unless the password is acceptable."""
    if len(password) < MIN_PASSWORD:
        raise CredentialError(f"密码至少要 {MIN_PASSWORD} 位，长一点更安全，可以用一句好记的话。")
    if len(password) > MAX_PASSWORD:
        raise CredentialError(f"密码不要超过 {MAX_PASSWORD} 位。")
    if password != password.strip():
        raise CredentialError("密码的开头和结尾不要有空格。")
    if len(set(password)) < 4:
        raise CredentialError("密码里重复的字符太多了，请换一个不容易猜到的。")
    lowered = password.lower()
    if lowered in _COMMON or (login and login.lower() in lowered):
        raise CredentialError("这个密码太容易被猜到（常见密码或包含登录名），请换一个。")


class Credentials:
    """Staff logins and passwords: set them, check them, and find who is signed in."""

    def __init__(
        self, db: Database, *, clock: Clock | None = None, hasher: PasswordHasher | None = None
    ) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def _matches(self, stored: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self.hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)

    async def set_password(self, staff_id: int, login: str, password: str) -> None:
        """Give an active staff member this login and password (replacing earlier ones)."""
        login = clean_login(login)
        check_password(password, login)
        digest = await self._hash(password)
        try:
            async with self.db.transaction() as session:
                staff = await session.get(StaffMember, staff_id)
                if staff is None or not staff.active:
                    raise CredentialError(f"没有找到在岗的工作人员 {staff_id}。")
                taken = (
                    await session.execute(
                        select(col(StaffCredential.staff_id)).where(
                            col(StaffCredential.login) == login
                        )
                    )
                ).scalar()
                if taken is not None and taken != staff_id:
                    raise CredentialError(f"登录名“{login}”已有人使用，请换一个。")
                now = self.clock.now()
                row = await session.get(StaffCredential, staff_id)
                if row is None:
                    row = StaffCredential(
                        staff_id=staff_id, login=login, password_hash=digest, changed_at=now
                    )
                    session.add(row)
                row.login, row.password_hash, row.changed_at = login, digest, now
        except IntegrityError:  # another process took the login between our check and insert
            raise CredentialError(f"登录名“{login}”已有人使用，请换一个。") from None

    async def verify(self, login: str, password: str) -> int | None:
        """The active staff member's id when the login and password match, else None."""
        login = login.strip().lower()
        row = None
        if _LOGIN.match(login) and len(password) <= MAX_PASSWORD:
            async with self.db.session() as session:
                row = (
                    await session.execute(
                        select(StaffCredential, col(StaffMember.active))
                        .join(StaffMember, col(StaffMember.id) == col(StaffCredential.staff_id))
                        .where(col(StaffCredential.login) == login)
                    )
                ).first()
        if row is None:
            # Same work as for a real login, so timing does not reveal which logins exist.
            if self._dummy is None:
                self._dummy = await self._hash("dummy password for unknown logins")
            await self._matches(self._dummy, password[:MAX_PASSWORD])
            return None
        credential, active = row
        if not await self._matches(credential.password_hash, password) or not active:
            return None
        if self.hasher.check_needs_rehash(credential.password_hash):
            await self._rehash(credential.staff_id, credential.password_hash, password)
        return credential.staff_id

    async def _rehash(self, staff_id: int, old: str, password: str) -> None:
        """Hashes made with older, cheaper parameters are upgraded at the next sign-in."""
        digest = await self._hash(password)
        async with self.db.transaction() as session:
            row = await session.get(StaffCredential, staff_id)
            if row is not None and row.password_hash == old:
                row.password_hash = digest

    async def account(self, staff_id: int) -> StaffAccount | None:
        """Who this is, while they are active and have a login (None once removed)."""
        async with self.db.session() as session:
            found = (
                await session.execute(
                    select(
                        col(StaffMember.name),
                        col(StaffCredential.login),
                        col(StaffCredential.changed_at),
                        col(StaffMember.role),
                    )
                    .join(StaffCredential, col(StaffCredential.staff_id) == col(StaffMember.id))
                    .where(col(StaffMember.id) == staff_id, col(StaffMember.active))
                )
            ).first()
            if found is None:
                return None
            held = frozenset(
                (
                    await session.execute(
                        select(col(StaffUnion.union_id)).where(col(StaffUnion.staff_id) == staff_id)
                    )
                ).scalars()
            )
            name, login, changed_at, role = found
            union_ids = await scope_in(session, role, held)
            return StaffAccount(staff_id, name, login, union_ids, changed_at, role, held)

    async def login_taken(self, login: str) -> bool:
        async with self.db.session() as session:
            found = await session.execute(
                select(col(StaffCredential.staff_id)).where(
                    col(StaffCredential.login) == login.strip().lower()
                )
            )
            return found.first() is not None

    async def login_of(self, staff_id: int) -> str | None:
        """Their login, or the one a set-password link was made for."""
        async with self.db.session() as session:
            row = await session.get(StaffCredential, staff_id)
            if row is not None:
                return row.login
            return (
                await session.execute(
                    select(col(StaffPasswordLink.login))
                    .where(col(StaffPasswordLink.staff_id) == staff_id)
                    .order_by(col(StaffPasswordLink.expires_at).desc())
                    .limit(1)
                )
            ).scalar()

    # -- one-time set-password links ------------------------------------------------------

    async def make_link(self, staff_id: int, login: str, *, hours: float = LINK_HOURS) -> str:
        """A one-time token with which an active staff member chooses their own password
        (under `login`); earlier unused links of theirs stop working. Shown once."""
        login = clean_login(login)
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        async with self.db.transaction() as session:
            staff = await session.get(StaffMember, staff_id)
            if staff is None or not staff.active:
                raise CredentialError(f"没有找到在岗的工作人员 {staff_id}。")
            taken = (
                await session.execute(
                    select(col(StaffCredential.staff_id)).where(col(StaffCredential.login) == login)
                )
            ).scalar()
            if taken is not None and taken != staff_id:
                raise CredentialError(f"登录名“{login}”已有人使用，请换一个。")
            old = await session.execute(
                select(StaffPasswordLink).where(
                    col(StaffPasswordLink.staff_id) == staff_id,
                    col(StaffPasswordLink.used_at).is_(None),
                )
            )
            for link in old.scalars():
                link.used_at = now
            session.add(
                StaffPasswordLink(
                    token_hash=_link_hash(token),
                    staff_id=staff_id,
                    login=login,
                    expires_at=now + timedelta(hours=hours),
                )
            )
        return token

    async def link_login(self, token: str) -> tuple[int, str] | None:
        """(staff id, login) of an unused, unexpired link, else None."""
        if not token or len(token) > 100:
            return None
        async with self.db.session() as session:
            link = await session.get(StaffPasswordLink, _link_hash(token))
            if link is None or link.used_at is not None:
                return None
            if _aware(link.expires_at) <= self.clock.now():
                return None
            staff = await session.get(StaffMember, link.staff_id)
            if staff is None or not staff.active:
                return None
            return link.staff_id, link.login

    async def use_link(self, token: str, password: str) -> int:
        """Set the password through a link (once); the staff id. CredentialError when the link
        is no good or the password is refused (the link then still works)."""
        found = await self.link_login(token)
        if found is None:
            raise CredentialError("这个设置密码的链接已失效（用过或过期），请向管理员要一个新的。")
        staff_id, login = found
        await self.set_password(staff_id, login, password)
        async with self.db.transaction() as session:
            link = await session.get(StaffPasswordLink, _link_hash(token))
            if link is not None:
                link.used_at = self.clock.now()
        return staff_id

    async def send_link(self, staff_id: int, url: str) -> int:
        """Queue the set-password link to each chat account of the staff member (the outbox
        delivers it); how many accounts."""
        notice = Notice(
            f"您好！这是驿站通工作台设置密码的链接，{LINK_HOURS:.0f} 小时内有效、只能用一次，"
            f"请勿转发：\n{url}"
        )
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(col(StaffIdentity.channel), col(StaffIdentity.address)).where(
                        col(StaffIdentity.staff_id) == staff_id
                    )
                )
            ).all()
            for channel, address in rows:
                await send_notice(session, Recipient(channel, address), notice)
        return len(rows)


def _link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
