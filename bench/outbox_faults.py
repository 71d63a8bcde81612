"""Staff cards through the outbox while the Bot API fails half its calls.

    .venv/bin/python bench/outbox_faults.py                      # concurrency 4 (old) and 32
    .venv/bin/python bench/outbox_faults.py --concurrency 32 --cards 900 --seconds 90
    .venv/bin/python bench/outbox_faults.py --database-url postgresql://postgres@127.0.0.1/test

Two processes on loopback:
- a faulty Bot API (`sendMessage` only). Half its calls fail, in equal parts: HTTP 500, 429
  with `retry_after` 1-5 s, a 15 s hang that never answers (the client's 10 s timeout cuts it),
  a dropped connection. Two chats are broken for good: one always hangs, one always answers
  429 with `retry_after` 40 s (longer than the client waits, so the row goes back to the outbox).
  It records each call's arrival time and chat, and each accepted card;
- this process: the production sending path (`build_services`, the wired Telegram notice
  sender with its rate limiter, the outbox dispatcher) on a fresh SQLite file (or a
  PostgreSQL schema, dropped at the end), with `--cards` staff cards queued at once to
  `--chats` healthy chats (half of them groups) plus the two broken ones.

Each `--concurrency` runs in turn on its own database with the same cards and the same seed.
Printed per run: cards delivered to healthy chats and the rate (over the time it took to
deliver 90 % of them, and over the whole window), duplicates (a card accepted twice), the
most calls Telegram saw in any second overall and in any minute to one group (limits 30 and
20), and this process's CPU per delivered card.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOKEN = "1:faults"
HANGS, THROTTLED = "-100999", "-100998"  # the two chats that never work


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the faulty Bot API (its own process) -------------------------------------------------------


def serve_faulty(port: int, seed: int) -> None:
    import logging

    from aiohttp import web

    logging.disable(logging.CRITICAL)  # dropped connections make aiohttp log; not news here
    fate = random.Random(seed)
    calls: list[tuple[float, str]] = []  # (arrival, chat) of every call, failed ones too
    accepted: Counter[str] = Counter()  # card text -> times accepted
    accepted_at: list[tuple[float, str]] = []  # (time, chat) of accepted cards
    counter = {"message_id": 0}

    async def send(request: web.Request) -> web.StreamResponse:
        params: dict[str, Any] = await request.json()
        chat = str(params.get("chat_id"))
        calls.append((time.monotonic(), chat))
        roll = fate.random()
        if chat == THROTTLED or (0.5 <= roll < 0.625):
            retry_after = 40 if chat == THROTTLED else fate.randint(1, 5)
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status=429,
            )
        if chat == HANGS or (0.625 <= roll < 0.75):
            await asyncio.sleep(15)
            assert request.transport is not None
            request.transport.abort()
            return web.Response()
        if 0.75 <= roll < 0.875:
            assert request.transport is not None
            request.transport.abort()  # a dropped connection
            return web.Response()
        if roll >= 0.875:
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                status=500,
            )
        text = str(params.get("text"))
        accepted[text] += 1
        accepted_at.append((time.monotonic(), chat))
        counter["message_id"] += 1
        return web.json_response(
            {"ok": True, "result": {"message_id": counter["message_id"], "text": text}}
        )

    async def stats(request: web.Request) -> web.Response:
        since = float(request.query.get("since", "0"))
        mine = [(t, c) for t, c in calls if t >= since]
        per_group: dict[str, list[float]] = defaultdict(list)
        for t, c in mine:
            if c.startswith("-"):
                per_group[c].append(t)
        return web.json_response(
            {
                "now": time.monotonic(),
                "calls": len(mine),
                "most_in_a_second": most_in_window([t for t, _ in mine], 1.0),
                "most_to_a_group_in_a_minute": max(
                    (most_in_window(ts, 60.0) for ts in per_group.values()), default=0
                ),
                "accepted": [[t, c] for t, c in accepted_at if t >= since],
                "duplicates": sum(n - 1 for n in accepted.values() if n > 1),
            }
        )

    async def now(request: web.Request) -> web.Response:
        return web.json_response({"now": time.monotonic()})

    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", send)
    app.router.add_get("/stats", stats)
    app.router.add_get("/now", now)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def most_in_window(times: list[float], window: float) -> int:
    """The most events in any `window` seconds (two pointers over the sorted times)."""
    ordered, best, start = sorted(times), 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


# -- one run: the production sending path --------------------------------------------------------


async def get(url: str) -> Any:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return await resp.json()


async def one_run(args: argparse.Namespace, api: str, concurrency: int) -> dict[str, Any]:
    from pydantic import SecretStr

    from core import Settings
    from core.notices import TELEGRAM, Notice, Recipient, send_notice
    from yizhan.wiring import build_channels, build_services, register_senders

    workdir = Path(tempfile.mkdtemp(prefix="yz-faults-"))
    schema = f"bench_faults_{os.getpid()}_{concurrency}"
    url = args.database_url or f"sqlite:///{workdir / 'faults.db'}"
    settings = Settings(
        database_url=url,
        database_schema=schema if url.startswith("postgres") else None,
        redis_url=None,
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_base=api,
        outbox_concurrency=concurrency,
    )
    services = build_services(settings)
    sent_at: list[float] = []  # when each request left this process (httpx's request hook)

    async def leaving(_request: object) -> None:
        sent_at.append(time.monotonic())

    services.http.event_hooks["request"].append(leaving)
    await services.start(finder=False)
    register_senders(services, build_channels(services))
    chats = [f"-100{n:04d}" if n % 2 else str(500_000 + n) for n in range(args.chats)]
    run = f"c{concurrency}-{os.getpid()}"  # card texts unique per run: duplicates are per run
    cards = [(chats[n % len(chats)], f"新求助 {run} #{n}（法律援助）") for n in range(args.cards)]
    broken = [(chat, f"新求助 {run} {chat}-{n}") for chat in (HANGS, THROTTLED) for n in range(3)]
    async with services.db.transaction() as session:
        for number, (chat, text) in enumerate(broken + cards):
            await send_notice(session, Recipient(TELEGRAM, chat), Notice(text), f"bench:{number}")
    started = (await get(f"{api}/now"))["now"]
    cpu = time.process_time()
    services.outbox.start()
    healthy = set(chats)
    while True:
        await asyncio.sleep(1)
        stats = await get(f"{api}/stats?since={started}")
        done = [t for t, c in stats["accepted"] if c in healthy]
        if len(done) >= len(cards) or stats["now"] - started > args.seconds:
            break
    cpu = time.process_time() - cpu
    await services.close()
    if settings.database_schema:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(settings.database_url)
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await engine.dispose()
    elapsed = [t - started for t in sorted(done)]
    nine_tenths = elapsed[int(0.9 * len(cards)) - 1] if len(elapsed) >= 0.9 * len(cards) else None
    return {
        "concurrency": concurrency,
        "delivered": len(done),
        "cards": len(cards),
        "window": stats["now"] - started,
        "rate_90": 0.9 * len(cards) / nine_tenths if nine_tenths else None,
        "rate_all": len(done) / (stats["now"] - started),
        "duplicates": stats["duplicates"],
        "calls": stats["calls"],
        "most_in_a_second": stats["most_in_a_second"],
        "most_sent_in_a_second": most_in_window(sent_at, 1.0),
        "most_to_a_group_in_a_minute": stats["most_to_a_group_in_a_minute"],
        "cpu_ms_per_card": cpu / max(1, len(done)) * 1e3,
    }


async def run(args: argparse.Namespace) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    me = str(Path(__file__).resolve())
    server = subprocess.Popen(
        [sys.executable, me, "--role", "faulty", "--port", str(port), "--seed", str(args.seed)]
    )
    try:
        for _ in range(100):
            try:
                await get(f"{api}/now")
                break
            except OSError:
                await asyncio.sleep(0.1)
        print(
            f"{args.cards} cards to {args.chats} healthy chats (half groups) + 2 broken chats; "
            f"half the Bot API calls fail; database {(args.database_url or 'sqlite').split(':')[0]}"
        )
        print(
            f"{'conc':>5} | {'delivered':>9} {'90% rate':>9} {'overall':>8} | {'dups':>4} "
            f"{'calls':>6} {'max/s':>5} {'sent':>4} {'max/group/min':>13} | {'CPU/card':>8}"
        )
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            r = await one_run(args, api, concurrency)
            rate_90 = f"{r['rate_90']:.1f}/s" if r["rate_90"] else "—"
            print(
                f"{concurrency:>5} | {r['delivered']:>4}/{r['cards']:<4} {rate_90:>9} "
                f"{r['rate_all']:>6.1f}/s | {r['duplicates']:>4} {r['calls']:>6} "
                f"{r['most_in_a_second']:>5} {r['most_sent_in_a_second']:>4} "
                f"{r['most_to_a_group_in_a_minute']:>13} | "
                f"{r['cpu_ms_per_card']:>6.2f}ms",
                flush=True,
            )
            if args.json:
                print(json.dumps(r))
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role", choices=("bench", "faulty"), default="bench")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--concurrency", default="4,32")
    parser.add_argument("--cards", type=int, default=600)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.role == "faulty":
        serve_faulty(args.port, args.seed)
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
