"""What an import changes, and doing it: the dry-run plan, the rejected-rows file, `--sync`, export.

Kept apart from the command so that any surface (the CLI, a staff upload later) gets the same
behaviour by calling these with a `Database` and plain values; the command only prints.

`--sync` scope: a full list from a union covers its own leagues (盟市), not the whole registry, so
only active stations of the leagues that appear in the file are suspended when missing from it;
a county's list can never switch off another city's stations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database

from ._import import ImportResult
from ._import_files import REASON_HEADER, write_features, write_table
from ._models import Station, StationStatus
from ._registry import StationInput, UpsertSummary, set_status, upsert_stations
from ._services import BY_CODE

_COMPARED = tuple(f.name for f in fields(StationInput) if f.name not in ("code", "synthetic"))
_SHOWN = 10  # codes listed per kind of change; the counts say the rest


@dataclass(slots=True)
class ImportPlan:
    """Codes by what an import would do to them."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (code, name), active, not listed


@dataclass(slots=True)
class ImportOutcome:
    plan: ImportPlan
    written: UpsertSummary | None = None  # None: nothing written (dry run or a file with errors)
    suspended: list[str] = field(default_factory=list)
    rejected_file: Path | None = None


async def plan_import(session: AsyncSession, stations: list[StationInput]) -> ImportPlan:
    plan = ImportPlan()
    by_code = {s.code: s for s in stations}
    leagues = {s.league for s in stations}
    rows = (await session.execute(select(Station))).scalars()
    known: dict[str, Station] = {}
    for row in rows:
        known[row.code] = row
        if row.code not in by_code and row.status == StationStatus.ACTIVE and row.league in leagues:
            plan.missing.append((row.code, row.name))
    for item in stations:
        row_or_none = known.get(item.code)
        if row_or_none is None:
            plan.new.append(item.code)
        elif _differs(row_or_none, item):
            plan.updated.append(item.code)
        else:
            plan.unchanged.append(item.code)
    return plan


def _differs(row: Station, item: StationInput) -> bool:
    for name in _COMPARED:
        new = getattr(item, name)
        if name == "status" and row.status == StationStatus.REVOKED:
            new = StationStatus.REVOKED  # revocation is final: importing does not undo it
        if getattr(row, name) != new:
            return True
    return False


async def import_stations(
    db: Database,
    result: ImportResult,
    source_file: Path,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    sync: bool = False,
) -> ImportOutcome:
    """Plan, and unless told not to (or the file has errors), write; see the module docstring."""
    async with db.session() as session:
        plan = await plan_import(session, result.stations)
    outcome = ImportOutcome(plan)
    if result.problems and skip_invalid and not dry_run:
        outcome.rejected_file = write_rejected(result, source_file)
    if dry_run or (result.problems and not skip_invalid):
        return outcome
    source = f"import:{source_file.name}"
    outcome.written = await upsert_stations(db, result.stations, source=source)
    if sync:
        reason = f"全量导入 {source_file.name} 时名单里没有这个驿站"
        for code, _name in plan.missing:
            if await set_status(db, code, StationStatus.SUSPENDED, reason=reason, source=source):
                outcome.suspended.append(code)
    return outcome


def rejected_path(source_file: Path) -> Path:
    return source_file.with_name(f"{source_file.stem}_未导入{source_file.suffix}")


def write_rejected(result: ImportResult, source_file: Path) -> Path | None:
    """The bad rows as the clerk wrote them, plus 错误原因, in the file's own format, beside it:
    fix them there and import that file again (its 错误原因 column is ignored on import)."""
    reasons: dict[int, list[str]] = {}
    for problem in result.problems:
        if problem.row in result.originals:
            reasons.setdefault(problem.row, []).append(problem.reason)
    if not reasons:
        return None
    path = rejected_path(source_file)
    if result.kind == "geojson":
        features = []
        for row, why in reasons.items():
            feature = result.originals[row]
            if isinstance(feature, dict):
                properties = dict(feature.get("properties") or {})
                properties[REASON_HEADER] = "；".join(why)
                feature = {**feature, "properties": properties}
            features.append(feature)
        write_features(path, features)
        return path
    header = list(result.header)
    at = header.index(REASON_HEADER) if REASON_HEADER in header else len(header)
    if at == len(header):
        header.append(REASON_HEADER)
    rows = []
    for row, why in reasons.items():
        cells = list(result.originals[row]) + [""] * (len(header) - len(result.originals[row]))
        cells[at] = "；".join(why)
        rows.append(cells)
    write_table(path, header, rows)
    return path


