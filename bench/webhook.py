"""Telegram webhook under load: location updates at rising concurrency, beside a bare handler.

    .venv/bin/python bench/webhook.py                        # 200,000 stations, SQLite + memory
    .venv/bin/python bench/webhook.py --levels 1,10,100 --requests 3000
    .venv/bin/python bench/webhook.py --database-url postgresql://postgres@127.0.0.1/test \\
        --redis-url redis://127.0.0.1:6379/0

Three processes on loopback: the real app (`yizhan.app.create_app`, every surface, the outbox
dispatcher running) with N synthetic stations, a bare aiohttp server whose one handler returns a
body of exactly the webhook's answer size, and a minimal fake Bot API that the outbox delivers
to. This process is the load generator: for each concurrency level it sends the same number of
location updates (distinct update ids and users, clustered around the city centres) to the app,
then the same number of requests to the bare server, and prints p50/p99 latency and requests
per second for both, and how long the outbox took to deliver the replies.

The stations are put straight into the app's finder index (built from `bench/synth.py`) rather
than imported into the database, to keep set-up short; the request path is the production one:
secret check, update claim in the store, conversation (user lock, state, nearest open search,
formatting), replies committed to the outbox, "done" mark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SECRET = "bench-secret"
TOKEN = "1:bench"
ANSWER = json.dumps({"ok": True, "outcome": "handled"}, ensure_ascii=False).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the three servers (each runs in its own process) -------------------------------------------


def serve_bare(port: int) -> None:
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=ANSWER, content_type="application/json")

    app = web.Application()
    app.router.add_post("/telegram/webhook", handler)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_telegram(port: int) -> None:
    from aiohttp import web

    sent = {"n": 0}

    async def method(request: web.Request) -> web.Response:
        await request.read()
        sent["n"] += 1
        return web.json_response({"ok": True, "result": {"message_id": sent["n"]}})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(sent)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_app(port: int, stations: int) -> None:
    import gc
    import logging

    from aiohttp import web
    from synth import stations as synth_stations

    from core import get_settings
    from locations import StationColumns, StationIndex
    from yizhan.app import create_app
    from yizhan.wiring import build_services

    logging.basicConfig(level=logging.WARNING)
    context = build_services(get_settings())
    app = create_app(context)

    async def inject(app: web.Application) -> None:
        listed = StationColumns.of(synth_stations(stations))
        index = await asyncio.to_thread(StationIndex.build, listed)
        finder = context.finder
        finder._index, finder._listed = index, listed  # see module doc
        gc.freeze()  # as StationFinder.reload does after loading a large index

    app.on_startup.append(inject)  # after the context started (cleanup_ctx runs first)
    profile = os.environ.get("WEBHOOK_BENCH_PROFILE")  # a path: write cProfile stats there
    if profile:
        # Only the measured load: the load generator sends SIGUSR1 before each level's webhook
        # requests and SIGUSR2 after them (start-up and the health polls stay out of it).
        import cProfile

        profiler = cProfile.Profile()

        def stop_and_write(*_: object) -> None:
            profiler.disable()
            profiler.dump_stats(profile)

        signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
        signal.signal(signal.SIGUSR2, stop_and_write)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# -- the load generator ------------------------------------------------------------------------


def cpu_seconds(pid: int, *, loop_only: bool = False) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc): every thread's, or
    with `loop_only` its main thread's (where the event loop runs)."""
    stat = f"/proc/{pid}/task/{pid}/stat" if loop_only else f"/proc/{pid}/stat"
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def wait_ready(url: str, *, timeout: float = 300.0, want_stations: int = 0) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as resp:
                    if resp.status < 500:
                        body = await resp.json(content_type=None) if want_stations else {}
                        if not want_stations or body.get("stations", 0) >= want_stations:
                            return
            except (aiohttp.ClientError, ValueError):
                pass
            await asyncio.sleep(0.3)
    raise SystemExit(f"server at {url} did not come up")


async def load(url: str, bodies: list[bytes], concurrency: int) -> tuple[list[float], float, int]:
    """Send every body with `concurrency` requests in flight; latencies, wall time, failures."""
    import aiohttp

    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    latencies: list[float] = []
    failures = 0
    position = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal position, failures
            while position < len(bodies):  # bounded: every body is sent once
                body = bodies[position]
                position += 1
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    answer = await resp.read()
                    if resp.status != 200 or answer != ANSWER:
                        failures += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, wall, failures


def updates(first_id: int, count: int, users: int = 20_000) -> list[bytes]:
    from synth import queries

    points = queries(count, seed=first_id)
    out = []
    for i, point in enumerate(points):
        user = 10_000 + (first_id + i * 7919) % users
        out.append(
            json.dumps(
                {
                    "update_id": first_id + i,
                    "message": {
                        "message_id": first_id + i,
                        "date": 1764000000,
                        "from": {
                            "id": user,
                            "is_bot": False,
                            "first_name": "师傅",
                            "language_code": "zh",
                        },
                        "chat": {"id": user, "type": "private"},
                        "location": {"latitude": point.lat, "longitude": point.lng},
                    },
                }
            ).encode()
        )
    return out


async def delivered(telegram: str) -> int:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"{telegram}/stats") as resp:
        return int((await resp.json())["n"])


