"""The outbox dispatcher's CPU per delivered row, alone (no HTTP, no webhook load).

    .venv/bin/python bench/outbox_cpu.py                 # this tree, 300 rows
    .venv/bin/python bench/outbox_cpu.py --tree /tmp/old-checkout --rows 600

`--tree` runs the code of another checkout (e.g. `git archive <commit> | tar -x -C DIR`, with
the compiled `locations/_kernel*.so` copied in), so two commits compare in one sitting.
`--rows` rows queued to as many chats on a fresh SQLite file; the sender waits for the
Telegram client's rate limiter (30 calls a second, as the real one does) and 2 ms, then
succeeds. Printed: rows, wall time, and this process's CPU (every thread: the event loop and
SQLite's writer) per delivered row. `--profile` adds a cProfile of the delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path


async def measure(rows: int, profile: bool) -> None:
    from core.db import Database
    from core.outbox import Dispatcher, NewMessage, OutboxMessage, enqueue_many
    from integrations.telegram import RateLimiter

    db = Database(f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'outbox.db'}")
    await db.upgrade()
    text = "离您最近的开放驿站：新城区总工会驿站 350 米，步行 5 分钟。" * 4
    async with db.transaction() as session:
        await enqueue_many(
            session,
            [
                NewMessage("telegram_replies", str(1000 + n), {"calls": [{"text": text}]})
                for n in range(rows)
            ],
        )
    limiter = RateLimiter()

    async def send(message: OutboxMessage) -> dict[str, int]:
        await limiter.wait(message.recipient)
        await asyncio.sleep(0.002)
        return {"message_id": 1}

    dispatcher = Dispatcher(db)
    dispatcher.register("telegram_replies", send)
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.monotonic()
    if profiler:
        profiler.enable()
    dispatcher.start()
    while dispatcher.delivered < rows:
        await asyncio.sleep(0.1)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    print(f"{rows} rows delivered in {wall:.1f} s, {cpu / rows * 1e3:.2f} ms of CPU per row")
    await dispatcher.stop()
    await db.close()
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, args.tree)
    asyncio.run(measure(args.rows, args.profile))


if __name__ == "__main__":
    main()
