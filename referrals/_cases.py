"""What a case looks like on the way in and out of the `Referrals` service: the worker's
`NewCase` and its checks, the answers (`Submitted`, `ActionResult`), who may act (`Staff`).

The service itself is built in layers, one module each: `_records` (storage, the audit log,
forwarding, reading), `_actions` (staff claim / reply / resolve / …), `_service` (submitting
and SLA escalation).

Exceptions: `CaseError` (bad input, message in Chinese), `CaseNotFound`, `NotAllowed` (a staff
member acting on another union's case).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.notices import MINIPROGRAM, TELEGRAM, WECHAT
from locations import Point

from ._models import FEEDBACK_CATEGORIES, LEGAL_CATEGORIES, CaseKind, CaseView

# The workers' channels whose users can be messaged first (the Official Account by
# customer-service message, the mini-program by subscribe message); a notice to the worker goes
# to `Recipient(case.channel, case.worker_ref)`.
PUSH_CHANNELS = frozenset({TELEGRAM, WECHAT, MINIPROGRAM})
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
MAX_TEXT = 1000


class CaseError(ValueError):
    """Input that cannot become a case or an action; the message is Chinese, for the user."""


class CaseNotFound(CaseError):
    pass


class NotAllowed(CaseError):
    pass


class Staff(Protocol):
    """Who acts on a case (`membership.StaffInfo` fits)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def union_ids(self) -> frozenset[int]: ...


class StationLookup(Protocol):
    def get(self, station_id: int) -> Any: ...


@dataclass(slots=True)
class NewCase:
    kind: str
    category: str
    channel: str
    worker_ref: str
    description: str = ""
    source_ref: str | None = None
    station_id: int | None = None
    point: Point | None = None  # WGS-84
    place_text: str = ""
    photo_ref: str = ""
    consent_contact: bool = False


@dataclass(slots=True)
class Submitted:
    case: CaseView
    created: bool  # False: the same inbound message came again; this is the first case
    acknowledgement: str
    urgent: bool
    routed_to: str = ""


@dataclass(slots=True)
class ActionResult:
    case: CaseView
    notified_worker: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def case_number(kind: str) -> str:
    prefix = "L" if kind == CaseKind.LEGAL_AID else "F"
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def validate(new: NewCase) -> None:
    if new.kind not in (CaseKind.FEEDBACK, CaseKind.LEGAL_AID):
        raise CaseError("请选择是驿站反馈还是法律援助。")
    table = LEGAL_CATEGORIES if new.kind == CaseKind.LEGAL_AID else FEEDBACK_CATEGORIES
    if new.category not in table:
        raise CaseError(f"请从这些类别中选择：{'、'.join(table.values())}。")
    new.description = (new.description or "").strip()
    if len(new.description) > MAX_TEXT:
        raise CaseError(f"描述太长了，请控制在 {MAX_TEXT} 字以内。")
    needs_words = new.kind == CaseKind.LEGAL_AID or new.category == "other"
    if needs_words and len(new.description) < 4:
        raise CaseError("请简单说说发生了什么（至少几个字），工会才好帮您。")
    if new.kind == CaseKind.FEEDBACK and new.station_id is None:
        raise CaseError("请先选择是哪个驿站。")
    if not new.worker_ref or not new.channel:
        raise CaseError("不知道该把进展告诉谁，请从公众号、机器人或小程序提交。")
    if len(new.place_text) > 200 or len(new.photo_ref) > 500:
        raise CaseError("地点或照片信息太长了。")
