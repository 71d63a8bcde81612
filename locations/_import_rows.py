"""Reading the rows of a station file into validated stations (see `_import` for the rules).

`RowReader` checks one row at a time and collects every problem of every row, naming the column
as the file names it and quoting the clerk's own cell. Rows with an address and no coordinates
are set aside (`Pending`) for the geocoder.
"""

from __future__ import annotations

import hashlib
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tqdm import tqdm

from ._geocode_lookup import Lookup
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
from ._registry import StationInput

# A progress bar only for files big enough to make someone wait.
PROGRESS_MIN_ROWS = 2000
T = TypeVar("T")


@dataclass(slots=True)
class RowProblem:
    row: int  # as a person counts it in the file
    reason: str  # Chinese: every problem of the row, each naming its column


@dataclass(slots=True)
class Pending:
    """A valid row that still needs a position from the geocoder."""

    row: int
    lookup: Lookup
    fields: dict[str, Any]
    original: Any


@dataclass
class Parsed:
    ready: list[tuple[int, StationInput]] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str = "csv"
    header: list[str] = field(default_factory=list)
    originals: dict[int, Any] = field(default_factory=dict)


def derived_code(name: str, address: str) -> str:
    """A stable code for a list without 编码: the same name and address always give the same
    code (spaces, full-width forms and case do not count), so importing the list again updates
    its stations instead of adding them twice."""
    key = "|".join(
        unicodedata.normalize("NFKC", t).replace(" ", "").lower() for t in (name, address)
    )
    return "ZD" + hashlib.sha1(key.encode()).hexdigest()[:14].upper()


class RowReader:
    def __init__(self) -> None:
        self.parsed = Parsed()
        self._first_row_of: dict[str, int] = {}
        self._label: dict[str, str] = {}  # field → its header as the file writes it
        self._derive_codes = False  # the file has no code column: codes from name + address

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
        if "name" not in present:
            reasons.append(f"表头缺少“{LABELS['name']}（name）”列")
        self._derive_codes = "code" not in present
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
        self._derive_codes = True  # a feature without a code gets one from name + address
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
        if not code and self._derive_codes and name:
            code = derived_code(name, text["address"])  # the list has no 编码 column
            if code in self._first_row_of:
                reasons.append(
                    f"与第 {self._first_row_of[code]} 行的{label('name')}和{label('address')}"
                    "完全相同，是不是重复了？"
                )
            else:
                self._first_row_of[code] = row
        elif not code:
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
        hours, words, hours_known = self._opening_hours(
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
            "hours_known": hours_known,
            "owner_union": text["owner_union"],
        }
        if position is None:
            lookup = Lookup(text["address"], text["league"], text["county"])
            self.parsed.pending.append(Pending(row, lookup, fields, original))
        else:
            # A position geocoded earlier (our own export) keeps its mark.
            fields["geocoded_by"] = text["geocoded_by"]
            fields["geocode_level"] = text["geocode_level"] if text["geocoded_by"] else ""
            self.parsed.ready.append(
                (row, StationInput(lat=position[0], lng=position[1], **fields))
            )

    def _opening_hours(
        self, raw: str, words: str, smart_24h: bool, reasons: list[str]
    ) -> tuple[str, str, bool]:
        """(OSM expression, the union's words, whether the hours are known); see `_import`."""
        if not raw and not words:
            if smart_24h:
                return "24/7", "", True
            return "", "", False  # listed, shown as 开放时间未确认, never as open
        try:
            hours, said = read_hours(raw or words)
        except HoursError as exc:
            reasons.append(self._named(str(exc), "opening_hours" if raw else "opening_hours_text"))
            return "", "", False
        if raw and words:
            try:
                from_words, _ = read_hours(words)
            except HoursError:
                return hours, words, True  # free words ("先打电话") beside a readable expression
            if from_words != hours:
                reasons.append(
                    f"{self.label('opening_hours')}“{raw}”和{self.label('opening_hours_text')}"
                    f"“{words}”说的不一样，请改成一致，或清空其中一栏"
                )
            return hours, words, True
        return hours, said, True

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
