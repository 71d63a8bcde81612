"""`yizhan stations …` and `yizhan coverage`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select
from sqlmodel import col

from core.media import MediaRejected
from handlers import Services
from locations import (
    DEMO_SEED,
    Station,
    StationStatus,
    coverage_report,
    demo_stations,
    export_stations,
    import_stations,
    outcome_lines,
    read_station_file,
    set_status,
    signal_stations_changed,
    upsert_stations,
)
from referrals import load_regions

from ._run import run


@click.group()
def stations() -> None:
    """Stations: import, demo data, status changes."""


@stations.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="The worksheet of an .xlsx to read (default: the first).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the good rows; write the bad ones, with 错误原因, next to FILE.",
)
@click.option(
    "--sync", is_flag=True, help="FILE is the full list: suspend its leagues' missing stations."
)
def import_(file: Path, sheet: str | None, dry_run: bool, skip_invalid: bool, sync: bool) -> None:
    """Import stations from a CSV, .xlsx or GeoJSON FILE (code is the key: re-import updates)."""

    async def work(context: Services) -> int:
        result = await read_station_file(
            file, settings=context.settings, progress=True, sheet=sheet, cache=context.store
        )
        for problem in result.problems:
            click.echo(f"第 {problem.row} 行：{problem.reason}", err=True)
        for note in result.notes:
            click.echo(f"提示：{note}", err=True)
        outcome = await import_stations(
            context.db, result, file, dry_run=dry_run, skip_invalid=skip_invalid, sync=sync
        )
        for line in outcome_lines(outcome, dry_run=dry_run, sync=sync):
            click.echo(line)
        if outcome.rejected_file is not None:
            click.echo(
                f"没导入的行已存到 {outcome.rejected_file}，改好后可以直接再导入它。", err=True
            )
        if result.problems and not (skip_invalid or dry_run):
            click.echo(
                f"共 {len(result.problems)} 行有误，未导入任何驿站。改正后重试，"
                "或加 --skip-invalid 只导入正确的行。",
                err=True,
            )
            return 1
        if outcome.written is None:
            return 1 if result.problems else 0
        await signal_stations_changed(context.db, context.store)
        summary = outcome.written
        click.echo(
            f"导入完成：新增 {summary.created} 个，更新 {summary.updated} 个，"
            f"状态变更 {summary.status_changes + len(outcome.suspended)} 个，"
            f"跳过 {len(result.problems)} 行。"
        )
        return 0

    raise SystemExit(run(work))


@stations.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export(file: Path) -> None:
    """Write every station to FILE (.csv, .xlsx or .geojson); it imports back unchanged."""
    if file.suffix.lower() not in (".csv", ".xlsx", ".geojson", ".json"):
        raise click.ClickException("导出文件请以 .csv、.xlsx 或 .geojson 结尾。")

    async def work(context: Services) -> int:
        return await export_stations(context.db, file)

    click.echo(f"已导出 {run(work)} 个驿站到 {file}。")


@stations.command("demo")
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True)
def demo(seed: int) -> None:
    """Load the synthetic demo set (codes start with DEMO-; the same seed gives the same set)."""

    async def work(context: Services) -> None:
        items = demo_stations(seed=seed)
        summary = await upsert_stations(context.db, items, source=f"demo:{seed}")
        await signal_stations_changed(context.db, context.store)
        click.echo(f"演示驿站（合成数据）：新增 {summary.created} 个，更新 {summary.updated} 个。")

    run(work)


def _status_command(name: str, status: StationStatus, done: str) -> click.Command:
    @click.command(name)
    @click.argument("code")
    @click.option("--reason", default="", help="Why (kept in the station's history).")
    def command(code: str, reason: str) -> None:
        async def work(context: Services) -> bool:
            ok = await set_status(context.db, code, status, reason=reason, source="cli")
            if ok:
                await signal_stations_changed(context.db, context.store)
            return ok

        if not run(work):
            raise click.ClickException(f"没有找到可{done}的驿站 {code}（已撤销的驿站不能恢复）。")
        click.echo(f"驿站 {code} 已{done}。")

    command.help = f"Mark a station {status.value}."
    return command


@stations.command("photo")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def photo(code: str, file: Path) -> None:
    """Add a photo (JPG, PNG or WebP) to station CODE's page in the mini-program (EXIF and GPS
    are dropped, the size is bounded; the media store is MEDIA_URL)."""

    async def work(context: Services) -> str | None:
        async with context.db.session() as session:
            found = (
                await session.execute(select(col(Station.id)).where(col(Station.code) == code))
            ).scalar_one_or_none()
        if found is None:
            return None
        try:
            media = await context.media.add(
                file.read_bytes(), channel="cli", owner="cli", purpose="station", subject=str(found)
            )
        except MediaRejected as exc:
            raise click.ClickException(str(exc)) from None
        return media.id

    media_id = run(work)
    if media_id is None:
        raise click.ClickException(f"没有找到驿站 {code}。")
    click.echo(f"已为驿站 {code} 添加照片 {media_id}。")


stations.add_command(_status_command("suspend", StationStatus.SUSPENDED, "暂停"))
stations.add_command(_status_command("revoke", StationStatus.REVOKED, "撤销"))
stations.add_command(_status_command("activate", StationStatus.ACTIVE, "恢复"))


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "geojson"]), default="text")
def coverage(fmt: str) -> None:
    """Report against the notice's targets (内政办发〔2025〕4号), per league and county of the
    imported regions (else the built-in ones); geojson: the uncovered spots of each urban area."""

    async def work(context: Services) -> None:
        regions = await load_regions(context.db)
        report = coverage_report(context.finder.index.stations, regions)
        if fmt == "json":
            click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        elif fmt == "geojson":
            click.echo(json.dumps(report.to_geojson(), ensure_ascii=False))
        else:
            click.echo(report.to_text())

    run(work, finder=True)
