"""Reading a station file — CSV (UTF-8, with or without BOM) or GeoJSON — into validated stations.

Every row is checked and every bad row reported with its number and a Chinese reason, so the
person importing can fix the whole file in one go. Row numbers are what a person sees: in a CSV
the header is row 1 (as in a spreadsheet); in GeoJSON the first feature is row 1.

Columns (English or Chinese headers, see `_import_fields.ALIASES`): code, name, address, league,
county, lat, lng, coord, kind, build_mode, host_type, area_m2, opening_hours, services,
most_beautiful, smart_24h, phone, status.

Choices made here, on purpose:
- `coord` defaults to wgs84: GeoJSON is WGS-84 by definition (RFC 7946), and CSV follows the same
  rule so one file format never means two things. Coordinates copied from Amap/Tencent need
  `coord=gcj02`, from Baidu `coord=bd09`.
- A row without opening hours is refused rather than taken as 24/7 (sending a worker at night to
  a closed door is the failure this product exists to prevent) — except a 24-hour smart station,
  which is open around the clock by definition.
- `kind` must agree with `area_m2` as the notice defines it (standard ≥ 5 m², micro < 5 m²); an
  empty kind is derived from the area.
- Rows with an address and no coordinates are geocoded (see `_geocode`); rows that still have no
  position are reported, never guessed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from core.settings import Settings

from ._hours import HoursError, validate_hours
from ._import_fields import (
    BUILD_MODES,
    HEADER_FIELD,
    KINDS,
    LABELS,
    MAX_LEN,
    STANDARD_MIN_AREA_M2,
    STATUSES,
    as_text,
    choice,
    choice_bool,
    header_key,
    normalize_hours,
    parse_area,
    parse_position,
    parse_services,
)
from ._registry import StationInput

# A progress bar only for files big enough to make someone wait.
PROGRESS_MIN_ROWS = 2000
T = TypeVar("T")


@dataclass(slots=True)
class RowProblem:
    row: int  # as a person counts it in the file
    reason: str  # Chinese


@dataclass(slots=True)
class ImportResult:
    stations: list[StationInput]
    problems: list[RowProblem]


@dataclass(slots=True)
class _Pending:
    """A valid row that still needs a position from the geocoder."""

    row: int
    query: str
    fields: dict[str, Any]


@dataclass
class _Parsed:
    ready: list[tuple[int, StationInput]] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


async def read_station_file(
    path: Path, *, settings: Settings, progress: bool = False
) -> ImportResult:
    """Read and validate every row; geocode rows that have only an address."""
    parsed = await asyncio.to_thread(parse_station_file, path, progress=progress)
    if parsed.pending:
        # Imported here: only an import with address-only rows needs the geocoders.
        from ._geocode import geocode_addresses

        located = await geocode_addresses(
            (p.query for p in parsed.pending), settings=settings, progress=progress
        )
        for p in parsed.pending:
            answer = located[p.query]
            if answer.point is None:
                parsed.problems.append(RowProblem(p.row, answer.reason))
            else:
                item = StationInput(lat=answer.point.lat, lng=answer.point.lng, **p.fields)
                parsed.ready.append((p.row, item))
        parsed.ready.sort(key=lambda pair: pair[0])
        parsed.problems.sort(key=lambda problem: problem.row)
    return ImportResult([item for _, item in parsed.ready], parsed.problems)


def parse_station_file(path: Path, *, progress: bool = False) -> _Parsed:
    """Everything but geocoding (runs in a worker thread: a big file takes seconds)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reason = (
            "文件不是 UTF-8 编码，无法读取。用 Excel 请“另存为 → CSV UTF-8（逗号分隔）”后再导入"
        )
        return _Parsed(problems=[RowProblem(line, reason)])
    stripped = text.lstrip()
    if not stripped:
        return _Parsed(problems=[RowProblem(1, "文件是空的，没有驿站可导入")])
    reader = _RowReader()
    if path.suffix.lower() in (".geojson", ".json") or stripped[0] in "{[":
        reader.read_geojson(stripped, progress=progress)
    else:
        reader.read_csv(text, progress=progress)
    return reader.parsed


