"""Index build time and resident memory, each size in a fresh process.

    .venv/bin/python bench/index_build.py                # 200,000 and 1,000,000 stations

Each size runs in its own child process (so memory is not inherited from the previous one) that
imports the server's modules (yizhan.app, locations; what a `yizhan serve` process holds), makes the
synthetic stations and keeps them as the server does (`StationColumns`, the records dropped),
then builds the index. It reports the build time (median of 3) and the resident set size
(VmRSS, and the peak VmHWM) after imports, after the stations, after the index. The baseline
in the same run is the stations alone: what any index must keep anyway.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def rss_mb() -> tuple[float, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def child(size: int) -> None:
    sys.path[:0] = [str(HERE.parent), str(HERE)]
    from synth import iter_stations

    import yizhan.app  # noqa: F401  (the server's import footprint)
    from locations import StationColumns, StationIndex

    after_imports = rss_mb()[0]
    records = StationColumns.of(iter_stations(size))
    after_records = rss_mb()[0]
    times = []
    index = None
    for _ in range(3):
        index = None  # drop the previous one first, as the finder's swap lets it go
        started = time.perf_counter()
        index = StationIndex.build(records)
        times.append(time.perf_counter() - started)
    rss, peak = rss_mb()
    assert index is not None
    print(
        json.dumps(
            {
                "size": size,
                "build_s": statistics.median(times),
                "builds": times,
                "imports_mb": after_imports,
                "records_mb": after_records - after_imports,
                "index_mb": rss - after_records,
                "rss_mb": rss,
                "peak_mb": peak,
                "indexed": len(index),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(
        "| stations | build p50 s (3 runs) | imports MB | records MB | index MB | "
        "RSS MB | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"| {r['size']:,} | {r['build_s']:.2f} ({', '.join(f'{t:.2f}' for t in r['builds'])})"
            f" | {r['imports_mb']:.0f} | {r['records_mb']:.0f} | {r['index_mb']:.0f}"
            f" | {r['rss_mb']:.0f} | {r['peak_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
