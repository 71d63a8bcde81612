"""Tables of the referrals domain: cases, their audit log, who received them, and boundaries.

A worker's story and staff's answers are personal data (names, employers, phone numbers,
injuries), so the free texts are stored encrypted (`*_enc`, `core.pii`): `Case.description_enc`,
`Case.outcome_enc`, `Case.place_text_enc` and `CaseEvent.detail_enc`. The service hands out `CaseView` and
`CaseEventView` instead: the same fields (from the shared base class) with the texts opened.
An empty text is stored as "" (nothing to hide).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from core.outbox import AwareDateTime, utcnow
from core.pii import sealed_column


def _ts(nullable: bool = False) -> Column:
    return Column(AwareDateTime(), nullable=nullable)


class CaseKind(StrEnum):
    FEEDBACK = "feedback"  # about a station
    LEGAL_AID = "legal_aid"  # 法律援助


class CaseStatus(StrEnum):
    NEW = "new"  # waiting for staff to claim it
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    DUPLICATE = "duplicate"


# Codes used everywhere (API, buttons); the Chinese labels are what people see.
FEEDBACK_CATEGORIES: dict[str, str] = {
    "closed": "该开没开",
    "no_water": "没有饮水",
    "dirty": "卫生不好",
    "broken": "设施损坏",
    "praise": "表扬",
    "other": "其他",
}
LEGAL_CATEGORIES: dict[str, str] = {
    "unpaid_wages": "拖欠工资",
    "work_injury": "工伤",
    "traffic_accident": "交通事故",
    "account_penalty": "账号封禁或处罚",
    "social_insurance": "社会保险",
    "labour_contract": "劳动合同",
    "other": "其他法律问题",
}
# Topics where waiting for a callback may cost the worker: show the hotlines at once.
URGENT_LEGAL = frozenset({"unpaid_wages", "work_injury", "traffic_accident"})
STATUS_LABELS = {
    CaseStatus.NEW: "已受理，等待工会认领",
    CaseStatus.CLAIMED: "工会正在处理",
    CaseStatus.RESOLVED: "已办结",
    CaseStatus.DUPLICATE: "已合并到其他求助",
}


class CaseBase(SQLModel):
    """A case's fields other than its free texts: shared by the table and the view."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=12, unique=True, index=True)  # tracking number told at once
    kind: str = Field(max_length=16)
    category: str = Field(max_length=32)
    photo_ref: str = Field(default="", max_length=500)  # file id / media id / URL of the channel
    station_id: int | None = Field(default=None, index=True)
    lat: float | None = None  # WGS-84 of the station or the worker's place
    lng: float | None = None
    consent_contact: bool = False
    # Who asked and where to tell them: a channel and the worker's address there.
    channel: str = Field(max_length=16)
    worker_ref: str = Field(max_length=100, index=True)
    # The inbound update/message id (or client request id): a retry never makes a second case.
    source_ref: str | None = Field(default=None, max_length=100)
    county_adcode: str = Field(default="", max_length=12)
    area_name: str = Field(default="", max_length=100)
    union_id: int | None = Field(default=None, index=True)  # responsible now (after escalation)
    level: str = Field(default="", max_length=16)
    status: str = Field(default=CaseStatus.NEW, max_length=16, index=True)
    claimed_by: int | None = None  # staff id
    claimed_by_name: str = Field(default="", max_length=100)
    duplicate_of: int | None = None
    sla_due_at: datetime | None = Field(default=None, sa_column=_ts(True))
    escalations: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Case(CaseBase, table=True):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("channel", "source_ref", name="uq_cases_source"),)

    description_enc: str = Field(default="", sa_column=sealed_column())  # the worker's words
    outcome_enc: str = Field(
        default="", sa_column=sealed_column()
    )  # staff's result, read by the worker
    place_text_enc: str = Field(
        default="", sa_column=sealed_column()
    )  # where, in the worker's words


class CaseView(CaseBase):
    """A case as staff and the worker read it: the texts decrypted."""

    description: str = ""
    outcome: str = ""
    place_text: str = ""


class CaseEventBase(SQLModel):
    """Who did what to a case, when, and through which channel (`detail` aside)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    action: str = Field(max_length=32)  # created, routed, claimed, replied, resolved, …
    actor: str = Field(max_length=60)  # "worker", "staff:12", "system"
    actor_name: str = Field(default="", max_length=100)
    channel: str = Field(default="", max_length=16)  # a chat channel, or "admin_api"
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class CaseEvent(CaseEventBase, table=True):
    """Append-only audit log. `detail_enc`: a staff reply or outcome, a category, a union's
    name; all encrypted alike, so nobody has to decide per action what is personal."""

    __tablename__ = "case_events"

    detail_enc: str = Field(default="", sa_column=sealed_column())


class CaseEventView(CaseEventBase):
    detail: str = ""


class CaseRecipient(SQLModel, table=True):
    """A staff chat a case was sent to (once: unique per case and chat)."""

    __tablename__ = "case_recipients"
    __table_args__ = (UniqueConstraint("case_id", "channel", "address", name="uq_case_recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    union_id: int
    channel: str = Field(max_length=32)  # a `core.notices` channel name
    address: str = Field(max_length=300)
    reason: str = Field(default="routed", max_length=16)  # routed | escalated
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Boundary(SQLModel, table=True):
    """An administrative area imported with `yizhan regions import` (rings in WGS-84)."""

    __tablename__ = "boundaries"

    adcode: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    level: str = Field(max_length=16)  # province | league | county
    parent: str = Field(default="", max_length=12)
    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float
    # [[ring, hole, …], …]: polygons of rings of [lng, lat] — GeoJSON's order.
    polygons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


@event.listens_for(CaseEvent, "before_update")
@event.listens_for(CaseEvent, "before_delete")
def _append_only(*_args: object) -> None:
    raise RuntimeError("case_events is append-only")