def outcome_lines(outcome: ImportOutcome, *, dry_run: bool, sync: bool) -> list[str]:
    """What the clerk is told, in Chinese (errors are printed by the caller, row by row)."""
    plan = outcome.plan
    lines = []
    counts = f"新增 {len(plan.new)} 个，更新 {len(plan.updated)} 个，不变 {len(plan.unchanged)} 个"
    if dry_run:
        lines.append(
            f"试导入，没有写入任何数据：将{counts}，将暂停 {len(plan.missing) if sync else 0} 个。"
        )
        for label, codes in (("新增", plan.new), ("更新", plan.updated)):
            if codes:
                lines.append(f"{label}：{_listed(codes)}")
    if plan.missing:
        listed = _listed([f"{name}（{code}）" for code, name in plan.missing])
        if sync and outcome.written is not None:
            lines.append(f"名单里没有、已暂停 {len(outcome.suspended)} 个：{listed}")
        elif sync:
            lines.append(f"名单里没有、将暂停 {len(plan.missing)} 个：{listed}")
        else:
            lines.append(
                f"这 {len(plan.missing)} 个驿站不在这份名单里，仍保持开放：{listed}。"
                "如果它们已不再服务，请加 --sync 再导入一次，会暂停它们并记下原因。"
            )
    return lines


def _listed(items: list[str]) -> str:
    more = f" 等 {len(items)} 个" if len(items) > _SHOWN else ""
    return "、".join(items[:_SHOWN]) + more


# --- export -----------------------------------------------------------------------------------

EXPORT_HEADER = (
    "编码",
    "名称",
    "地址",
    "盟市",
    "旗县区",
    "纬度",
    "经度",
    "坐标系",
    "类型",
    "建设方式",
    "共建单位类型",
    "面积",
    "开放时间",
    "开放时间原文",
    "服务项目",
    "其他设施",
    "最美驿站",
    "24小时智能驿站",
    "电话",
    "状态",
    "所属工会",
    "开放时间已确认",
    "定位来源",
    "定位精度",
)


async def export_stations(db: Database, path: Path) -> int:
    """Every station (suspended and revoked too, with their status) to a `.csv`, `.xlsx` or
    `.geojson` that `yizhan stations import` reads back unchanged. Positions in WGS-84."""
    async with db.session() as session:
        stations = list((await session.execute(select(Station).order_by(Station.code))).scalars())
    if path.suffix.lower() in (".geojson", ".json"):
        write_features(path, [_feature(s) for s in stations])
    else:
        sheet = path.suffix.lower() in (".xlsx", ".xlsm")
        write_table(path, EXPORT_HEADER, [_export_row(s, sheet=sheet) for s in stations])
    return len(stations)


def _export_row(s: Station, *, sheet: bool) -> list[Any]:
    def number(value: float | None) -> Any:
        if value is None:
            return ""
        return value if sheet else repr(value)

    return [
        s.code,
        s.name,
        s.address,
        s.league,
        s.county,
        number(s.lat),
        number(s.lng),
        "wgs84",
        s.kind,
        s.build_mode,
        s.host_type,
        number(s.area_m2),
        s.opening_hours,
        s.opening_hours_text,
        "、".join(BY_CODE[c].label for c in s.services),
        "、".join(s.extras),
        "是" if s.most_beautiful else "否",
        "是" if s.smart_24h else "否",
        s.phone,
        s.status,
        s.owner_union,
        "是" if s.hours_known else "否",
        s.geocoded_by,
        s.geocode_level,
    ]


def _feature(s: Station) -> dict[str, Any]:
    properties = {
        name: getattr(s, name)
        for name in (
            "code",
            "name",
            "address",
            "league",
            "county",
            "kind",
            "build_mode",
            "host_type",
            "area_m2",
            "opening_hours",
            "opening_hours_text",
            "services",
            "extras",
            "most_beautiful",
            "smart_24h",
            "phone",
            "status",
            "owner_union",
            "hours_known",
            "geocoded_by",
            "geocode_level",
        )
    }
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [s.lng, s.lat]},
        "properties": {**properties, "coord": "wgs84"},
    }
