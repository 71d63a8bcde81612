"""The outbox table, its statuses, the rows callers hand in, and the exceptions senders raise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("kind", "recipient", "dedupe_key", name="uq_outbox_dedupe"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # which sender: a channel ("telegram", "wecom", …), …
    recipient: str = Field(max_length=300)  # chat id, webhook key, openid, …
    dedupe_key: str = Field(max_length=200)
    # What the sender needs, in memory only: stored sealed in `payload_enc` (see `_seal`).
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    payload_enc: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False)
    )
    last_error: str = Field(default="", max_length=1000)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(
        default=None, sa_column=Column(AwareDateTime(), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(AwareDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))


class OutboxError(Exception):
    """Base of the outbox's exceptions."""


class RetryLater(OutboxError):
    """A delivery failed but may succeed later; `retry_after` seconds when the remote side said."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class GiveUp(OutboxError):
    """A delivery that will never succeed (unknown chat, revoked webhook): mark the row dead."""


Sender = Callable[[OutboxMessage], Awaitable[dict[str, Any] | None]]


class NewMessage(NamedTuple):
    """One row for `enqueue_many`; a plain tuple `(kind, recipient, payload, key)` works too."""

    kind: str
    recipient: str
    payload: dict[str, Any]
    dedupe_key: str | None = None
