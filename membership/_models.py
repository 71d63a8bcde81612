"""Tables of the membership domain: the union directory, staff, and enrollments."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.outbox import AwareDateTime
from core.pii import sealed_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(nullable: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class UnionLevel(StrEnum):
    REGION = "region"  # 自治区总工会
    LEAGUE = "league"  # 盟市总工会
    COUNTY = "county"  # 旗县区总工会
    GRASSROOTS = "grassroots"  # 基层工会 (an employer's, a platform's, a street's)
    INDUSTRY = "industry"  # 行业工会, e.g. a city's courier or delivery-rider union


class EnrollmentStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class Union(SQLModel, table=True):
    __tablename__ = "unions"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)  # stable import key: code or name
    name: str = Field(max_length=200)
    level: str = Field(max_length=16, index=True)
    league: str = Field(default="", max_length=50, index=True)
    county: str = Field(default="", max_length=50)
    adcode: str = Field(default="", max_length=12)
    # Occupation codes an industry union takes in (see membership.OCCUPATIONS).
    industries: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Employers and platforms whose workers this (grassroots) union takes in.
    employers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The county's new-employment-form pool (新就业形态劳动者工会), for workers without one.
    pool: bool = False
    requires_id_number: bool = False
    parent_id: int | None = Field(default=None, foreign_key="unions.id")
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_members"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    # SHA-256 of the bearer token; the token itself is shown once and never stored.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # membership.Role: "staff" act on their unions' work; "admin" also below them, and manage.
    role: str = Field(default="staff", max_length=16)
    # The bearer token stops working then (None: tokens made before expiry existed).
    token_expires_at: datetime | None = Field(
        default=None, sa_column=Column(AwareDateTime(), nullable=True)
    )


class UnionChat(SQLModel, table=True):
    """A staff chat of a union: where new applications and cases for it are sent. `channel` is
    a `core.notices` channel name, `address` the chat within it (a group's chat id, a robot's
    key); a union may have several, on one channel or many."""

    __tablename__ = "union_chats"
    __table_args__ = (UniqueConstraint("union_id", "channel", "address", name="uq_union_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    union_id: int = Field(foreign_key="unions.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=300)


class StaffIdentity(SQLModel, table=True):
    """A chat account of a staff member (who pressed a button in a staff chat). One account acts
    for one staff member."""

    __tablename__ = "staff_identities"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_staff_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_members.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=300)


class StaffUnion(SQLModel, table=True):
    __tablename__ = "staff_unions"

    staff_id: int = Field(foreign_key="staff_members.id", primary_key=True)
    union_id: int = Field(foreign_key="unions.id", primary_key=True)


class Enrollment(SQLModel, table=True):
    """One person's application to join. Name, phone and ID number are stored encrypted
    (`*_enc`); `phone_hash` / `id_hash` are keyed hashes, unique, so one person has one
    enrollment even when two processes race."""

    __tablename__ = "enrollments"

    id: int | None = Field(default=None, primary_key=True)
    union_id: int = Field(foreign_key="unions.id", index=True)
    status: str = Field(default=EnrollmentStatus.SUBMITTED, max_length=16, index=True)
    revision: int = 1  # bumped on each resubmission; staff buttons carry it
    name_enc: str = Field(max_length=500)
    phone_enc: str = Field(max_length=500)
    phone_hash: str = Field(max_length=64, unique=True)
    phone_verified_via: str = Field(max_length=32)  # "<channel>_contact" | "<channel>_code"
    id_number_enc: str | None = Field(default=None, max_length=500)
    id_hash: str | None = Field(default=None, max_length=64, unique=True)
    occupation: str = Field(max_length=32)
    employer_enc: str = Field(
        default="", sa_column=sealed_column()
    )  # a small employer can name a person
    league: str = Field(default="", max_length=50)
    county: str = Field(default="", max_length=50)
    # Where the worker applied from and is told the outcome: a channel and the user there.
    channel: str = Field(max_length=16)
    channel_user: str = Field(max_length=100, index=True)
    consent_version: str = Field(max_length=20)
    consent_at: datetime = Field(sa_column=_ts())
    id_consent_version: str | None = Field(default=None, max_length=20)
    id_consent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    member_number: str | None = Field(default=None, max_length=20, unique=True)
    reject_reason_enc: str = Field(
        default="", sa_column=sealed_column()
    )  # staff may quote the worker
    decided_by: str = Field(default="", max_length=100)  # "staff:12", "<channel>:<user id>"
    submitted_at: datetime = Field(sa_column=_ts())
    decided_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class EnrollmentEvent(SQLModel, table=True):
    """What happened to an enrollment, for the record; the free-text note is sealed."""

    __tablename__ = "enrollment_events"

    id: int | None = Field(default=None, primary_key=True)
    enrollment_id: int = Field(foreign_key="enrollments.id", index=True)
    action: str = Field(max_length=16)  # submitted | resubmitted | approved | rejected
    actor: str = Field(default="", max_length=100)
    note_enc: str = Field(default="", sa_column=sealed_column())
    at: datetime = Field(sa_column=_ts())