class _RowReader:
    def __init__(self) -> None:
        self.parsed = _Parsed()
        self._first_row_of: dict[str, int] = {}
        self._hours: dict[str, str | HoursError] = {}

    # --- files -----------------------------------------------------------------------------

    def read_csv(self, text: str, *, progress: bool) -> None:
        first_line = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
        records = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1)
        columns: list[str | None] | None = None
        lines = text.count("\n") + (not text.endswith("\n"))
        for row, record in _progress(records, lines, progress):
            if not "".join(record).strip():
                continue  # blank lines are still counted, as a spreadsheet would
            if columns is None:
                columns = self._header(row, record)
                if columns is None:
                    return
                continue
            extra = [cell for cell in record[len(columns) :] if cell.strip()]
            values = {
                name: cell.strip() for name, cell in zip(columns, record, strict=False) if name
            }
            self.add(row, values, extra_cells=len(extra))
        if columns is None:
            self.parsed.problems.append(RowProblem(1, "文件里没有表头，没有驿站可导入"))

    def _header(self, row: int, record: list[str]) -> list[str | None] | None:
        columns = [HEADER_FIELD.get(header_key(cell)) for cell in record]
        reasons = []
        for name in set(filter(None, columns)):
            same = [cell.strip() for cell, col in zip(record, columns, strict=True) if col == name]
            if len(same) > 1:
                reasons.append(f"表头里“{'”和“'.join(same)}”是同一列，只能保留一个")
        present = set(columns)
        for name in ("code", "name"):
            if name not in present:
                reasons.append(f"表头缺少“{LABELS[name]}（{name}）”列")
        if ("lat" in present) != ("lng" in present):
            reasons.append("表头里经度（lng）和纬度（lat）要同时有")
        elif "lat" not in present and "address" not in present:
            reasons.append("表头里既没有经纬度（lat、lng）也没有地址（address），无法定位驿站")
        if reasons:
            self.parsed.problems.append(RowProblem(row, "；".join(reasons)))
            return None
        return columns

    def read_geojson(self, text: str, *, progress: bool) -> None:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            reason = f"文件不是有效的 GeoJSON（第 {exc.lineno} 行第 {exc.colno} 列附近格式有误）"
            self.parsed.problems.append(RowProblem(1, reason))
            return
        if isinstance(document, dict) and document.get("type") == "Feature":
            features: Any = [document]
        elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
            features = document.get("features")
        else:
            features = None
        if not isinstance(features, list):
            reason = "GeoJSON 里应是一个 FeatureCollection（含 features 列表），没有找到驿站"
            self.parsed.problems.append(RowProblem(1, reason))
            return
        for row, feature in _progress(enumerate(features, 1), len(features), progress):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                self.parsed.problems.append(RowProblem(row, "这一项不是 GeoJSON 的 Feature"))
                continue
            properties = feature.get("properties") or {}
            values = {}
            for key, value in properties.items() if isinstance(properties, dict) else ():
                name = HEADER_FIELD.get(header_key(str(key)))
                if name and name not in values:
                    listed = name == "services" and isinstance(value, list)
                    values[name] = value if listed else as_text(value)
            geometry = feature.get("geometry")
            geometry_error = None
            if geometry is not None:
                coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
                if not isinstance(geometry, dict) or geometry.get("type") != "Point":
                    geometry_error = "只能导入点（Point）要素"
                elif not isinstance(coordinates, list) or len(coordinates) < 2:
                    geometry_error = "点的坐标应写成 [经度, 纬度]"
                else:
                    values["lng"], values["lat"] = as_text(coordinates[0]), as_text(coordinates[1])
            self.add(row, values, geometry_error=geometry_error)

    # --- one row ---------------------------------------------------------------------------

    def add(
        self,
        row: int,
        values: dict[str, Any],
        *,
        extra_cells: int = 0,
        geometry_error: str | None = None,
    ) -> None:
        """One row; `values` are stripped strings by field name (services may be a list)."""
        reasons: list[str] = []
        if extra_cells:
            reasons.append(f"这一行比表头多出 {extra_cells} 格，可能是地址等内容里有逗号却没加引号")
        if geometry_error:
            reasons.append(geometry_error)
        text = {name: values.get(name, "") for name in MAX_LEN}
        for name, limit in MAX_LEN.items():
            if len(text[name]) > limit:
                reasons.append(f"{LABELS[name]}太长（最多 {limit} 个字）")
        code, name = text["code"], text["name"]
        if not code:
            reasons.append("缺少编码（code）")
        elif code in self._first_row_of:
            reasons.append(f"编码 {code} 与第 {self._first_row_of[code]} 行重复")
        else:
            self._first_row_of[code] = row
        if not name:
            reasons.append("缺少名称（name）")
        before = len(reasons)
        position = parse_position(values, reasons)
        if position is None and len(reasons) == before and not text["address"]:
            reasons.append("没有经纬度，也没有地址，无法定位")
        most_beautiful = choice_bool(values.get("most_beautiful", ""), "最美驿站", reasons)
        smart_24h = choice_bool(values.get("smart_24h", ""), "24小时智能驿站", reasons)
        area = parse_area(values.get("area_m2", ""), reasons)
        kind = choice(
            values.get("kind", ""),
            KINDS,
            "类型",
            "standard 标准、micro 微型 或 mobile 流动",
            reasons,
        )
        if kind is None and area is not None:
            kind = "micro" if area < STANDARD_MIN_AREA_M2 else "standard"
        if kind == "standard" and area is not None and area < STANDARD_MIN_AREA_M2:
            reasons.append(f"标准驿站面积应不少于 5 平方米，这里是 {area:g}")
        elif kind == "micro" and area is not None and area >= STANDARD_MIN_AREA_M2:
            reasons.append(f"微型驿站面积应小于 5 平方米，这里是 {area:g}")
        build_mode = choice(
            values.get("build_mode", ""),
            BUILD_MODES,
            "建设方式",
            "self 自建 或 joint 共建",
            reasons,
        )
        status = choice(
            values.get("status", ""),
            STATUSES,
            "状态",
            "active 正常、suspended 暂停 或 revoked 撤销",
            reasons,
        )
        hours = self._opening_hours(text["opening_hours"], smart_24h, reasons)
        services = parse_services(values.get("services", ""), reasons)
        if reasons:
            self.parsed.problems.append(RowProblem(row, "；".join(reasons)))
            return
        fields: dict[str, Any] = {
            "code": code,
            "name": name,
            "address": text["address"],
            "league": text["league"],
            "county": text["county"],
            "kind": kind or "standard",
            "build_mode": build_mode or ("joint" if text["host_type"] else "self"),
            "host_type": text["host_type"],
            "area_m2": area,
            "opening_hours": hours,
            "services": services,
            "most_beautiful": most_beautiful,
            "smart_24h": smart_24h,
            "phone": text["phone"],
            "status": status or "active",
        }
        if position is None:
            prefix = "".join(
                p for p in (text["league"], text["county"]) if p not in text["address"]
            )
            self.parsed.pending.append(_Pending(row, prefix + text["address"], fields))
        else:
            self.parsed.ready.append(
                (row, StationInput(lat=position[0], lng=position[1], **fields))
            )

    def _opening_hours(self, raw: str, smart_24h: bool, reasons: list[str]) -> str:
        if not raw:
            if smart_24h:
                return "24/7"
            reasons.append("缺少开放时间（如 24/7 或 Mo-Fr 08:00-20:00）")
            return ""
        known = self._hours.get(raw)
        if known is None:
            try:
                known = validate_hours(normalize_hours(raw))
            except HoursError as exc:
                known = exc
            self._hours[raw] = known
        if isinstance(known, HoursError):
            reasons.append(str(known))
            return ""
        return known


def _progress(items: Iterable[T], total: int, enabled: bool) -> Iterator[T]:
    if not enabled or total < PROGRESS_MIN_ROWS:
        yield from items
        return
    with tqdm(total=total, desc="读取驿站", unit="行", file=sys.stderr, miniters=1000) as bar:
        for item in items:
            yield item
            bar.update()
        bar.total = bar.n  # quoted cells spanning lines make the line count an overestimate
