"""Writing stations: bulk upsert by `code` (imports, demo) and status changes with history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.db import Database

from ._models import Station, StationStatus, StationStatusChange, utcnow

_CHUNK = 2000


@dataclass(slots=True)
class StationInput:
    """A validated station as it comes from an import or the demo; position in WGS-84."""

    code: str
    name: str
    lat: float
    lng: float
    address: str = ""
    league: str = ""
    county: str = ""
    kind: str = "standard"
    build_mode: str = "self"
    host_type: str = ""
    area_m2: float | None = None
    opening_hours: str = "24/7"
    services: list[str] = field(default_factory=list)
    opening_hours_text: str = ""
    extras: list[str] = field(default_factory=list)
    most_beautiful: bool = False
    smart_24h: bool = False
    phone: str = ""
    status: str = StationStatus.ACTIVE
    synthetic: bool = False
    hours_known: bool = True  # False: no hours given (opening_hours is then "")
    geocoded_by: str = ""  # the geocoder that placed it at import, if one did
    geocode_level: str = ""  # the precision that geocoder claimed
    owner_union: str = ""  # 所属工会


_INPUT_FIELDS = tuple(f.name for f in fields(StationInput))


@dataclass(slots=True)
class UpsertSummary:
    created: int = 0
    updated: int = 0
    status_changes: int = 0


async def upsert_stations(
    db: Database, stations: Sequence[StationInput], *, source: str
) -> UpsertSummary:
    """Create new codes, update known ones in place; all in one transaction."""
    summary = UpsertSummary()
    async with db.transaction() as session:
        known: dict[str, tuple[int, str]] = {
            code: (sid or 0, status)
            for sid, code, status in (
                await session.execute(
                    select(col(Station.id), col(Station.code), col(Station.status))
                )
            ).all()
        }
        now = utcnow()
        for start in range(0, len(stations), _CHUNK):
            chunk = stations[start : start + _CHUNK]
            new_rows: list[dict[str, Any]] = []
            changed_rows: list[dict[str, Any]] = []
            history: list[tuple[int, str | None, str]] = []
            for item in chunk:
                # Shallow on purpose: dataclasses.asdict deep-copies every services list, which
                # was over half the upsert time of a 200,000-row import.
                values = {name: getattr(item, name) for name in _INPUT_FIELDS}
                if item.code in known:
                    sid, old_status = known[item.code]
                    if old_status == StationStatus.REVOKED:
                        values["status"] = StationStatus.REVOKED  # revocation is final
                    changed_rows.append({"id": sid, **values, "updated_at": now})
                    if old_status != values["status"]:
                        history.append((sid, old_status, values["status"]))
                else:
                    new_rows.append({**values, "created_at": now, "updated_at": now})
            if new_rows:
                created = await session.execute(
                    insert(Station).returning(
                        col(Station.id), col(Station.code), col(Station.status)
                    ),
                    new_rows,
                )
                for new_id, code, status in created.all():
                    known[code] = (new_id or 0, status)
                    history.append((new_id or 0, None, status))
            if changed_rows:
                await session.execute(update(Station), changed_rows)
            await _record_history(session, history, source=source)
            summary.created += len(new_rows)
            summary.updated += len(changed_rows)
            summary.status_changes += sum(1 for h in history if h[1] is not None)
    return summary


async def set_status(
    db: Database, code: str, status: StationStatus, *, reason: str, source: str
) -> bool:
    """Suspend, revoke or reactivate one station. False when the code is unknown or a revoked
    station would come back (revocation is final; import it under a new code instead)."""
    async with db.transaction() as session:
        row = (
            await session.execute(select(Station).where(col(Station.code) == code))
        ).scalar_one_or_none()
        if row is None or row.status == StationStatus.REVOKED:
            return False
        if row.status != status:
            await _record_history(
                session, [(row.id or 0, row.status, status)], source=source, reason=reason
            )
            row.status = status
            row.updated_at = utcnow()
    return True


async def status_history(db: Database, code: str) -> list[StationStatusChange]:
    async with db.session() as session:
        rows = await session.execute(
            select(StationStatusChange)
            .join(Station, col(Station.id) == col(StationStatusChange.station_id))
            .where(col(Station.code) == code)
            .order_by(col(StationStatusChange.id))
        )
        return list(rows.scalars())


async def _record_history(
    session: AsyncSession,
    changes: list[tuple[int, str | None, str]],
    *,
    source: str,
    reason: str = "",
) -> None:
    if not changes:
        return
    now = utcnow()
    await session.execute(
        insert(StationStatusChange),
        [
            {
                "station_id": sid,
                "old_status": old,
                "new_status": new,
                "reason": reason,
                "source": source[:100],
                "changed_at": now,
            }
            for sid, old, new in changes
        ],
    )
