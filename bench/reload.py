"""Station index reload from the database: how long, how long it stalls the event loop, memory.

    .venv/bin/python bench/reload.py [--rows 200000] [--database-url URL]

Every server process reloads the active stations and rebuilds its index whenever stations
change (an import, a status change by staff), so at national scale this runs several times a
day in every process while requests are being answered. The database is filled once per size
(the file stays in bench/out/ for the next run; a PostgreSQL URL is filled once too, keyed by the
station codes) with the same synthetic rows as `import_speed.py`.

Printed, from one run: `StationFinder.reload()` wall time; the longest stall of the event loop
during it (a 1 ms ticker runs beside it: a stall is time when no request could be answered); the
process's resident memory before, at its peak (sampled every 5 ms) and after. Baseline from the
same run: `StationIndex.build` on the same stations already in memory, the part any design must
pay.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_speed import arguments, generate
from sqlalchemy import func, select

from core import Database, Settings
from core.clock import SystemClock
from core.store import MemoryStore
from locations import Station, StationFinder, StationIndex, upsert_stations
from locations._import import read_station_file

OUT = Path(__file__).resolve().parent / "out"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class PeakRss:
    """Samples resident memory in a thread while the block runs."""

    def __enter__(self) -> PeakRss:
        self.peak, self._stop = rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


async def fill(db: Database, rows: int) -> None:
    async with db.session() as session:
        have = (await session.execute(select(func.count()).select_from(Station))).scalar_one()
    if have >= rows:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stations.csv"
        generate(path, rows)
        result = await read_station_file(path, settings=Settings(geocoder="none"))
        await upsert_stations(db, result.stations, source="bench")


async def stalls_during(work: asyncio.Future[None]) -> float:
    """The longest gap (ms) between ticks of a 1 ms ticker while `work` runs."""
    longest, last = 0.0, time.perf_counter()
    while not work.done():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    return longest * 1000


async def main(rows: int, database_url: str | None, runs: int) -> None:
    OUT.mkdir(exist_ok=True)
    url = database_url or f"sqlite+aiosqlite:///{OUT / f'reload-{rows}.db'}"
    db = Database(url)
    await db.upgrade()
    try:
        t = time.perf_counter()
        await fill(db, rows)
        print(
            f"# {rows:,} stations in {url.split('://')[0]} (ready in {time.perf_counter() - t:.0f} s)"
        )
        finder = StationFinder(db, MemoryStore(), SystemClock())
        print(
            "| run | reload s | longest loop stall ms | RSS before MB | peak MB | after MB |"
            " index build alone s |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        reloads, stalls, builds = [], [], []
        for run in range(1, runs + 1):
            gc.collect()
            before = rss_mb()
            with PeakRss() as peak:
                t = time.perf_counter()
                work = asyncio.ensure_future(finder.reload())
                stall = await stalls_during(work)
                await work
                reload = time.perf_counter() - t
            after = rss_mb()
            t = time.perf_counter()
            StationIndex.build(finder.index.stations)  # the same stations, already in memory
            build = time.perf_counter() - t
            print(
                f"| {run} | {reload:.2f} | {stall:.0f} | {before:.0f} | {peak.peak:.0f} | "
                f"{after:.0f} | {build:.2f} |",
                flush=True,
            )
            reloads.append(reload)
            stalls.append(stall)
            builds.append(build)
        print(
            f"median: reload {statistics.median(reloads):.2f} s, longest stall "
            f"{statistics.median(stalls):.0f} ms, index build alone "
            f"{statistics.median(builds):.2f} s"
        )
    finally:
        await db.close()


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.database_url, args.runs))
