"""Import and export of station files in the console.

`POST /console/stations/import` takes an uploaded file (CSV, Excel or GeoJSON, as
`yizhan stations import` reads) and answers with its dry-run report: the rows with problems and
what would be new, updated or suspended — nothing is written. The file waits in the shared
store (30 minutes, any process) under a random id; `POST /console/stations/import/apply` with
that id imports it, with the same `locations` importer the CLI uses. Rows outside the person's
area are refused as problems of their row; `--sync` is offered only to staff who hold every
league of the file whole (it suspends that league's stations missing from the file).

`GET /console/stations/export?format=xlsx|csv|geojson` downloads every station (stations are public:
the mini-program shows them to anyone).
"""

from __future__ import annotations

import base64
import json
import secrets
import tempfile
from pathlib import Path

from aiohttp import web

from locations import (
    ImportResult,
    RowProblem,
    export_stations,
    import_stations,
    in_areas,
    outcome_lines,
    read_station_file,
)

from ._pages import NOT_FOUND, Refused, form_of, render, services_of
from ._scope import Scope, scope_of
from ._stations import staff_scope

SUFFIXES = (".csv", ".xlsx", ".geojson", ".json")
KEEP_S = 30 * 60
SHOWN_PROBLEMS = 50
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}


def _key(token: str) -> str:
    return f"console:import:{token}"


async def import_form(request: web.Request) -> web.Response:
    await staff_scope(request)
    return render(request, "station_import.html", {"report": None, "error": ""})


def _sync_allowed(scope: Scope, result: ImportResult) -> bool:
    if scope.areas is None:
        return True
    whole = {lg for lg, ct in scope.areas if not ct}
    return {s.league for s in result.stations} <= whole


def _in_scope(result: ImportResult, scope: Scope) -> ImportResult:
    """Rows outside the person's area become problems of their row; nothing else changes."""
    if scope.areas is None:
        return result
    kept, problems = [], list(result.problems)
    for n, station in enumerate(result.stations, 2):
        if in_areas(station.league, station.county, scope.areas):
            kept.append(station)
        else:
            where = f"{station.league}{station.county}" or "未注明地区"
            problems.append(RowProblem(n, f"驿站 {station.code} 在{where}，不在您所在工会的辖区"))
    return ImportResult(kept, problems, result.notes, result.kind, result.header, result.originals)


async def _read(request: web.Request, data: bytes, name: str, scope: Scope) -> ImportResult:
    with tempfile.TemporaryDirectory(prefix="yizhan-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        result = await read_station_file(path, settings=services_of(request).settings)
    return _in_scope(result, scope)


async def upload(request: web.Request) -> web.Response:
    account, _session, form = await form_of(request)
    scope = await scope_of(services_of(request), account)
    if not scope.sees_stations:
        raise Refused(404, *NOT_FOUND)
    field = form.get("file")
    filename = getattr(field, "filename", "") or ""
    suffix = Path(filename).suffix.lower()
    if field is None or not filename or not hasattr(field, "file"):
        return _error(request, "请先选择要导入的文件。")
    if suffix not in SUFFIXES:
        return _error(request, "只能导入 CSV、Excel（.xlsx）或 GeoJSON 文件。")
    data = field.file.read()
    name = f"upload{suffix}"
    result = await _read(request, data, name, scope)
    services = services_of(request)
    outcome = await import_stations(services.db, result, Path(name), dry_run=True, sync=True)
    token = secrets.token_urlsafe(16)
    record = {
        "staff": account.id,  # only the person who uploaded it may apply it
        "name": Path(filename).name[:100],
        "suffix": suffix,
        "data": base64.b64encode(data).decode(),
    }
    await services.store.set(_key(token), json.dumps(record), ttl=KEEP_S)
    return render(
        request,
        "station_import.html",
        {
            "report": {
                "file": Path(filename).name,
                "good": len(result.stations),
                "problems": result.problems[:SHOWN_PROBLEMS],
                "more_problems": max(0, len(result.problems) - SHOWN_PROBLEMS),
                "notes": result.notes,
                "lines": outcome_lines(outcome, dry_run=True, sync=False),
                "missing": len(outcome.plan.missing),
                "sync_allowed": _sync_allowed(scope, result),
                "token": token,
            },
            "error": "",
        },
    )


def _error(request: web.Request, message: str, status: int = 422) -> web.Response:
    return render(request, "station_import.html", {"report": None, "error": message}, status=status)


async def apply(request: web.Request) -> web.Response:
    account, _session, form = await form_of(request)
    services = services_of(request)
    scope = await scope_of(services, account)
    if not scope.sees_stations:
        raise Refused(404, *NOT_FOUND)
    token = str(form.get("token") or "")
    raw = await services.store.get(_key(token)) if 0 < len(token) < 64 else None
    record = json.loads(raw) if raw is not None else None
    if record is None or record.get("staff") != account.id:
        return _error(request, "这份文件已过期（保留 30 分钟），请重新上传。", status=410)
    name = f"upload{record['suffix']}"
    result = await _read(request, base64.b64decode(record["data"]), name, scope)
    skip_invalid = form.get("skip_invalid") == "on"
    sync = form.get("sync") == "on" and _sync_allowed(scope, result)
    if result.problems and not skip_invalid:
        return _error(request, "文件里有问题的行，请改好后重新上传，或勾选“跳过有问题的行”。")
    with tempfile.TemporaryDirectory(prefix="yizhan-import-") as folder:
        outcome = await import_stations(
            services.db,
            result,
            Path(folder) / record["name"],
            skip_invalid=skip_invalid,
            sync=sync,
        )
    await services.store.delete(_key(token))
    await services.finder.stations_changed()
    written = outcome.written
    lines = [
        f"已导入 {record['name']}：新增 {written.created if written else 0} 个，"
        f"更新 {written.updated if written else 0} 个"
        + (f"，暂停 {len(outcome.suspended)} 个" if sync else "")
        + "。找驿站时马上能看到。"
    ]
    return render(request, "station_import.html", {"report": None, "error": "", "done": lines})


async def export(request: web.Request) -> web.StreamResponse:
    await staff_scope(request)
    kind = request.query.get("format", "xlsx")
    if kind not in EXPORTS:
        raise Refused(400, "格式不对", "可以导出 xlsx、csv 或 geojson。")
    with tempfile.TemporaryDirectory(prefix="yizhan-export-") as folder:
        path = Path(folder) / f"驿站.{kind}"
        await export_stations(services_of(request).db, path)
        body = path.read_bytes()
    return web.Response(
        body=body,
        headers={
            "Content-Type": EXPORTS[kind],
            "Content-Disposition": f"attachment; filename=\"stations.{kind}\"; filename*=UTF-8''%E9%A9%BF%E7%AB%99.{kind}",
        },
    )
