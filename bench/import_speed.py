"""Station import speed: generate a CSV of N stations, time read + validate + upsert.

    .venv/bin/python bench/import_speed.py [--rows 200000] [--database-url URL]
    .venv/bin/python bench/import_speed.py --formats csv gbk xlsx   # the same rows three ways

With several formats, each is imported into a fresh database in the same run (UTF-8 CSV first,
the baseline): `gbk` is the same CSV saved as GBK (Excel's "CSV" on Chinese Windows), `xlsx` a
worksheet with numbers as numbers, as Excel keeps them.

Goal (issue 2): 200,000 rows imported in under a minute. The file mixes WGS-84 and GCJ-02
coordinates (GCJ-02 costs an iterative inverse per row), a dozen opening-hours expressions and
varied service lists, as a real region-wide file would. The second run re-imports the same codes
(the update path). Default database: a fresh SQLite file in a temporary directory.

Each step prints wall time and the process's CPU time: on a shared machine the wall time
includes waiting for a core; the CPU time is close to what an idle machine takes (the work is
single-threaded).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import tempfile
import time
from pathlib import Path

from core import Database, Settings
from locations import SERVICES, upsert_stations
from locations._import import read_station_file
from locations._import_files import write_table

HOURS = [
    "24/7",
    "Mo-Fr 08:00-20:00",
    "Mo-Su 07:00-21:00",
    "Mo-Fr 09:00-17:00; PH off",
    "Mo-Sa 08:30-18:30",
    "Mo-Su 06:00-22:00",
    "Mo-Fr 08:00-12:00,14:00-18:00",
    "Mo-Su 00:00-24:00",
    "Tu-Su 10:00-20:00",
    "Mo-Fr 07:30-19:30; Sa,Su 09:00-17:00",
]
HOSTS = ["银行网点", "加油站", "超市", "政务大厅", "快递网点", "物流园区", "公交场站"]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    codes = [s.code for s in SERVICES]
    labels = [s.label for s in SERVICES]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "code",
                "name",
                "address",
                "league",
                "county",
                "lat",
                "lng",
                "coord",
                "kind",
                "build_mode",
                "host_type",
                "area_m2",
                "opening_hours",
                "services",
                "most_beautiful",
                "smart_24h",
                "phone",
                "status",
            ]
        )
        for i in range(rows):
            lat, lng = rnd.uniform(37.5, 52.0), rnd.uniform(97.5, 126.0)
            joint = rnd.random() < 0.6
            picked = rnd.sample(range(len(codes)), rnd.randint(3, 12))
            names = labels if rnd.random() < 0.5 else codes
            services = ("、" if names is labels else ";").join(names[k] for k in picked)
            area = rnd.choice([3, 4, 6, 8, 12, 20, 35])
            out.writerow(
                [
                    f"BENCH-{i:07d}",
                    f"合成驿站{i}",
                    f"某路{i % 500}号",
                    "某盟市",
                    "某旗县",
                    f"{lat:.6f}",
                    f"{lng:.6f}",
                    "gcj02" if i % 2 else "wgs84",
                    "micro" if area < 5 else "standard",
                    "joint" if joint else "self",
                    rnd.choice(HOSTS) if joint else "",
                    area,
                    rnd.choice(HOURS),
                    services,
                    "是" if rnd.random() < 0.2 else "否",
                    "1" if rnd.random() < 0.2 else "0",
                    f"0471-{rnd.randint(1000000, 9999999)}",
                    "active",
                ]
            )


_NUMBERS = ("lat", "lng", "area_m2")


def convert(path: Path, fmt: str) -> Path:
    """The generated CSV as `fmt`: csv (itself), gbk, or xlsx."""
    if fmt == "csv":
        return path
    text = path.read_text(encoding="utf-8-sig")
    if fmt == "gbk":
        out = path.with_name("stations_gbk.csv")
        out.write_bytes(text.encode("gbk"))
        return out
    header, *body = csv.reader(io.StringIO(text))
    numeric = [header.index(name) for name in _NUMBERS]
    for row in body:
        for i in numeric:
            row[i] = float(row[i])  # type: ignore[call-overload]
    out = path.with_name("stations.xlsx")
    write_table(out, header, body)
    return out


async def main(rows: int, database_url: str | None, formats: list[str] | None = None) -> None:
    if formats and formats != ["csv"]:
        for fmt in formats:
            await one_format(rows, database_url, fmt)
        return
    await one_format(rows, database_url, "csv", again=True)


async def one_format(rows: int, database_url: str | None, fmt: str, again: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "stations.csv"
        t = time.perf_counter()
        generate(generated, rows)
        path = convert(generated, fmt)
        print(
            f"[{fmt}] generated {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) "
            f"in {time.perf_counter() - t:.1f} s"
        )
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(database_url=url, geocoder="none")
        db = Database(settings.database_url)
        await db.upgrade()
        try:
            labels = ("first import (inserts)", "re-import (updates)")
            for label in labels if again else labels[:1]:
                t0, c0 = time.perf_counter(), time.process_time()
                result = await read_station_file(path, settings=settings)
                t1, c1 = time.perf_counter(), time.process_time()
                assert not result.problems, result.problems[:3]
                summary = await upsert_stations(db, result.stations, source="bench")
                t2, c2 = time.perf_counter(), time.process_time()
                print(
                    f"[{fmt}] {label}: read+validate {t1 - t0:.1f} s (cpu {c1 - c0:.1f} s), "
                    f"upsert {t2 - t1:.1f} s (cpu {c2 - c1:.1f} s), total {t2 - t0:.1f} s "
                    f"(cpu {c2 - c0:.1f} s, {rows / (t2 - t0):,.0f} rows/s); "
                    f"created {summary.created:,}, updated {summary.updated:,}"
                )
        finally:
            await db.close()


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options of a benchmark that fills a database with `generate`'s rows."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    return parser


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--formats", nargs="+", choices=["csv", "gbk", "xlsx"], default=["csv"])
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.database_url, args.formats))
