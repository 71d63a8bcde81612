"""Reading the union directory from CSV (UTF-8, with or without BOM; English or Chinese headers).

Columns: code, name, level (region|league|county|grassroots|industry or 自治区/盟市/旗县区/基层/行业),
league, county, adcode, industries (occupation codes or names, separated by ; 、 or ,),
employers, pool, requires_id_number, telegram_chat_id, wecom_robot_key, parent (key or name).
`code` (else `name`) is the stable key: importing again updates, never duplicates.

The two chat columns are the file's user-facing names for the union's staff chats; each
non-empty one becomes a `Recipient` of `UnionRow.chats` (channels "telegram" and "wecom" of
`core.notices`). This module is where the file format meets the data, so it names them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.notices import TELEGRAM, WECOM, Recipient

from ._directory import UnionRow
from ._models import UnionLevel
from ._occupations import occupation_code

_HEADERS: dict[str, str] = {
    "code": "code",
    "编码": "code",
    "代码": "code",
    "工会编码": "code",
    "name": "name",
    "名称": "name",
    "工会名称": "name",
    "工会": "name",
    "level": "level",
    "级别": "level",
    "层级": "level",
    "league": "league",
    "盟市": "league",
    "盟/市": "league",
    "county": "county",
    "旗县区": "county",
    "旗县": "county",
    "旗/县/区": "county",
    "adcode": "adcode",
    "行政区划代码": "adcode",
    "industries": "industries",
    "行业": "industries",
    "职业": "industries",
    "employers": "employers",
    "用人单位": "employers",
    "企业": "employers",
    "平台": "employers",
    "pool": "pool",
    "新就业形态": "pool",
    "兜底": "pool",
    "requires_id_number": "requires_id_number",
    "需要身份证号": "requires_id_number",
    "telegram_chat_id": "telegram_chat_id",
    "telegram": "telegram_chat_id",
    "telegram群": "telegram_chat_id",
    "wecom_robot_key": "wecom_robot_key",
    "企业微信机器人": "wecom_robot_key",
    "parent": "parent",
    "上级工会": "parent",
    "上级": "parent",
}

_LEVELS: dict[str, str] = {
    **{level.value: level.value for level in UnionLevel},
    "自治区": "region",
    "区总工会": "region",
    "盟市": "league",
    "盟": "league",
    "市": "league",
    "旗县区": "county",
    "旗县": "county",
    "县": "county",
    "区": "county",
    "基层": "grassroots",
    "基层工会": "grassroots",
    "行业": "industry",
    "行业工会": "industry",
}

_TRUE = {"1", "true", "yes", "y", "是", "✓", "√"}
_FALSE = {"", "0", "false", "no", "n", "否"}
_SPLIT = re.compile(r"[;；、,，|]")
_CHAT_ID = re.compile(r"^-?\d{1,20}$|^@[A-Za-z0-9_]{5,32}$")


@dataclass(slots=True)
class RowProblem:
    row: int
    reason: str


@dataclass(slots=True)
class UnionFile:
    rows: list[UnionRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _flag(value: str, column: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"{column} 应为 是/否（或 true/false），现在是“{value}”")


def _row(raw: dict[str, str]) -> UnionRow:
    get = lambda k: (raw.get(k) or "").strip()  # noqa: E731
    name = get("name")
    if not name:
        raise ValueError("缺少工会名称")
    level = _LEVELS.get(get("level").lower())
    if level is None:
        raise ValueError(
            f"级别“{get('level')}”不认识，应为 region/league/county/grassroots/industry 之一"
        )
    industries = []
    for part in filter(None, (p.strip() for p in _SPLIT.split(get("industries")))):
        code = occupation_code(part)
        if code is None:
            raise ValueError(f"行业“{part}”不认识")
        industries.append(code)
    if level == UnionLevel.INDUSTRY and not industries:
        raise ValueError("行业工会要写明所对应的行业（如 courier 或 快递员）")
    if level in (UnionLevel.COUNTY,) and not get("county"):
        raise ValueError("旗县区工会要写明旗县区")
    if level in (UnionLevel.LEAGUE, UnionLevel.COUNTY, UnionLevel.INDUSTRY) and not get("league"):
        raise ValueError("要写明所在盟市")
    adcode = get("adcode")
    if adcode and not re.fullmatch(r"\d{6}(\d{3}|\d{6})?", adcode):
        raise ValueError(f"行政区划代码“{adcode}”应为 6 位数字")
    chat = get("telegram_chat_id")
    if chat and not _CHAT_ID.match(chat):
        raise ValueError(f"Telegram 群号“{chat}”格式不对（应为数字，如 -1001234567890）")
    robot = get("wecom_robot_key")
    if robot and not re.fullmatch(r"[A-Za-z0-9-]{8,100}", robot):
        raise ValueError("企业微信机器人 key 格式不对")
    return UnionRow(
        name=name,
        level=level,
        key=get("code"),
        league=get("league"),
        county=get("county"),
        adcode=adcode,
        industries=industries,
        employers=[p.strip() for p in _SPLIT.split(get("employers")) if p.strip()],
        pool=_flag(get("pool"), "pool"),
        requires_id_number=_flag(get("requires_id_number"), "requires_id_number"),
        chats=[
            Recipient(channel, address)
            for channel, address in ((TELEGRAM, chat), (WECOM, robot))
            if address
        ],
        parent=get("parent"),
    )


def parse_union_csv(text: str) -> UnionFile:
    result = UnionFile()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    unknown = [h for h in reader.fieldnames or [] if h.strip().lower() not in _HEADERS]
    if not reader.fieldnames or "name" not in {
        _HEADERS.get(h.strip().lower(), "") for h in reader.fieldnames
    }:
        result.problems.append(RowProblem(1, "表头里没有“name”或“工会名称”列"))
        return result
    if unknown:
        result.problems.append(RowProblem(1, f"不认识的列：{'、'.join(unknown)}"))
        return result
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        mapped = {_HEADERS[k.strip().lower()]: v or "" for k, v in raw.items() if k is not None}
        if not any(v.strip() for v in mapped.values()):
            continue
        try:
            row = _row(mapped)
        except ValueError as exc:
            result.problems.append(RowProblem(number, str(exc)))
            continue
        if row.stable_key in seen:
            result.problems.append(
                RowProblem(number, f"与第 {seen[row.stable_key]} 行重复（{row.stable_key}）")
            )
            continue
        seen[row.stable_key] = number
        result.rows.append(row)
    return result


def read_union_file(path: Path) -> UnionFile:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return UnionFile(problems=[RowProblem(0, "文件不是 UTF-8 编码，请另存为 UTF-8 CSV")])
    return parse_union_csv(text)
