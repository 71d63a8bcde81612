"""Tables of the membership domain: the union directory, staff, and enrollments."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel


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
    telegram_chat_id: str = Field(default="", max_length=40)
    wecom_robot_key: str = Field(default="", max_length=100)
    parent_id: int | None = Field(default=None, foreign_key="unions.id")
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_members"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    # SHA-256 of the bearer token; the token itself is shown once and never stored.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    telegram_user_id: str = Field(default="", max_length=40)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class StaffUnion(SQLModel, table=True):
    __tablename__ = "staff_unions"

    staff_id: int = Field(foreign_key="staff_members.id", primary_key=True)
    union_id: int = Field(foreign_key="unions.id", primary_key=True)
