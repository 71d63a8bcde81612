"""Tables of the locations domain: stations and the history of their status."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class StationKind(StrEnum):
    STANDARD = "standard"  # 标准驿站, usable area ≥ 5 m²
    MICRO = "micro"  # 微型驿站, < 5 m²
    MOBILE = "mobile"  # 流动驿站


class BuildMode(StrEnum):
    SELF = "self"  # 自建
    JOINT = "joint"  # 共建 with a host


class StationStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # temporarily out of service; may come back
    REVOKED = "revoked"  # 撤销: never offered again, history kept


class Station(SQLModel, table=True):
    __tablename__ = "stations"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)  # stable key of imports
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=500)
    league: str = Field(default="", max_length=50, index=True)  # 盟/市
    county: str = Field(default="", max_length=50)  # 旗/县/区
    lat: float  # WGS-84
    lng: float  # WGS-84
    kind: str = Field(default=StationKind.STANDARD, max_length=16)
    build_mode: str = Field(default=BuildMode.SELF, max_length=16)
    host_type: str = Field(default="", max_length=50)
    area_m2: float | None = None
    opening_hours: str = Field(default="24/7", max_length=500)  # OpenStreetMap syntax
    # The union's own words for the hours ("周一至周五 8:00-18:00"), shown beside the parsed form;
    # empty when the file gave OSM syntax itself.
    opening_hours_text: str = Field(default="", max_length=500)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Amenities beyond the catalogue as the union names them (WiFi, 空调, 图书角): shown, not searched.
    extras: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # False: the union's list gave no hours. Such a station is listed but never shown as open
    # (opening_hours is then "").
    hours_known: bool = True
    # Set when the position came from a geocoder at import: which one ("amap", "tencent", …)
    # and the precision it claimed (its own level word: 门牌号, 兴趣点, 门址, …).
    geocoded_by: str = Field(default="", max_length=16)
    geocode_level: str = Field(default="", max_length=32)
    owner_union: str = Field(default="", max_length=100)  # 所属工会, as the list names it
    most_beautiful: bool = False  # 最美驿站
    smart_24h: bool = False  # 24小时无人值守智能化驿站
    phone: str = Field(default="", max_length=40)
    status: str = Field(default=StationStatus.ACTIVE, max_length=16, index=True)
    synthetic: bool = False  # demo data, never real
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class StationStatusChange(SQLModel, table=True):
    __tablename__ = "station_status_changes"

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", index=True)
    old_status: str | None = Field(default=None, max_length=16)
    new_status: str = Field(max_length=16)
    reason: str = Field(default="", max_length=500)
    source: str = Field(default="", max_length=100)  # "import:file.csv", "admin:42", …
    changed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
