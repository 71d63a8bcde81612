"""Station files as tables of text: CSV (UTF-8 with or without BOM, GBK, GB18030), `.xlsx`, and
GeoJSON — read for import, written for export and for the rejected rows of an import.

Row numbers are what a person sees: in a CSV or sheet the header is row 1, as in a spreadsheet;
in GeoJSON the first feature is row 1.

Encodings are detected, not asked for: a file that decodes as strict UTF-8 is UTF-8 (a GBK file
almost never does, its bytes do not form valid UTF-8 sequences), anything else is read as
GB18030, which is a superset of GBK and GB2312 — what Excel writes as "CSV" on Chinese Windows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

SHEET_SUFFIXES = (".xlsx", ".xlsm")
GEOJSON_SUFFIXES = (".geojson", ".json")
REASON_HEADER = "错误原因"


class FileReadError(ValueError):
    """The file as a whole cannot be read; `row` and a Chinese `reason`."""

    def __init__(self, row: int, reason: str) -> None:
        super().__init__(reason)
        self.row, self.reason = row, reason


@dataclass
class Table:
    """Header and rows of text cells; `features` instead for GeoJSON."""

    kind: str  # "csv", "xlsx" or "geojson"
    header: list[str] = field(default_factory=list)
    rows: Iterator[tuple[int, list[str]]] = field(default_factory=lambda: iter(()))
    features: list[Any] = field(default_factory=list)
    total: int = 0  # rows, for a progress bar (may overestimate)


def read_table(path: Path, *, sheet: str | None = None) -> Table:
    suffix = path.suffix.lower()
    if suffix in SHEET_SUFFIXES:
        return _read_sheet(path, sheet)
    if suffix == ".xls":
        raise FileReadError(
            1, "不能读取旧版 .xls 文件。请在 Excel 里“另存为 → Excel 工作簿（.xlsx）”后再导入"
        )
    text = decode(path.read_bytes())
    stripped = text.lstrip()
    if not stripped:
        raise FileReadError(1, "文件是空的，没有驿站可导入")
    if suffix in GEOJSON_SUFFIXES or stripped[0] in "{[":
        return Table("geojson", features=_features(stripped))
    return _read_csv(text)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # strict: GBK bytes fail here
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileReadError(
            line, "文件编码无法识别（不是 UTF-8，也不是 GBK/GB18030）。请另存为“CSV UTF-8”或 .xlsx"
        ) from None


def _read_csv(text: str) -> Table:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    records = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1)
    total = text.count("\n") + (not text.endswith("\n"))
    return _with_header(Table("csv", total=total), records)


def _with_header(table: Table, records: Iterator[tuple[int, list[str]]]) -> Table:
    for _row, record in records:
        if "".join(record).strip():
            table.header = record
            table.rows = ((n, r) for n, r in records)
            return table
    raise FileReadError(1, "文件里没有表头，没有驿站可导入")


def _read_sheet(path: Path, sheet: str | None) -> Table:
    # Imported here: a server answering searches never reads a spreadsheet.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise FileReadError(
            1, f"无法打开这个 Excel 文件（{type(exc).__name__}），请确认是 .xlsx 格式"
        ) from None
    if sheet is not None and sheet not in book.sheetnames:
        names = "、".join(book.sheetnames)
        book.close()
        raise FileReadError(1, f"没有名为“{sheet}”的工作表（有：{names}）")
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    total = ws.max_row or 0  # as recorded: only for the progress bar
    ws.reset_dimensions()  # some programs record a wrong used range; read what is there

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for n, values in enumerate(ws.iter_rows(values_only=True), 1):
                yield n, [sheet_text(v) for v in values]
        finally:
            book.close()

    return _with_header(Table("xlsx", total=total), records())


def sheet_text(value: Any) -> str:
    """A cell as the clerk sees it: 13912345678 not 13912345678.0, 8:00 not 08:00:00."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, time):
        return f"{value.hour}:{value.minute:02d}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value).strip()


def _features(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"文件不是有效的 GeoJSON（第 {exc.lineno} 行第 {exc.colno} 列附近格式有误）"
        raise FileReadError(1, reason) from None
    if isinstance(document, dict) and document.get("type") == "Feature":
        return [document]
    features = document.get("features") if isinstance(document, dict) else None
    if not (isinstance(document, dict) and document.get("type") == "FeatureCollection") or not (
        isinstance(features, list)
    ):
        raise FileReadError(
            1, "GeoJSON 里应是一个 FeatureCollection（含 features 列表），没有找到驿站"
        )
    return features


# --- writing ----------------------------------------------------------------------------------


def write_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A CSV (UTF-8 with BOM, so Excel shows the Chinese) or `.xlsx`, by the path's suffix."""
    if path.suffix.lower() in SHEET_SUFFIXES:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        ws = book.create_sheet("驿站")
        ws.append(list(header))
        for row in rows:
            ws.append(list(row))
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def write_features(path: Path, features: Sequence[dict[str, Any]]) -> None:
    collection = {"type": "FeatureCollection", "features": list(features)}
    path.write_text(json.dumps(collection, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
