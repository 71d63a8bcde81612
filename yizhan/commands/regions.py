"""`yizhan regions import FILE`: any province's administrative boundaries (DataV adcode GeoJSON)
for routing cases by county and for `coverage` per league and county."""

from __future__ import annotations

from pathlib import Path

import click

from handlers import Services
from locations import CoordSystem
from referrals import RegionError, import_boundaries

from ._run import run


@click.group()
def regions() -> None:
    """Administrative boundaries (which county's union answers a case)."""


@regions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--coord",
    type=click.Choice([c.value for c in CoordSystem]),
    default="gcj02",
    show_default=True,
    help="Coordinate system of the file (published maps: gcj02).",
)
def import_command(file: Path, coord: str) -> None:
    """Replace the boundaries with FILE (GeoJSON with adcode, name, level, parent: the DataV
    layout of any province, level province|city|district or province|league|county)."""

    async def work(services: Services) -> int:
        return await import_boundaries(services.db, file, CoordSystem(coord))

    try:
        count = run(work)
    except RegionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"已导入 {count} 个行政区边界，求助会按所在旗县区转给当地工会，"
        "覆盖统计（yizhan coverage）也按这些盟市、旗县区计算。"
    )
