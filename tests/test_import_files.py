"""Station lists as clerks keep them: GBK/GB18030/BOM CSV, .xlsx, their own headers and words."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from core import Settings
from locations import ImportResult, read_station_file

HEADER = ["驿站编号", "驿站名称", "详细地址", "纬度", "经度", "营业时间", "服务内容", "所属工会"]
ROW = [
    "HS-1",
    "回民区驿站",
    "中山西路1号",
    "40.8175",
    "111.6610",
    "周一至周五 8:00-18:00",
    "厕所、热水、微波炉、手机充电",
    "回民区总工会",
]


async def read(path: Path, sheet: str | None = None) -> ImportResult:
    return await read_station_file(path, settings=Settings(), sheet=sheet)


def csv_text(*rows: list[str]) -> str:
    return "\n".join(",".join(r) for r in (HEADER, *rows)) + "\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
async def test_csv_in_every_encoding_excel_writes(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(csv_text(ROW).encode(encoding))
    result = await read(path)
    assert result.problems == []
    [s] = result.stations
    assert (s.code, s.name, s.address) == ("HS-1", "回民区驿站", "中山西路1号")
    assert s.services == ["toilet_guidance", "drinking_water", "meal_heating", "phone_charging"]
    assert s.opening_hours == "Mo-Fr 08:00-18:00"
    assert result.notes == []
    assert s.owner_union == ROW[-1]  # 所属工会 is kept


async def test_gb18030_only_characters_survive(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    row = [*ROW[:1], "𠀀驿站", *ROW[2:]]  # outside GBK, inside GB18030
    path.write_bytes(csv_text(row).encode("gb18030"))
    result = await read(path)
    assert [s.name for s in result.stations] == ["𠀀驿站"]


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for r in rows:
            ws.append(r)
    book.save(path)
    return path


async def test_xlsx_first_sheet_or_the_one_named(tmp_path: Path) -> None:
    typed = ["HS-2", "数字单元格驿站", "中山西路2号", 40.8175, 111.661, "全天", "休息", ""]
    path = workbook(
        tmp_path / "s.xlsx",
        {"说明": [["这一页是说明"]], "名单": [HEADER, ROW, [], typed]},
    )
    first = await read(path)
    assert first.stations == [] and "表头缺少" in first.problems[0].reason
    result = await read(path, sheet="名单")
    assert result.problems == []
    assert [(s.code, s.lat, s.opening_hours) for s in result.stations] == [
        ("HS-1", 40.8175, "Mo-Fr 08:00-18:00"),
        ("HS-2", 40.8175, "24/7"),
    ]
    missing = await read(path, sheet="名册")
    assert "没有名为“名册”的工作表（有：说明、名单）" in missing.problems[0].reason


async def test_services_in_clerks_words_extras_and_a_bare_charging(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    rows = [
        [*ROW[:6], "卫生间、开水、加热、充电宝、换电、WiFi、空调、图书角", ""],
        ["HS-3", "丙驿站", *ROW[2:6], "休息、充电", ""],
        ["HS-4", "丁驿站", *ROW[2:6], "休息、按摩、飞行", ""],
    ]
    path.write_text(csv_text(*rows), encoding="utf-8")
    result = await read(path)
    [s] = result.stations
    assert s.services == [
        "toilet_guidance",
        "drinking_water",
        "meal_heating",
        "phone_charging",
        "ebike_charging",
    ]
    assert s.extras == ["WiFi", "空调", "图书角"]
    charging, unknown = (p.reason for p in result.problems)
    assert "服务内容里“充电”是手机充电还是电动车充电" in charging  # the file's own column name
    assert "服务内容里的“按摩、飞行”不认识。可以填：政策宣传、休息、饮水" in unknown


async def test_one_coordinate_column_either_order(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "编号,名称,坐标,开放时间\n"
        'A,甲,"111.6610,40.8175",24小时\n'
        'B,乙,"40.8175,111.6610",24小时\n'
        "C,丙,东经111度,24小时\n",
        encoding="utf-8",
    )
    result = await read(path)
    assert [(s.lat, s.lng) for s in result.stations] == [(40.8175, 111.661)] * 2
    assert "坐标“东经111度”应写成“经度,纬度”两个数字" in result.problems[0].reason


async def test_every_problem_of_a_row_at_once_named_as_the_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "站点编号,站点名称,详细地址,纬度,经度,服务时间,服务项目\n"
        "A,甲,,北纬40,,早八晚八,休息、充电\n",
        encoding="utf-8",
    )
    [problem] = (await read(path)).problems
    assert problem.row == 2
    for part in (
        "只填了纬度、没有经度",
        "服务时间“早八晚八”看不懂",  # not 营业时间 or 开放时间: the file says 服务时间
        "服务项目里“充电”是手机充电还是电动车充电",
    ):
        assert part in problem.reason, problem.reason
