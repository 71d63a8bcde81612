"""Server time of the console's station, coverage and union pages at national scale.

    .venv/bin/python bench/console.py [--stations 200000] [--cases 10000] [--runs 15]

The database (SQLite, bench/out/console-N.db, kept for the next run) holds the test union
directory, `--stations` synthetic stations clustered around the 12 league/city seats (league and
county of each from the nearest county seat, 20 % 最美, 20 % 24-hour, 2 % suspended, 1 %
revoked), `--cases` cases (2 % of them "closed" reports, which the map reads), and the Inner
Mongolia boundaries when the shared data folder is there. The real app (`create_app`) is served
in this process on loopback; a region admin (every station) and a county officer (their
county's) are signed in through the form.

Each page is fetched `--runs` times after one warm-up; printed: median and slowest wall time of
the whole request on loopback (client included, so an upper bound of server time). Baseline from
the same run: the queue (`GET /console/`, a page that was already there, over the same 10,000
cases) and `GET /healthz`. The coverage page is also timed cold: the first request of a process waits for
the count (a worker thread); after a change the page answers at once with the last numbers,
and the script reports how long until the new ones are there and the event loop's longest
stall meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The repository before bench/ (Python puts this file's folder first): this file's name would
# hide the `console` package; `synth` is still found in bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from aiohttp.test_utils import TestClient, TestServer
from scipy.spatial import cKDTree
from sqlalchemy import func, insert, select
from synth import positions

from core import Settings
from handlers import Services
from locations import COUNTIES, Station, StationInput, upsert_stations
from membership import Credentials, parse_union_csv
from referrals import Case, import_boundaries
from yizhan.app import create_app
from yizhan.wiring import build_services

OUT = Path(__file__).resolve().parent / "out"
BOUNDARIES = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "nmg_admin_boundaries.geojson"
)
PASSWORD = "驿站暖心 2026 冬"
HOURS = ("24/7", "Mo-Fr 08:00-20:00; PH off", "Mo-Su 07:00-22:00", "Mo-Sa 08:30-18:00")
SERVICES = ("rest", "drinking_water", "toilet_guidance", "phone_charging", "meal_heating")


def _unions_csv() -> str:
    from tests.unions import UNIONS_CSV

    return UNIONS_CSV


def _stations(n: int) -> list[StationInput]:
    rng = np.random.default_rng(7)
    lat, lng = positions(rng, n)
    seats = cKDTree(np.array([[c.point.lat, c.point.lng] for c in COUNTIES]))
    _, nearest = seats.query(np.column_stack((lat, lng)))
    pick = random.Random(7)
    out = []
    for i in range(n):
        county = COUNTIES[int(nearest[i])]
        roll = pick.random()
        out.append(
            StationInput(
                code=f"C{i:07d}",
                name=f"{county.short_name}合成驿站{i}",
                lat=float(lat[i]),
                lng=float(lng[i]),
                address=f"{county.name}某路{i % 500}号",
                league=county.league,
                county=county.name,
                opening_hours=pick.choice(HOURS),
                services=pick.sample(SERVICES, 3),
                most_beautiful=pick.random() < 0.2,
                smart_24h=pick.random() < 0.2,
                status="revoked" if roll < 0.01 else "suspended" if roll < 0.03 else "active",
            )
        )
    return out


async def _fill(services: Services, stations: int, cases: int) -> None:
    db = services.db
    async with db.session() as session:
        have = (await session.execute(select(func.count()).select_from(Station))).scalar_one()
        have_cases = (await session.execute(select(func.count()).select_from(Case))).scalar_one()
    if not await services.directory.all_unions():
        parsed = parse_union_csv(_unions_csv())
        await services.directory.import_unions(parsed.rows)
        if BOUNDARIES.exists():
            await import_boundaries(db, BOUNDARIES)
    if have < stations:
        t = time.perf_counter()
        await upsert_stations(db, _stations(stations), source="bench")
        print(f"# filled {stations:,} stations in {time.perf_counter() - t:.0f} s")
    if have_cases < cases:
        xc = await services.directory.find_union("HH-XC")
        assert xc is not None
        sealed = services.cipher.encrypt("站里没有热水")  # one token for every row
        now = datetime.now(UTC)
        rows = [
            {
                "number": f"B{i:07d}",
                "kind": "feedback",
                "category": "closed" if i % 50 == 0 else "no_water",
                "station_id": 1 + i % stations,
                "channel": "telegram",
                "worker_ref": str(5000 + i),
                "source_ref": f"bench-{i}",
                "union_id": xc.id,
                "status": "new" if i % 3 else "resolved",
                "sla_due_at": now + timedelta(hours=4),
                "created_at": now - timedelta(minutes=i),
                "updated_at": now,
                "description_enc": sealed,
            }
            for i in range(have_cases, cases)
        ]
        async with db.transaction() as session:
            await session.execute(insert(Case), rows)
        print(f"# filled {cases:,} cases")


async def _staff(services: Services, name: str, login: str, union: str, role: str) -> None:
    credentials = Credentials(services.db, clock=services.clock)
    if await credentials.login_taken(login):
        return
    info, _ = await services.directory.add_staff(name, [union], role=role)
    await credentials.set_password(info.id, login, PASSWORD)


async def _sign_in(client: TestClient, login: str) -> None:
    import re

    client.session.cookie_jar.clear()
    page = await (await client.get("/console/")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    answer = await client.post(
        "/console/login",
        data={"login": login, "password": PASSWORD, "csrf": csrf.group(1)},
        allow_redirects=False,
    )
    assert answer.status == 303, answer.status


async def _time(client: TestClient, path: str, runs: int) -> tuple[float, float, int]:
    answer = await client.get(path)  # warm-up
    await answer.read()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        answer = await client.get(path)
        await answer.read()
        times.append((time.perf_counter() - t) * 1000)
        assert answer.status == 200, (path, answer.status)
    return statistics.median(times), max(times), answer.status


async def main(stations: int, cases: int, runs: int) -> None:
    OUT.mkdir(exist_ok=True)
    url = f"sqlite+aiosqlite:///{OUT / f'console-{stations}.db'}"
    services = build_services(Settings(database_url=url, redis_url=None))
    await services.db.upgrade()
    await _fill(services, stations, cases)
    await _staff(services, "李敏", "bench-region", "NM", "admin")
    await _staff(services, "王芳", "bench-county", "HH-XC", "staff")
    client = TestClient(TestServer(create_app(services)))
    await client.start_server()
    try:
        index = services.finder.index
        print(
            f"# {len(services.finder.listed):,} listed stations, {len(index):,} active; {cases:,} cases"
        )
        some = services.finder.listed[len(services.finder.listed) // 2].id
        xc = await services.directory.find_union("HH-XC")
        assert xc is not None
        rows: list[tuple[str, str, float, float]] = []

        async def measure(who: str, label: str, path: str) -> None:
            median, worst, _ = await _time(client, path, runs)
            rows.append((who, label, median, worst))
            print(
                f"  {who:6} {label:42} median {median:7.1f} ms, slowest {worst:7.1f} ms", flush=True
            )

        await _sign_in(client, "bench-region")
        # Coverage is counted in a worker thread once per station index: the first request of
        # a process waits for it; after a change pages show the last numbers until it is done.
        t = time.perf_counter()
        await (await client.get("/console/coverage")).read()
        print(
            f"  coverage, first request of the process: {(time.perf_counter() - t) * 1000:.0f} ms"
        )
        await services.finder.reload()  # a new index, as after any change
        t = time.perf_counter()
        stale = await (await client.get("/console/coverage")).text()
        assert "驿站刚有变动" in stale
        print(
            f"  coverage right after a change (last numbers): {(time.perf_counter() - t) * 1000:.0f} ms"
        )
        longest, last, ticks = 0.0, time.perf_counter(), 0
        while "驿站刚有变动" in stale:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now
            ticks += 1
            if ticks % 200 == 0:
                stale = await (await client.get("/console/coverage")).text()
        print(
            f"  coverage fresh again after {(time.perf_counter() - t):.1f} s; longest event-loop "
            f"stall meanwhile {longest * 1000:.0f} ms"
        )
        await measure("region", "baseline: GET /healthz", "/healthz")
        await measure("region", "baseline: queue GET /console/", "/console/")
        await measure("region", "stations table, page 1", "/console/stations")
        await measure("region", "stations table, page 2000", "/console/stations?page=2000")
        await measure(
            "region", "stations search 合成驿站12345", "/console/stations?q=合成驿站12345"
        )
        await measure("region", "stations search 新城 (many)", "/console/stations?q=新城")
        await measure("region", "station page", f"/console/stations/{some}")
        await measure("region", "station edit form", f"/console/stations/{some}/edit")
        await measure(
            "region", "hours preview JSON", "/console/stations/hours.json?text=周一至周五8点到18点"
        )
        await measure(
            "region",
            "map JSON, Hohhot city view",
            "/console/map/stations.json?bbox=40.75,111.55,40.90,111.80",
        )
        await measure(
            "region",
            "map JSON, whole region (capped)",
            "/console/map/stations.json?bbox=37,97,54,127",
        )
        await measure("region", "map boundaries JSON", "/console/map/boundaries.json")
        await measure("region", "coverage page (warm)", "/console/coverage")
        await measure("region", "coverage gaps JSON (warm)", "/console/map/gaps.json")
        await measure("region", "unions page", "/console/unions")
        await measure("region", "union page", f"/console/unions/{xc.id}")
        await _sign_in(client, "bench-county")
        await measure("county", "baseline: queue GET /console/", "/console/")
        await measure("county", "stations table, page 1 (one county)", "/console/stations")
        await measure("county", "coverage page (warm)", "/console/coverage")
        await measure(
            "county",
            "map JSON, Hohhot city view",
            "/console/map/stations.json?bbox=40.75,111.55,40.90,111.80",
        )
        print()
        print("| who | page | median ms | slowest ms |")
        print("|---|---|---:|---:|")
        for who, label, median, worst in rows:
            print(f"| {who} | {label} | {median:.1f} | {worst:.1f} |")
    finally:
        await client.close()
        await services.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=200_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.stations, args.cases, args.runs))
