"""Import of a list where a share of the rows has an address and no coordinates, geocoded
against the fake Amap or Tencent (tests/fakes/geocoder.py) enforcing the provider's per-second
quota, as the real service does.

    .venv/bin/python bench/geocode_import.py                       # 3,000 rows, 20 %, amap
    .venv/bin/python bench/geocode_import.py --provider tencent --rows 3000 --share 0.2

Prints the wall time of read + validate + geocode, the requests the fake saw, how many it
refused for going over the quota (the goal: none), and the baseline from the same run: the
time the quota itself needs (addresses / QPS). A second run with the store's cache warm shows
what re-importing the fixed list costs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import MemoryStore, Settings
from locations import Point, from_wgs84
from locations._geocode import DEFAULT_QPS
from locations._import import read_station_file
from tests.fakes.geocoder import FakeGeocoder, MapPlace

LEAGUE, COUNTY = "呼和浩特市", "新城区"


def write_list(path: Path, rows: int, share: float) -> list[tuple[str, float, float]]:
    """The CSV; returns the address-only rows' (address, lat, lng) in WGS-84."""
    every = round(1 / share) if share else 0
    lines = ["编码,名称,地址,盟市,旗县区,纬度,经度,开放时间"]
    geocoded = []
    for i in range(rows):
        lat, lng = 40.70 + (i % 100) * 0.002, 111.55 + (i // 100) * 0.002
        address = f"新华大街{i}号"
        if every and i % every == 0:
            geocoded.append((address, lat, lng))
            lines.append(f"G{i},驿站{i},{address},{LEAGUE},{COUNTY},,,每天 8:00-20:00")
        else:
            lines.append(f"G{i},驿站{i},{address},{LEAGUE},{COUNTY},{lat:.6f},{lng:.6f},24/7")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return geocoded


async def main(rows: int, share: float, provider: str) -> None:
    qps = DEFAULT_QPS[provider]
    fake = await FakeGeocoder(key="bench-key", qps=qps).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "list.csv"
            for address, lat, lng in write_list(path, rows, share):
                level: str | int = "门牌号" if provider == "amap" else 9
                place = MapPlace(*from_wgs84(Point(lat, lng), "gcj02"), level=level)
                if provider == "amap":
                    fake.amap[COUNTY + address] = [place]
                else:
                    fake.tencent[LEAGUE + COUNTY + address] = place
            settings = Settings(  # type: ignore[call-arg]
                geocoder=provider,
                amap_key="bench-key",
                tencent_map_key="bench-key",
                amap_api_base=fake.base_url,
                tencent_map_api_base=fake.base_url,
            )
            store = MemoryStore()
            addresses = 0
            for label in ("cold cache", "warm cache (re-import)"):
                asked_before = len(fake.requests)
                t0, c0 = time.perf_counter(), time.process_time()
                result = await read_station_file(path, settings=settings, cache=store)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                assert not result.problems, result.problems[:3]
                addresses = sum(1 for s in result.stations if s.geocoded_by)
                asked = len(fake.requests) - asked_before
                print(
                    f"{provider} {label}: {rows:,} rows, {addresses:,} geocoded, {asked:,} requests, "
                    f"{fake.over_quota} refused over quota, wall {wall:.1f} s (cpu {cpu:.1f} s)"
                )
            floor = addresses / qps
            print(f"baseline: {addresses:,} addresses at the quota of {qps:g}/s need {floor:.1f} s")
    finally:
        await fake.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--provider", choices=["amap", "tencent"], default="amap")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.share, args.provider))
