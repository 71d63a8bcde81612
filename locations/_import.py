"""Reading a station file — CSV (UTF-8, with or without BOM) or GeoJSON — into validated stations.

Every row is checked and every bad row reported with its number and a Chinese reason, so the
person importing can fix the whole file in one go. Row numbers are what a person sees: in a CSV
the header is row 1 (as in a spreadsheet); in GeoJSON the first feature is row 1.

Columns (English or Chinese headers, see `_ALIASES`): code, name, address, league, county, lat,
lng, coord, kind, build_mode, host_type, area_m2, opening_hours, services, most_beautiful,
smart_24h, phone, status.

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
import math
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tqdm import tqdm

from core.settings import Settings

from ._coords import CoordSystem, out_of_china, to_wgs84
from ._geocode import geocode_addresses
from ._hours import HoursError, validate_hours
from ._registry import StationInput
from ._services import service_code

# A progress bar only for files big enough to make someone wait.
PROGRESS_MIN_ROWS = 2000
MAX_AREA_M2 = 10_000.0
STANDARD_MIN_AREA_M2 = 5.0

_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("编码", "编号", "驿站编码", "驿站编号", "站点编码"),
    "name": ("名称", "驿站名称", "站点名称"),
    "address": ("地址", "详细地址", "驿站地址"),
    "league": ("盟市", "盟/市", "所属盟市", "city"),
    "county": ("旗县区", "旗县", "区县", "旗县（市、区）", "所属旗县区", "district"),
    "lat": ("纬度", "latitude"),
    "lng": ("经度", "longitude", "lon", "long"),
    "coord": ("坐标系", "crs", "coord_system"),
    "kind": ("类型", "驿站类型"),
    "build_mode": ("建设方式", "建设模式"),
    "host_type": ("共建单位类型", "依托单位类型", "共建单位", "host"),
    "area_m2": ("面积", "使用面积", "面积㎡", "面积m2", "面积m²", "area"),
    "opening_hours": ("开放时间", "营业时间", "服务时间", "hours"),
    "services": ("服务项目", "服务", "服务内容"),
    "most_beautiful": ("最美驿站", "是否最美驿站"),
    "smart_24h": ("24小时智能驿站", "24小时无人值守智能化驿站", "智能驿站", "是否24小时智能驿站"),
    "phone": ("电话", "联系电话", "telephone"),
    "status": ("状态", "驿站状态"),
}
# Chinese labels in messages, and the longest text a column takes (the table's limits).
_LABELS = {"code": "编码", "name": "名称", "address": "地址", "league": "盟市", "county": "旗县区",
           "lat": "纬度", "lng": "经度", "host_type": "共建单位类型", "phone": "电话",
           "opening_hours": "开放时间"}
_MAX_LEN = {"code": 64, "name": 200, "address": 500, "league": 50, "county": 50,
            "host_type": 50, "phone": 40, "opening_hours": 500}

_KINDS = {"standard": "standard", "标准": "standard", "标准驿站": "standard",
          "micro": "micro", "微型": "micro", "微型驿站": "micro",
          "mobile": "mobile", "流动": "mobile", "流动驿站": "mobile"}
_BUILD_MODES = {"self": "self", "自建": "self", "joint": "joint", "共建": "joint", "联建": "joint"}
_STATUSES = {"active": "active", "正常": "active", "启用": "active", "运行": "active",
             "suspended": "suspended", "暂停": "suspended", "停用": "suspended",
             "revoked": "revoked", "撤销": "revoked", "撤除": "revoked"}
_COORDS = {"wgs84": CoordSystem.WGS84, "gps": CoordSystem.WGS84,
           "gcj02": CoordSystem.GCJ02, "gcj02ll": CoordSystem.GCJ02, "国测局": CoordSystem.GCJ02,
           "高德": CoordSystem.GCJ02, "腾讯": CoordSystem.GCJ02,
           "bd09": CoordSystem.BD09, "bd09ll": CoordSystem.BD09, "百度": CoordSystem.BD09}
_TRUE = frozenset({"true", "1", "是", "yes", "y", "t", "√"})
_FALSE = frozenset({"false", "0", "否", "no", "n", "f", ""})
_SERVICE_SPLIT = re.compile(r"[;；、,，\s]+")
_HOURS_FIX = str.maketrans({"：": ":", "；": ";", "，": ",", "－": "-", "—": "-", "–": "-",
                            "～": "-", "~": "-", "至": "-", "　": " "})
_ALWAYS = frozenset({"24小时", "全天", "全天24小时", "24h", "0-24", "00:00-24:00"})
_AREA_UNITS = re.compile(r"\s*(㎡|m²|m2|平方米|平米)\s*$", re.IGNORECASE)


def _key(header: str) -> str:
    """Headers compared without case, spaces, '*' (required marks), '_' or '-'."""
    return re.sub(r"[\s*_\-\ufeff]", "", header).lower()


_HEADER_FIELD: dict[str, str] = {
    _key(alias): name for name, aliases in _ALIASES.items() for alias in (name, *aliases)
}


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
        reason = ("文件不是 UTF-8 编码，无法读取。用 Excel 请“另存为 → CSV UTF-8（逗号分隔）”"
                  "后再导入")
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
        for row, record in _progress(records, text.count("\n") + 1, progress):
            if not "".join(record).strip():
                continue  # blank lines are still counted, as a spreadsheet would
            if columns is None:
                columns = self._header(row, record)
                if columns is None:
                    return
                continue
            extra = [cell for cell in record[len(columns):] if cell.strip()]
            values = {name: cell.strip() for name, cell in zip(columns, record, strict=False) if name}
            self.add(row, values, extra_cells=len(extra))
        if columns is None:
            self.parsed.problems.append(RowProblem(1, "文件里没有表头，没有驿站可导入"))

    def _header(self, row: int, record: list[str]) -> list[str | None] | None:
        columns = [_HEADER_FIELD.get(_key(cell)) for cell in record]
        reasons = []
        for name in set(filter(None, columns)):
            same = [cell.strip() for cell, col in zip(record, columns, strict=True) if col == name]
            if len(same) > 1:
                reasons.append(f"表头里“{'”和“'.join(same)}”是同一列，只能保留一个")
        present = set(columns)
        for name in ("code", "name"):
            if name not in present:
                reasons.append(f"表头缺少“{_LABELS[name]}（{name}）”列")
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
                name = _HEADER_FIELD.get(_key(str(key)))
                if name and name not in values:
                    values[name] = value if isinstance(value, list) else _text(value)
            geometry = feature.get("geometry")
            geometry_error = None
            if geometry is not None:
                coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
                if not isinstance(geometry, dict) or geometry.get("type") != "Point":
                    geometry_error = "只能导入点（Point）要素"
                elif not isinstance(coordinates, list) or len(coordinates) < 2:
                    geometry_error = "点的坐标应写成 [经度, 纬度]"
                else:
                    values["lng"], values["lat"] = _text(coordinates[0]), _text(coordinates[1])
            self.add(row, values, geometry_error=geometry_error)

    # --- one row ---------------------------------------------------------------------------

    def add(
        self, row: int, values: dict[str, Any], *, extra_cells: int = 0,
        geometry_error: str | None = None,
    ) -> None:
        """One row; `values` are stripped strings by field name (services may be a list)."""
        reasons: list[str] = []
        if extra_cells:
            reasons.append(f"这一行比表头多出 {extra_cells} 格，可能是地址等内容里有逗号却没加引号")
        if geometry_error:
            reasons.append(geometry_error)
        text = {name: values.get(name, "") for name in _MAX_LEN}
        for name, limit in _MAX_LEN.items():
            if len(text[name]) > limit:
                reasons.append(f"{_LABELS[name]}太长（最多 {limit} 个字）")
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
        position = _position(values, reasons)
        if position is None and len(reasons) == before and not text["address"]:
            reasons.append("没有经纬度，也没有地址，无法定位")
        most_beautiful = _choice_bool(values.get("most_beautiful", ""), "最美驿站", reasons)
        smart_24h = _choice_bool(values.get("smart_24h", ""), "24小时智能驿站", reasons)
        area = _area(values.get("area_m2", ""), reasons)
        kind = _choice(values.get("kind", ""), _KINDS, "类型", "standard 标准、micro 微型 或 mobile 流动",
                       reasons)
        if kind is None and area is not None:
            kind = "micro" if area < STANDARD_MIN_AREA_M2 else "standard"
        if kind == "standard" and area is not None and area < STANDARD_MIN_AREA_M2:
            reasons.append(f"标准驿站面积应不少于 5 平方米，这里是 {area:g}")
        elif kind == "micro" and area is not None and area >= STANDARD_MIN_AREA_M2:
            reasons.append(f"微型驿站面积应小于 5 平方米，这里是 {area:g}")
        build_mode = _choice(values.get("build_mode", ""), _BUILD_MODES, "建设方式",
                             "self 自建 或 joint 共建", reasons)
        status = _choice(values.get("status", ""), _STATUSES, "状态",
                         "active 正常、suspended 暂停 或 revoked 撤销", reasons)
        hours = self._opening_hours(text["opening_hours"], smart_24h, reasons)
        services = _services(values.get("services", ""), reasons)
        if reasons:
            self.parsed.problems.append(RowProblem(row, "；".join(reasons)))
            return
        fields: dict[str, Any] = {
            "code": code, "name": name, "address": text["address"], "league": text["league"],
            "county": text["county"], "kind": kind or "standard",
            "build_mode": build_mode or ("joint" if text["host_type"] else "self"),
            "host_type": text["host_type"], "area_m2": area, "opening_hours": hours,
            "services": services, "most_beautiful": most_beautiful, "smart_24h": smart_24h,
            "phone": text["phone"], "status": status or "active",
        }
        if position is None:
            prefix = "".join(p for p in (text["league"], text["county"]) if p not in text["address"])
            self.parsed.pending.append(_Pending(row, prefix + text["address"], fields))
        else:
            self.parsed.ready.append((row, StationInput(lat=position[0], lng=position[1], **fields)))

    def _opening_hours(self, raw: str, smart_24h: bool, reasons: list[str]) -> str:
        if not raw:
            if smart_24h:
                return "24/7"
            reasons.append("缺少开放时间（如 24/7 或 Mo-Fr 08:00-20:00）")
            return ""
        known = self._hours.get(raw)
        if known is None:
            fixed = " ".join(raw.translate(_HOURS_FIX).split())
            try:
                known = "24/7" if fixed in _ALWAYS else validate_hours(fixed)
            except HoursError as exc:
                known = exc
            self._hours[raw] = known
        if isinstance(known, HoursError):
            reasons.append(str(known))
            return ""
        return known


# --- field parsers: each returns the value and appends a Chinese reason when it cannot -------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code written as a JSON number
    return str(value).strip()


def _choice(raw: str, table: dict[str, str], label: str, allowed: str, reasons: list[str]
            ) -> str | None:
    if not raw:
        return None
    found = table.get(raw.lower())
    if found is None:
        reasons.append(f"{label}“{raw}”不认识（可填 {allowed}）")
    return found


def _choice_bool(value: str, label: str, reasons: list[str]) -> bool:
    raw = value.lower()
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        reasons.append(f"{label}一栏“{raw}”看不懂（可填 是/否、true/false 或 1/0）")
    return False


def _area(value: str, reasons: list[str]) -> float | None:
    raw = _AREA_UNITS.sub("", value) if value else ""
    if not raw:
        return None
    try:
        area = float(raw)
    except ValueError:
        reasons.append(f"面积“{value}”不是数字（单位平方米）")
        return None
    if not (0 < area <= MAX_AREA_M2):  # also false for NaN
        reasons.append(f"面积 {raw} 平方米不合理（应大于 0、不超过 {MAX_AREA_M2:g}）")
        return None
    return area


def _services(value: str | list[Any], reasons: list[str]) -> list[str]:
    if isinstance(value, list):
        codes, unknown = _service_codes(tuple(_text(v) for v in value))
    else:
        codes, unknown = _service_codes(tuple(_SERVICE_SPLIT.split(value)))
    if unknown:
        reasons.append(f"不认识的服务项目：{'、'.join(unknown)}（请用服务编码或中文名，如 rest 或 休息）")
    return list(codes)  # a fresh list: the cached one is shared


@lru_cache(maxsize=8192)  # real files repeat a few service lists many times
def _service_codes(tokens: tuple[str, ...]) -> tuple[list[str], list[str]]:
    codes: list[str] = []
    unknown: list[str] = []
    for token in filter(None, tokens):
        code = service_code(token)
        if code is None:
            unknown.append(token)
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def _position(values: dict[str, Any], reasons: list[str]) -> tuple[float, float] | None:
    """(lat, lng) in WGS-84; None when the row has no coordinates (or they are bad: reasons)."""
    lat_raw, lng_raw = values.get("lat", ""), values.get("lng", "")
    if not lat_raw and not lng_raw:
        return None
    if not lat_raw or not lng_raw:
        reasons.append("只填了经度、没有纬度" if lng_raw else "只填了纬度、没有经度")
        return None
    coord = values.get("coord", "")
    system = _COORDS.get(_key(coord) or "wgs84") if coord else CoordSystem.WGS84
    if system is None:
        reasons.append(f"坐标系“{coord}”不认识（可填 wgs84、gcj02 或 bd09）")
    numbers = []
    for label, raw in (("纬度", lat_raw), ("经度", lng_raw)):
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            reasons.append(f"{label}“{raw}”不是数字")
        numbers.append(number)
    lat, lng = numbers
    if not (math.isfinite(lat) and math.isfinite(lng)) or system is None:
        return None
    if -90 <= lat <= 90 and -180 <= lng <= 180 and not out_of_china(lat, lng):
        point = to_wgs84(lat, lng, system)
        return point.lat, point.lng
    swapped = "，是不是把经度和纬度填反了？" if not out_of_china(lng, lat) else ""
    if not -90 <= lat <= 90:
        reasons.append(f"纬度 {lat:g} 超出范围（-90 到 90）{swapped}")
    elif not -180 <= lng <= 180:
        reasons.append(f"经度 {lng:g} 超出范围（-180 到 180）{swapped}")
    else:
        reasons.append(f"坐标（纬度 {lat:g}，经度 {lng:g}）不在中国境内{swapped}")
    return None


def _progress(items: Any, total: int, enabled: bool) -> Any:
    if not enabled or total < PROGRESS_MIN_ROWS:
        return items
    return tqdm(items, total=total, desc="读取驿站", unit="行", file=sys.stderr, miniters=1000)
