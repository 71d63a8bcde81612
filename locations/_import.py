"""Reading a station file — CSV (UTF-8, GBK or GB18030), `.xlsx` or GeoJSON — into validated
stations.

Every row is checked and every problem of every row reported in one pass, naming the column as
the file names it and quoting the clerk's own cell, so the whole file can be fixed in one go.
Row numbers are what a person sees (see `_import_files`). The original cells of rejected rows
are kept, so they can be written back for fixing (`_import_apply.write_rejected`).

Columns (English or Chinese headers, see `_import_fields.ALIASES`): code, name, address, league,
county, lat, lng, coord, kind, build_mode, host_type, area_m2, opening_hours, services,
most_beautiful, smart_24h, phone, status, owner_union, geocoded_by, geocode_level.

Choices made here, on purpose:
- `coord` defaults to wgs84: GeoJSON is WGS-84 by definition (RFC 7946), and CSV follows the same
  rule so one file format never means two things. Coordinates copied from Amap/Tencent need
  `coord=gcj02`, from Baidu `coord=bd09`.
- A row without opening hours is imported with `hours_known` false, never taken as 24/7
  (sending a worker at night to a closed door is the failure this product exists to prevent):
  it is listed and found, shown as 开放时间未确认 with its phone, never as open, and ranks after
  stations known to be open within a walk. A 24-hour smart station without hours is 24/7, as
  its kind says.
- A list without a 编码 column gets stable codes from name and address
  (`_import_rows.derived_code`), so importing it again updates instead of duplicating.
- 所属工会 (the owning union) is kept as written; 定位来源/定位精度 (our export) keep a geocoded
  position's mark.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import Settings
from core.store import Store

from ._import_files import FileReadError, read_table
from ._import_rows import Parsed, RowProblem, RowReader
from ._registry import StationInput


@dataclass(slots=True)
class ImportResult:
    stations: list[StationInput]
    problems: list[RowProblem]
    notes: list[str] = field(default_factory=list)  # about the file, not a row (unused columns)
    kind: str = "csv"  # "csv", "xlsx" or "geojson": rejected rows are written back the same way
    header: list[str] = field(default_factory=list)
    originals: dict[int, Any] = field(default_factory=dict)  # row → its cells (or feature), if bad


async def read_station_file(
    path: Path,
    *,
    settings: Settings,
    progress: bool = False,
    sheet: str | None = None,
    cache: Store | None = None,
) -> ImportResult:
    """Read and validate every row; geocode rows that have only an address (answers kept in
    `cache`, the shared store, when given)."""
    parsed = await asyncio.to_thread(parse_station_file, path, progress=progress, sheet=sheet)
    if parsed.pending:
        # Imported here: only an import with address-only rows needs the geocoders.
        from ._geocode import geocode_addresses

        located = await geocode_addresses(
            (p.lookup for p in parsed.pending), settings=settings, progress=progress, cache=cache
        )
        for p in parsed.pending:
            answer = located[p.lookup]
            if answer.point is None:
                parsed.problems.append(RowProblem(p.row, answer.reason))
                parsed.originals[p.row] = p.original
            else:
                fields = {**p.fields, "geocoded_by": answer.provider, "geocode_level": answer.level}
                item = StationInput(lat=answer.point.lat, lng=answer.point.lng, **fields)
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


def parse_station_file(path: Path, *, progress: bool = False, sheet: str | None = None) -> Parsed:
    """Everything but geocoding (runs in a worker thread: a big file takes seconds)."""
    reader = RowReader()
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


__all__ = ["ImportResult", "RowProblem", "parse_station_file", "read_station_file"]
