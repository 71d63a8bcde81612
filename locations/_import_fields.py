"""Columns of a station import file: header aliases and the parser of each field.

Each parser takes the cell as a stripped string (a GeoJSON list for services), returns the value,
and appends a Chinese reason to `reasons` when it cannot — so one row collects all its faults.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ._coords import CoordSystem, out_of_china, to_wgs84
from ._hours import HoursError, validate_hours
from ._hours_zh import parse_hours_zh
from ._services import AMBIGUOUS, KNOWN_EXTRAS, accepted_names, service_code

MAX_AREA_M2 = 10_000.0
STANDARD_MIN_AREA_M2 = 5.0

ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("编码", "编号", "驿站编码", "驿站编号", "站点编码", "站点编号"),
    "name": ("名称", "驿站名称", "站点名称", "驿站名", "站点名", "驿站", "站点"),
    "address": ("地址", "详细地址", "驿站地址", "具体地址", "所在地址", "位置", "地点"),
    "league": ("盟市", "盟/市", "所属盟市", "city", "所属城市", "城市", "地市", "市", "所在城市"),
    "county": (
        "旗县区",
        "旗县",
        "区县",
        "县区",
        "旗县（市、区）",
        "所属旗县区",
        "所属区县",
        "所在区县",
        "区",
        "县",
        "district",
    ),
    "lat": ("纬度", "latitude"),
    "lng": ("经度", "longitude", "lon", "long"),
    "coordinates": ("坐标", "经纬度", "位置坐标", "经纬度坐标"),
    "coord": ("坐标系", "crs", "coord_system"),
    "kind": ("类型", "驿站类型"),
    "build_mode": ("建设方式", "建设模式"),
    "host_type": ("共建单位类型", "依托单位类型", "共建单位", "host"),
    "area_m2": ("面积", "使用面积", "面积㎡", "面积m2", "面积m²", "面积（平方米）", "area"),
    "opening_hours": (
        "开放时间",
        "营业时间",
        "服务时间",
        "开放时段",
        "服务时段",
        "营业时段",
        "工作时间",
        "hours",
    ),
    "opening_hours_text": ("开放时间原文", "开放时间（原文）", "hours_text"),
    "services": ("服务项目", "服务", "服务内容", "服务功能", "服务设施", "配套设施", "功能"),
    "extras": ("其他设施", "其它设施", "其他服务", "特色服务"),
    "most_beautiful": ("最美驿站", "是否最美驿站"),
    "smart_24h": ("24小时智能驿站", "24小时无人值守智能化驿站", "智能驿站", "是否24小时智能驿站"),
    "phone": ("电话", "联系电话", "telephone", "联系方式", "咨询电话", "服务电话", "手机"),
    "status": ("状态", "驿站状态"),
    "owner_union": ("所属工会", "所属基层工会", "主管工会", "建设工会", "管理工会"),
    "geocoded_by": ("定位来源", "地址定位服务"),
    "geocode_level": ("定位精度", "地址定位精度"),
}
# Columns clerks keep that the registry has no place for yet; not worth a note.
IGNORED_HEADERS = frozenset({"序号", "错误原因", "开放时间已确认"})
# Chinese labels in messages (when the file's header is our English field name), and the
# longest text a column takes (the table's limits).
LABELS = {
    "code": "编码",
    "name": "名称",
    "address": "地址",
    "league": "盟市",
    "county": "旗县区",
    "lat": "纬度",
    "lng": "经度",
    "coordinates": "坐标",
    "coord": "坐标系",
    "kind": "类型",
    "build_mode": "建设方式",
    "host_type": "共建单位类型",
    "area_m2": "面积",
    "phone": "电话",
    "opening_hours": "开放时间",
    "opening_hours_text": "开放时间原文",
    "services": "服务项目",
    "extras": "其他设施",
    "most_beautiful": "最美驿站",
    "smart_24h": "24小时智能驿站",
    "status": "状态",
    "owner_union": "所属工会",
    "geocoded_by": "定位来源",
    "geocode_level": "定位精度",
}
MAX_LEN = {
    "code": 64,
    "name": 200,
    "address": 500,
    "league": 50,
    "county": 50,
    "host_type": 50,
    "phone": 40,
    "opening_hours": 500,
    "opening_hours_text": 500,
    "owner_union": 100,
    "geocoded_by": 16,
    "geocode_level": 32,
}

KINDS = {
    "standard": "standard",
    "标准": "standard",
    "标准驿站": "standard",
    "micro": "micro",
    "微型": "micro",
    "微型驿站": "micro",
    "mobile": "mobile",
    "流动": "mobile",
    "流动驿站": "mobile",
}
BUILD_MODES = {"self": "self", "自建": "self", "joint": "joint", "共建": "joint", "联建": "joint"}
STATUSES = {
    "active": "active",
    "正常": "active",
    "启用": "active",
    "运行": "active",
    "suspended": "suspended",
    "暂停": "suspended",
    "停用": "suspended",
    "revoked": "revoked",
    "撤销": "revoked",
    "撤除": "revoked",
}
_COORDS = {
    "wgs84": CoordSystem.WGS84,
    "gps": CoordSystem.WGS84,
    "gcj02": CoordSystem.GCJ02,
    "gcj02ll": CoordSystem.GCJ02,
    "国测局": CoordSystem.GCJ02,
    "高德": CoordSystem.GCJ02,
    "腾讯": CoordSystem.GCJ02,
    "bd09": CoordSystem.BD09,
    "bd09ll": CoordSystem.BD09,
    "百度": CoordSystem.BD09,
}
_TRUE = frozenset({"true", "1", "是", "yes", "y", "t", "√"})
_FALSE = frozenset({"false", "0", "否", "no", "n", "f", ""})
_SERVICE_SPLIT = re.compile(r"[;；、,，\s]+")
_HOURS_FIX = str.maketrans(
    {
        "：": ":",
        "；": ";",
        "，": ",",
        "－": "-",
        "—": "-",
        "–": "-",
        "～": "-",
        "~": "-",
        "至": "-",
        "　": " ",
    }
)
_ALWAYS = frozenset({"24h", "0-24", "00:00-24:00"})
_CJK = re.compile(r"[\u3400-\u9fff]")
_AREA_UNITS = re.compile(r"\s*(㎡|m²|m2|平方米|平米)\s*$", re.IGNORECASE)


def header_key(header: str) -> str:
    """Headers compared without case, spaces, '*' (required marks), '_' or '-'."""
    return re.sub(r"[\s*_\-\ufeff]", "", header).lower()


HEADER_FIELD: dict[str, str] = {
    header_key(alias): name for name, aliases in ALIASES.items() for alias in (name, *aliases)
}


# --- field parsers: each returns the value and appends a Chinese reason when it cannot -------


def normalize_hours(raw: str) -> str:
    """Hours as people type them in Chinese (full-width colons and dashes, 全天) made OSM-like."""
    fixed = " ".join(raw.translate(_HOURS_FIX).split())
    return "24/7" if fixed in _ALWAYS else fixed


@lru_cache(maxsize=4096)  # a file repeats a few dozen hours strings
def read_hours(cell: str) -> tuple[str, str]:
    """(OSM expression, the union's words) for an hours cell; `HoursError` when unreadable.

    Chinese text is read by `parse_hours_zh` and kept as the words; OSM syntax (after fixing
    full-width punctuation) is taken as is and has no separate words."""
    if _CJK.search(cell):
        return parse_hours_zh(cell), cell
    try:
        return validate_hours(normalize_hours(cell)), ""
    except HoursError:
        try:  # "8-18", "7*24": no Chinese, but not OSM either
            return parse_hours_zh(cell), cell
        except HoursError:
            pass
        raise


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code written as a JSON number
    return str(value).strip()


def choice(
    raw: str, table: dict[str, str], label: str, allowed: str, reasons: list[str]
) -> str | None:
    if not raw:
        return None
    found = table.get(raw.lower())
    if found is None:
        reasons.append(f"{label}“{raw}”不认识（可填 {allowed}）")
    return found


def choice_bool(value: str, label: str, reasons: list[str]) -> bool:
    raw = value.lower()
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        reasons.append(f"{label}一栏“{value}”看不懂（可填 是/否、true/false 或 1/0）")
    return False


def parse_area(value: str, reasons: list[str], label: str = "面积") -> float | None:
    raw = _AREA_UNITS.sub("", value) if value else ""
    if not raw:
        return None
    try:
        area = float(raw)
    except ValueError:
        reasons.append(f"{label}“{value}”不是数字（单位平方米）")
        return None
    if not (0 < area <= MAX_AREA_M2):  # also false for NaN
        reasons.append(f"{label} {raw} 平方米不合理（应大于 0、不超过 {MAX_AREA_M2:g}）")
        return None
    return area


def parse_services(
    services: str | list[Any],
    extras: str | list[Any],
    reasons: list[str],
    label: Callable[[str], str] = LABELS.__getitem__,
) -> tuple[list[str], list[str]]:
    """(service codes, extras). Unknown words in the services column are refused with the names
    accepted; the extras column takes anything (its service words still count as services)."""
    codes, extra, unknown, unsure = _service_codes(_tokens(services))
    more_codes, more_extra, other, _ = _service_codes(_tokens(extras))
    if unknown:
        reasons.append(
            f"{label('services')}里的“{'、'.join(unknown)}”不认识。可以填：{accepted_names()}；"
            f"别的设施请写在“{LABELS['extras']}”一栏"
        )
    reasons.extend(f"{label('services')}里{AMBIGUOUS[word]}" for word in unsure)
    codes = codes + [c for c in more_codes if c not in codes]
    return codes, _unique(extra + more_extra + other)  # fresh lists: the cached ones are shared


def _tokens(value: str | list[Any]) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(as_text(v) for v in value)
    return tuple(_SERVICE_SPLIT.split(value))


def _unique(words: list[str]) -> list[str]:
    return list(dict.fromkeys(words))


@lru_cache(maxsize=8192)  # real files repeat a few service lists many times
def _service_codes(
    tokens: tuple[str, ...],
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(codes, known extras, unknown words, ambiguous words)."""
    codes: list[str] = []
    extras: list[str] = []
    unknown: list[str] = []
    unsure: list[str] = []
    for token in filter(None, tokens):
        code = service_code(token)
        if code is not None:
            if code not in codes:
                codes.append(code)
        elif token in AMBIGUOUS:
            unsure.append(token)
        elif token.lower() in KNOWN_EXTRAS:
            extras.append(token)
        else:
            unknown.append(token)
    return codes, extras, unknown, unsure


def split_coordinates(values: dict[str, Any], reasons: list[str], label: str) -> None:
    """One 坐标 cell ("111.66,40.81" or "40.81,111.66") into lat and lng. Within China the two
    never overlap (latitudes 3–54, longitudes 73–136), so the order is read from the values."""
    raw = values["coordinates"]
    parts = [p for p in re.split(r"[,，;；\s]+", raw.strip("()（）[] ")) if p]
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        reasons.append(f"{label}“{raw}”应写成“经度,纬度”两个数字，如 111.6610,40.8175")
        return
    lng, lat = (a, b) if a > b else (b, a)
    values["lat"], values["lng"] = repr(lat), repr(lng)


def parse_position(
    values: dict[str, Any], reasons: list[str], label: Callable[[str], str] = LABELS.__getitem__
) -> tuple[float, float] | None:
    """(lat, lng) in WGS-84; None when the row has no coordinates (or they are bad: reasons)."""
    lat_raw, lng_raw = values.get("lat", ""), values.get("lng", "")
    if not lat_raw and not lng_raw:
        return None
    if not lat_raw or not lng_raw:
        lat_label, lng_label = label("lat"), label("lng")
        reasons.append(
            f"只填了{lng_label}、没有{lat_label}"
            if lng_raw
            else f"只填了{lat_label}、没有{lng_label}"
        )
        return None
    coord = values.get("coord", "")
    system = _COORDS.get(header_key(coord) or "wgs84") if coord else CoordSystem.WGS84
    if system is None:
        reasons.append(f"{label('coord')}“{coord}”不认识（可填 wgs84、gcj02 或 bd09）")
    numbers = []
    for name, raw in (("lat", lat_raw), ("lng", lng_raw)):
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            reasons.append(f"{label(name)}“{raw}”不是数字")
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
