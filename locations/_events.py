"""Staff edits of one station (the console's form): reading the form as an import row, saving
it with a record of what changed, and each station's history (edits and status changes).

A form is read by the importer's own row reader (`_import._RowReader.add`), so a station typed
into the console passes exactly the checks of a file row; the console never validates fields
itself. Status changes keep going through `set_status` (history in `station_status_changes`);
`station_events` records who created or edited a station and which fields changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from core.db import Database

from ._import import _RowReader
from ._models import Station, StationStatus, StationStatusChange, utcnow
from ._registry import StationInput

# Fields a console edit may change (status goes through set_status, `synthetic` never).
_EDITABLE = tuple(
    f.name for f in fields(StationInput) if f.name not in ("code", "status", "synthetic")
)


class StationEvent(SQLModel, table=True):
    __tablename__ = "station_events"

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="stations.id", index=True)
    action: str = Field(max_length=16)  # created | edited
    actor: str = Field(default="", max_length=100)  # "staff:42"
    # field → [old, new] (created: field → [None, value])
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class StationEditError(ValueError):
    """A station edit that cannot be made; the message is Chinese, for the person."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    action: str  # created | edited | status
    actor: str
    changes: dict[str, Any]  # edits: field → [old, new]; status: {"status": [old, new]}
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StationPage:
    rows: list[Station]
    total: int


Areas = tuple[tuple[str, str], ...] | None  # (league, county or "" for all of it); None: all


def read_station_form(values: Mapping[str, Any]) -> StationInput | str:
    """The form's fields (import field names) as a validated station, or the reasons in Chinese."""
    reader = _RowReader()
    row = {
        name: value.strip() if isinstance(value, str) else value for name, value in values.items()
    }
    reader.add(1, row, row)
    if reader.parsed.problems:
        return reader.parsed.problems[0].reason
    if reader.parsed.pending:
        return "请填写经纬度（可以在地图上点选，或从高德地图复制坐标）"
    return reader.parsed.ready[0][1]


def in_areas(league: str, county: str, areas: Areas) -> bool:
    if areas is None:
        return True
    return any(league == lg and (not ct or county == ct) for lg, ct in areas)


def _area_filter(areas: Areas) -> Any:
    if areas is None:
        return None
    clauses = [
        (col(Station.league) == lg) & (col(Station.county) == ct)
        if ct
        else col(Station.league) == lg
        for lg, ct in areas
    ]
    return or_(*clauses) if clauses else col(Station.id) < 0


async def list_stations(
    db: Database,
    *,
    words: str = "",
    areas: Areas = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> StationPage:
    """Stations (of `status`, else all) whose name, address or code holds every word; newest
    first. Listed stations are found faster in the finder (`find_listed`); this is for the
    revoked ones, which only the database keeps."""
    where: list[Any] = [] if status is None else [col(Station.status) == status]
    for word in words.split()[:5]:
        like = f"%{word}%"
        where.append(
            or_(
                col(Station.name).like(like),
                col(Station.address).like(like),
                col(Station.code).like(like),
            )
        )
    area = _area_filter(areas)
    if area is not None:
        where.append(area)
    async with db.session() as session:
        total = (
            await session.execute(select(func.count()).select_from(Station).where(*where))
        ).scalar_one()
        rows = (
            await session.execute(
                select(Station)
                .where(*where)
                .order_by(col(Station.id).desc())
                .offset(offset)
                .limit(limit)
            )
        ).scalars()
        return StationPage(list(rows), int(total))


async def get_station(db: Database, station_id: int) -> Station | None:
    async with db.session() as session:
        return await session.get(Station, station_id)


def _same(name: str, old: Any, new: Any) -> bool:
    if name in ("lat", "lng"):  # a form round-trips through GCJ-02: millimetres are no edit
        return abs(float(old) - float(new)) < 2e-6
    return bool(_plain(old) == _plain(new))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


async def save_station(
    db: Database, item: StationInput, *, actor: str, station_id: int | None = None
) -> tuple[int, dict[str, Any]]:
    """Create (`station_id` None) or edit a station; (its id, field → [old, new]). A new code
    must be unused; an edit keeps the station's code; a revoked station is not edited."""
    async with db.transaction() as session:
        if station_id is None:
            return await _create(session, item, actor)
        row = await session.get(Station, station_id)
        if row is None:
            raise StationEditError("没有这个驿站。")
        if row.status == StationStatus.REVOKED:
            raise StationEditError("这个驿站已撤销，不能再修改；如要恢复，请用新的编码另建。")
        changes = {
            name: [_plain(getattr(row, name)), _plain(getattr(item, name))]
            for name in _EDITABLE
            if not _same(name, getattr(row, name), getattr(item, name))
        }
        if changes:
            for name, (_old, new) in changes.items():
                setattr(row, name, new)
            row.updated_at = utcnow()
            session.add(
                StationEvent(station_id=station_id, action="edited", actor=actor, changes=changes)
            )
        return station_id, changes


async def _create(
    session: AsyncSession, item: StationInput, actor: str
) -> tuple[int, dict[str, Any]]:
    taken = (
        await session.execute(select(col(Station.id)).where(col(Station.code) == item.code))
    ).scalar()
    if taken is not None:
        raise StationEditError(f"编码 {item.code} 已被另一个驿站使用，请换一个编码。")
    values = {name: _plain(getattr(item, name)) for name in (*_EDITABLE, "code")}
    row = Station(**values, status=StationStatus.ACTIVE)
    session.add(row)
    await session.flush()
    assert row.id is not None
    changes = {
        name: [None, value] for name, value in values.items() if value not in ("", None, [], False)
    }
    session.add(StationEvent(station_id=row.id, action="created", actor=actor, changes=changes))
    await session.execute(
        insert(StationStatusChange),
        [
            {
                "station_id": row.id,
                "old_status": None,
                "new_status": StationStatus.ACTIVE,
                "source": actor,
                "changed_at": utcnow(),
            }
        ],
    )
    return row.id, changes


async def station_history(db: Database, station_id: int) -> list[HistoryEntry]:
    """Edits and status changes of a station, oldest first."""
    async with db.session() as session:
        events = (
            await session.execute(
                select(StationEvent).where(col(StationEvent.station_id) == station_id)
            )
        ).scalars()
        statuses = (
            await session.execute(
                select(StationStatusChange).where(col(StationStatusChange.station_id) == station_id)
            )
        ).scalars()
        entries = [HistoryEntry(e.at, e.action, e.actor, e.changes) for e in events]
        entries += [
            HistoryEntry(
                s.changed_at,
                "status",
                s.source,
                {"status": [s.old_status, s.new_status]},
                s.reason,
            )
            for s in statuses
        ]
    return sorted(entries, key=lambda e: (e.at, e.action != "created"))