async def run(args: argparse.Namespace) -> None:
    levels = [int(x) for x in args.levels.split(",")]
    ports = {name: free_port() for name in ("app", "bare", "telegram")}
    workdir = Path(tempfile.mkdtemp(prefix="yz-bench-"))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'bench.db'}",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=f"http://127.0.0.1:{ports['telegram']}",
        LOG_LEVEL="WARNING",
        REDIS_PREFIX=f"bench:{os.getpid()}:",
    )
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)
    schema = f"bench_{os.getpid()}"  # PostgreSQL: tables of this run only, dropped at the end
    if env["DATABASE_URL"].startswith("postgres"):
        env["DATABASE_SCHEMA"] = schema
    me = str(Path(__file__).resolve())
    procs = [
        subprocess.Popen(
            [sys.executable, me, "--role", "telegram", "--port", str(ports["telegram"])], env=env
        ),
        subprocess.Popen(
            [sys.executable, me, "--role", "bare", "--port", str(ports["bare"])], env=env
        ),
        subprocess.Popen(
            [
                sys.executable,
                me,
                "--role",
                "app",
                "--port",
                str(ports["app"]),
                "--stations",
                str(args.stations),
            ],
            env=env,
            cwd=workdir,
        ),
    ]
    app_url = f"http://127.0.0.1:{ports['app']}"
    telegram = f"http://127.0.0.1:{ports['telegram']}"
    try:
        await wait_ready(f"{telegram}/stats")
        await wait_ready(f"http://127.0.0.1:{ports['bare']}/healthz")
        await wait_ready(f"{app_url}/healthz", want_stations=args.stations)
        print(
            f"{args.stations:,} stations; {args.requests:,} requests per level; "
            f"database {env['DATABASE_URL'].split(':')[0]}, "
            f"store {'redis' if args.redis_url else 'memory'}"
        )
        await load(f"{app_url}/telegram/webhook", updates(1, 200), 10)  # warm-up
        await load(f"http://127.0.0.1:{ports['bare']}/telegram/webhook", updates(1, 200), 10)
        # CPU per request of each server process (all its threads, the outbox dispatcher's
        # deliveries included for the app): steadier than req/s on a machine shared with
        # other work, and it shows where a request's cost is without the load generator's.
        print(
            f"{'conc':>5} | {'webhook p50':>11} {'p99':>8} {'req/s':>7} {'CPU/req':>8} {'loop':>8} | "
            f"{'bare p50':>8} {'p99':>8} {'req/s':>7} {'CPU/req':>8} | {'ratio':>5} | fails"
        )
        next_id = 1_000
        for level in levels:
            bodies = updates(next_id, args.requests)
            next_id += args.requests
            profiling = "WEBHOOK_BENCH_PROFILE" in env
            if profiling:
                procs[2].send_signal(signal.SIGUSR1)
            cpu, cpu_loop = cpu_seconds(procs[2].pid), cpu_seconds(procs[2].pid, loop_only=True)
            lat_app, wall_app, fail_app = await load(f"{app_url}/telegram/webhook", bodies, level)
            cpu_app = (cpu_seconds(procs[2].pid) - cpu) / len(bodies)
            cpu_loop = (cpu_seconds(procs[2].pid, loop_only=True) - cpu_loop) / len(bodies)
            if profiling:
                procs[2].send_signal(signal.SIGUSR2)
            cpu = cpu_seconds(procs[1].pid)
            lat_bare, wall_bare, fail_bare = await load(
                f"http://127.0.0.1:{ports['bare']}/telegram/webhook", bodies, level
            )
            cpu_bare = (cpu_seconds(procs[1].pid) - cpu) / len(bodies)
            rps_app, rps_bare = len(bodies) / wall_app, len(bodies) / wall_bare
            print(
                f"{level:>5} | {pct(lat_app, 0.5) * 1e3:>9.2f}ms {pct(lat_app, 0.99) * 1e3:>6.2f}ms"
                f" {rps_app:>7.0f} {cpu_app * 1e6:>6.0f}µs {cpu_loop * 1e6:>6.0f}µs | {pct(lat_bare, 0.5) * 1e3:>6.2f}ms"
                f" {pct(lat_bare, 0.99) * 1e3:>6.2f}ms {rps_bare:>7.0f} {cpu_bare * 1e6:>6.0f}µs |"
                f" {rps_app / rps_bare:>5.2f} | {fail_app}/{fail_bare}"
            )
        # Every handled update queued a venue and a details message. Delivery is held to
        # Telegram's ~30 messages/s by the client, so measure its rate, not its completion.
        expected = 2 * (200 + next_id - 1_000)
        before, cpu = await delivered(telegram), cpu_seconds(procs[2].pid)
        await asyncio.sleep(5)
        after, cpu = await delivered(telegram), cpu_seconds(procs[2].pid) - cpu
        print(
            f"outbox: {after:,} of {expected:,} Bot API calls delivered so far, "
            f"{(after - before) / 5:.0f}/s (the client keeps to Telegram's 30/s), "
            f"{cpu / max(1, after - before) * 1e3:.2f} ms of app CPU per call"
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        if "DATABASE_SCHEMA" in env:
            await drop_schema(env["DATABASE_URL"], schema)


async def drop_schema(url: str, schema: str) -> None:
    from core import Database, Settings

    database = Database(Settings(database_url=url).database_url)
    async with database.engine.begin() as conn:
        await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role", choices=("bench", "app", "bare", "telegram"), default="bench")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stations", type=int, default=200_000)
    parser.add_argument("--levels", default="1,10,50,100,200")
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    if args.role == "bare":
        serve_bare(args.port)
    elif args.role == "telegram":
        serve_telegram(args.port)
    elif args.role == "app":
        serve_app(args.port, args.stations)
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
