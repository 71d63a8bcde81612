"""Reading a station file — CSV (UTF-8, GBK or GB18030), `.xlsx` or GeoJSON — into validated
stations.

Every row is checked and every problem of every row reported in one pass, naming the column as
the file names it and quoting the clerk's own cell, so the whole file can be fixed in one go.
Row numbers are what a person sees (see `_import_files`). The original cells of rejected rows
are kept, so they can be written back for fixing (`_import_apply.write_rejected`).

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
- Hours in Chinese are read by `_hours_zh` and the words kept as `opening_hours_text`; a file
  with both an OSM column and a words column (our own export) must have them agree.
- Services: codes, names and synonyms (`_services.SYNONYMS`); a few common amenities outside the
  catalogue (WiFi, 空调) and anything in the 其他设施 column are kept as extras; other unknown
  words are refused with the list of accepted names, since a typo must not vanish into extras.
- `kind` must agree with `area_m2` as the notice defines it (standard ≥ 5 m², micro < 5 m²); an
  empty kind is derived from the area.
- Rows with an address and no coordinates are geocoded (see `_geocode`); rows that still have no
  position are reported, never guessed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from core.settings import Settings

from ._hours import HoursError
from ._import_fields import (
    BUILD_MODES,
    HEADER_FIELD,
    IGNORED_HEADERS,
    KINDS,
    LABELS,
    MAX_LEN,
    STANDARD_MIN_AREA_M2,
    STATUSES,
    as_text,
    choice,
    choice_bool,
    header_key,
    parse_area,
    parse_position,
    parse_services,
    read_hours,
    split_coordinates,
)
from ._import_files import FileReadError, read_table
from ._registry import StationInput

# A progress bar only for files big enough to make someone wait.
PROGRESS_MIN_ROWS = 2000
T = TypeVar("T")


@dataclass(slots=True)
class RowProblem:
    row: int  # as a person counts it in the file
    reason: str  # Chinese: every problem of the row, each naming its column


@dataclass(slots=True)
class ImportResult:
    stations: list[StationInput]
    problems: list[RowProblem]
    notes: list[str] = field(default_factory=list)  # about the file, not a row (unused columns)
    kind: str = "csv"  # "csv", "xlsx" or "geojson": rejected rows are written back the same way
    header: list[str] = field(default_factory=list)
    originals: dict[int, Any] = field(default_factory=dict)  # row → its cells (or feature), if bad


@dataclass(slots=True)
class _Pending:
    """A valid row that still needs a position from the geocoder."""

    row: int
    query: str
    fields: dict[str, Any]
    original: Any


@dataclass
class _Parsed:
    ready: list[tuple[int, StationInput]] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str = "csv"
    header: list[str] = field(default_factory=list)
    originals: dict[int, Any] = field(default_factory=dict)


async def read_station_file(
    path: Path, *, settings: Settings, progress: bool = False, sheet: str | None = None
) -> ImportResult:
    """Read and validate every row; geocode rows that have only an address."""
    parsed = await asyncio.to_thread(parse_station_file, path, progress=progress, sheet=sheet)
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
                parsed.originals[p.row] = p.original
            else:
                item = StationInput(lat=answer.point.lat, lng=answer.point.lng, **p.fields)
                parsed.ready.append((p.row, item))
        parsed.ready.sort(key=lambda pair: pair[0])
        parsed.problems.sort(key=lambda problem: problem.row)
    return ImportResult(
        [item for _, item in parsed.ready],
        parsed.problems,
        parsed.notes,
        parsed.kind,
        parsed.header,
        parsed.originals,
    )


def parse_station_file(path: Path, *, progress: bool = False, sheet: str | None = None) -> _Parsed:
    """Everything but geocoding (runs in a worker thread: a big file takes seconds)."""
    reader = _RowReader()
    try:
        table = read_table(path, sheet=sheet)
        reader.parsed.kind = table.kind
        if table.kind == "geojson":
            reader.read_geojson(table.features, progress=progress)
        else:
            reader.read_rows(table.header, table.rows, table.total, progress=progress)
    except FileReadError as exc:
        reader.parsed.problems.append(RowProblem(exc.row, exc.reason))
    return reader.parsed


class _RowReader:
    def __init__(self) -> None:
        self.parsed = _Parsed()
        self._first_row_of: dict[str, int] = {}
        self._label: dict[str, str] = {}  # field → its header as the file writes it

    def label(self, name: str) -> str:
        """The column as the file names it; the Chinese label when the file uses our field name."""
        header = self._label.get(name, name)
        return LABELS.get(name, name) if header == name else header

    # --- files -----------------------------------------------------------------------------

    def read_rows(
        self,
        header: list[str],
        records: Iterator[tuple[int, list[str]]],
        total: int,
        *,
        progress: bool,
    ) -> None:
        columns = self._header(header)
        self.parsed.header = header
        if columns is None:
            return
        for row, record in _progress(records, total, progress, done=1):  # the header
            if not "".join(record).strip():
                continue  # blank lines are still counted, as a spreadsheet would
            extra = [cell for cell in record[len(columns) :] if cell.strip()]
            values = {
                name: cell.strip() for name, cell in zip(columns, record, strict=False) if name
            }
            self.add(row, values, record, extra_cells=len(extra))

    def _header(self, record: list[str]) -> list[str | None] | None:
        columns = [HEADER_FIELD.get(header_key(cell)) for cell in record]
        for cell, name in zip(record, columns, strict=True):
            if name and name not in self._label:
                self._label[name] = cell.strip().lstrip("\ufeff")
        reasons = []
        for name in set(filter(None, columns)):
            same = [cell.strip() for cell, col in zip(record, columns, strict=True) if col == name]
            if len(same) > 1:
                reasons.append(f"表头里“{'”和“'.join(same)}”是同一列，只能保留一个")
        present = set(columns)
        for name in ("code", "name"):
            if name not in present:
                reasons.append(f"表头缺少“{LABELS[name]}（{name}）”列")
        if "coordinates" in present:
            present |= {"lat", "lng"}
        if ("lat" in present) != ("lng" in present):
            reasons.append("表头里经度（lng）和纬度（lat）要同时有")
        elif "lat" not in present and "address" not in present:
            reasons.append("表头里既没有经纬度（lat、lng）也没有地址（address），无法定位驿站")
        if reasons:
            self.parsed.problems.append(RowProblem(1, "；".join(reasons)))
            return None
        unused = [
            cell.strip()
            for cell, name in zip(record, columns, strict=True)
            if name is None and cell.strip() and header_key(cell) not in IGNORED_HEADERS
        ]
        if unused:
            self.parsed.notes.append(f"这些列没有导入：{'、'.join(unused)}")
        return columns

    def read_geojson(self, features: list[Any], *, progress: bool) -> None:
        for row, feature in _progress(enumerate(features, 1), len(features), progress):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                self.parsed.problems.append(RowProblem(row, "这一项不是 GeoJSON 的 Feature"))
                self.parsed.originals[row] = feature
                continue
            properties = feature.get("properties") or {}
            values = {}
            for key, value in properties.items() if isinstance(properties, dict) else ():
                name = HEADER_FIELD.get(header_key(str(key)))
                if name and name not in values:
                    self._label.setdefault(name, str(key))
                    listed = name in ("services", "extras") and isinstance(value, list)
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
            self.add(row, values, feature, geometry_error=geometry_error)

    # --- one row ---------------------------------------------------------------------------

    def add(
        self,
        row: int,
        values: dict[str, Any],
        original: Any,
        *,
        extra_cells: int = 0,
        geometry_error: str | None = None,
    ) -> None:
        """One row; `values` are stripped strings by field name (services may be a list)."""
        reasons: list[str] = []
        label = self.label
        if extra_cells:
            reasons.append(f"这一行比表头多出 {extra_cells} 格，可能是地址等内容里有逗号却没加引号")
        if geometry_error:
            reasons.append(geometry_error)
        text = {name: values.get(name, "") for name in MAX_LEN}
        for name, limit in MAX_LEN.items():
            if len(text[name]) > limit:
                reasons.append(f"{label(name)}太长（最多 {limit} 个字）")
        code, name = text["code"], text["name"]
        if not code:
            reasons.append(f"缺少{label('code')}")
        elif code in self._first_row_of:
            reasons.append(f"{label('code')} {code} 与第 {self._first_row_of[code]} 行重复")
        else:
            self._first_row_of[code] = row
        if not name:
            reasons.append(f"缺少{label('name')}")
        if values.get("coordinates") and not (values.get("lat") or values.get("lng")):
            split_coordinates(values, reasons, label("coordinates"))
        before = len(reasons)
        position = parse_position(values, reasons, label)
        if position is None and len(reasons) == before and not text["address"]:
            reasons.append("没有经纬度，也没有地址，无法定位")
        most_beautiful = choice_bool(
            values.get("most_beautiful", ""), label("most_beautiful"), reasons
        )
        smart_24h = choice_bool(values.get("smart_24h", ""), label("smart_24h"), reasons)
        area = parse_area(values.get("area_m2", ""), reasons, label("area_m2"))
        kind = choice(
            values.get("kind", ""),
            KINDS,
            label("kind"),
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
            label("build_mode"),
            "self 自建 或 joint 共建",
            reasons,
        )
        status = choice(
            values.get("status", ""),
            STATUSES,
            label("status"),
            "active 正常、suspended 暂停 或 revoked 撤销",
            reasons,
        )
        hours, words = self._opening_hours(
            text["opening_hours"], values.get("opening_hours_text", ""), smart_24h, reasons
        )
        services, extras = parse_services(
            values.get("services", ""), values.get("extras", ""), reasons, label
        )
        if reasons:
            self.parsed.problems.append(RowProblem(row, "；".join(reasons)))
            self.parsed.originals[row] = original
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
            "opening_hours_text": words,
            "services": services,
            "extras": extras,
            "most_beautiful": most_beautiful,
            "smart_24h": smart_24h,
            "phone": text["phone"],
            "status": status or "active",
        }
        if position is None:
            prefix = "".join(
                p for p in (text["league"], text["county"]) if p not in text["address"]
            )
            self.parsed.pending.append(_Pending(row, prefix + text["address"], fields, original))
        else:
            self.parsed.ready.append(
                (row, StationInput(lat=position[0], lng=position[1], **fields))
            )

    def _opening_hours(
        self, raw: str, words: str, smart_24h: bool, reasons: list[str]
    ) -> tuple[str, str]:
        """(OSM expression, the union's words); see the module docstring."""
        if not raw and not words:
            if smart_24h:
                return "24/7", ""
            example = "如 周一至周五 8:00-18:00、每天 24小时 或 Mo-Fr 08:00-20:00"
            reasons.append(f"缺少{self.label('opening_hours')}（{example}）")
            return "", ""
        try:
            hours, said = read_hours(raw or words)
        except HoursError as exc:
            reasons.append(self._named(str(exc), "opening_hours" if raw else "opening_hours_text"))
            return "", ""
        if raw and words:
            try:
                from_words, _ = read_hours(words)
            except HoursError:
                return hours, words  # free words ("先打电话") beside a readable expression
            if from_words != hours:
                reasons.append(
                    f"{self.label('opening_hours')}“{raw}”和{self.label('opening_hours_text')}"
                    f"“{words}”说的不一样，请改成一致，或清空其中一栏"
                )
            return hours, words
        return hours, said

    def _named(self, message: str, name: str) -> str:
        """An hours message names the column as the file does (营业时间, 服务时间, …)."""
        for generic in ("开放时间", "营业时间"):
            if message.startswith(generic):
                return self.label(name) + message[len(generic) :]
        return message


def _progress(items: Iterable[T], total: int, enabled: bool, done: int = 0) -> Iterator[T]:
    if not enabled or total < PROGRESS_MIN_ROWS:
        yield from items
        return
    with tqdm(
        total=total, initial=done, desc="读取驿站", unit="行", file=sys.stderr, miniters=1000
    ) as bar:
        for item in items:
            yield item
            bar.update()
        bar.total = bar.n  # quoted cells spanning lines make the line count an overestimate
