"""A real kill of the dispatcher process (`python -m core outbox run`) while staff chats misbehave.

The story, on SQLite and on PostgreSQL (the `backend` fixture's isolation: the subprocess gets
the same database file, or the same PostgreSQL schema through DATABASE_SCHEMA):

1. Workers submit legal-aid cases through the referrals service; a case is acknowledged when
   `submit` gave it a tracking number. Each case's county union has two staff chats, a Telegram
   group and a WeCom robot, both served by `tests.fakes.flaky_chats` on loopback: half of the
   calls fail (502s and each service's rate-limit answer) and some are slow.
2. A dispatcher subprocess with a short lease delivers until a few cards are through; then the
   chats hold their answers, and once every answer already given is recorded as sent in the
   database and at least one request is waiting for its answer, the process gets SIGKILL.
3. The held calls lose their caller: the fake counts a message as accepted only when its answer
   reached a live connection, so these count as not delivered, which is all the dead process
   could know of them too.
4. A new dispatcher subprocess takes over the rows the dead one had claimed once their lease ran
   out, and delivers everything through the same faults.
5. Every acknowledged case reached each of its two staff chats exactly once, and nothing else did.

What this proves: the outbox loses nothing when its process dies with deliveries in flight and
claimed rows, resumes them after the lease, retries through 5xx and rate limits, and never
delivers a row the chat already accepted and we recorded.

What it cannot prove, by design: the window between a chat accepting a message and our commit of
"sent" (microseconds to milliseconds per message). A kill inside it re-sends that message after
the lease, and no chat API offers an idempotency key to prevent it. The test waits for the
database to catch up before killing, so it never kills inside that window; a duplicate here
therefore means a real bug, not bad luck.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from core import Settings
from core.outbox import OutboxMessage
from handlers import Services
from locations import Point
from membership import UnionRow, import_unions
from referrals import NewCase
from tests.fakes.flaky_chats import FlakyChats

SAIHAN = Point(40.8070, 111.7010)  # 赛罕区 (WGS-84), inside Hohhot
XINCHENG = Point(40.8580, 111.6650)  # 新城区
CHATS = {  # county → its union's staff chats, as (outbox kind, address)
    "赛罕区": (("telegram", "-1001"), ("wecom", "robot-saihan")),
    "新城区": (("telegram", "-1002"), ("wecom", "robot-xincheng")),
}
CASES = 10
FIRST_LEASE = 3.0  # short, so the take-over starts soon after the kill
SOME_DELIVERED = 4  # kill once this many cards are through (or soon after the first call)


async def _directory(ctx: Services) -> None:
    await import_unions(
        ctx.db,
        [
            UnionRow(name="内蒙古自治区总工会", level="region", adcode="150000", key="region"),
            UnionRow(
                name="呼和浩特市总工会",
                level="league",
                league="呼和浩特市",
                adcode="150100",
                key="hohhot",
                parent="region",
            ),
            UnionRow(
                name="赛罕区总工会",
                level="county",
                league="呼和浩特市",
                county="赛罕区",
                adcode="150105",
                key="saihan",
                parent="hohhot",
                telegram_chat_id="-1001",
                wecom_robot_key="robot-saihan",
            ),
            UnionRow(
                name="新城区总工会",
                level="county",
                league="呼和浩特市",
                county="新城区",
                adcode="150102",
                key="xincheng",
                parent="hohhot",
                telegram_chat_id="-1002",
                wecom_robot_key="robot-xincheng",
            ),
        ],
    )


def _environment(ctx: Services, chats: FlakyChats) -> dict[str, str]:
    """The subprocess's settings: the test's database and store, the fakes, quick retries."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ours and not k.startswith(("OUTBOX_", "WECOM_"))
    }
    env.update(
        {
            "DATABASE_URL": ctx.db.url,
            "TELEGRAM_BOT_TOKEN": chats.token,
            "TELEGRAM_API_BASE": chats.base_url,
            "WECOM_API_BASE": chats.base_url,
            "WECOM_FREQ_WAIT": "0.5",  # the robot's "wait a minute", shortened
            "OUTBOX_BASE_DELAY": "0.05",
            "OUTBOX_MAX_DELAY": "0.5",
            "OUTBOX_POLL_SECONDS": "0.05",
            "LOG_LEVEL": "INFO",
        }
    )
    if ctx.db.schema:
        env["DATABASE_SCHEMA"] = ctx.db.schema
    if ctx.settings.redis_url:
        env["REDIS_URL"] = ctx.settings.redis_url
        env["REDIS_PREFIX"] = ctx.settings.redis_prefix
    return env


async def _dispatcher(env: dict[str, str], lease: float, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "core",
            "outbox",
            "run",
            env=env | {"OUTBOX_LEASE_SECONDS": str(lease)},
            cwd=log.parent,  # no stray .env
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )


async def _rows(ctx: Services) -> list[OutboxMessage]:
    async with ctx.db.session() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def _until(check: Callable[[], object], timeout: float, what: str, log: Path) -> None:
    """Poll `check` (sync or async) until it is true; fail with the dispatcher's log if not."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                got = check()
                if asyncio.iscoroutine(got):
                    got = await got
                if got:
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}") from None


async def test_killed_dispatcher_delivers_every_case_once_to_each_chat(
    backend: Callable[..., Services], tmp_path: Path
) -> None:
    ctx = backend()
    await ctx.start()
    chats = await FlakyChats().start()
    log = tmp_path / "dispatchers.log"
    processes: list[asyncio.subprocess.Process] = []
    try:
        await _directory(ctx)
        service = ctx.referrals
        county_of: dict[str, str] = {}  # acknowledged tracking number → county
        card_of: dict[str, str] = {}  # tracking number → its staff card's outbox key
        for n in range(CASES):
            got = await service.submit(
                NewCase(
                    kind="legal_aid",
                    category="unpaid_wages",
                    channel="telegram",
                    worker_ref=f"tg-{n}",
                    description=f"老板拖欠工资，第{n}位工友",
                    point=SAIHAN if n % 2 else XINCHENG,
                    source_ref=f"update-{n}",
                )
            )
            assert got.created and got.case.number in got.acknowledgement
            county_of[got.case.number] = got.case.area_name
            card_of[got.case.number] = f"case:{got.case.id}:card"
        assert set(county_of.values()) == set(CHATS)

        def number_in(text: str) -> str:
            found = {number for number in county_of if number in text}
            assert len(found) == 1, text
            return found.pop()

        async def recorded() -> bool:
            """Every card a chat accepted is already "sent" in the database."""
            # A sent row keeps no payload: match the cards by their outbox key.
            sent = {
                (r.kind, r.recipient, r.dedupe_key) for r in await _rows(ctx) if r.status == "sent"
            }
            return {(a.kind, a.chat, card_of[number_in(a.text)]) for a in chats.accepted} <= sent

        env = _environment(ctx, chats)
        first = await _dispatcher(env, FIRST_LEASE, log)
        processes.append(first)
        await _until(lambda: chats.calls, 45, "the first dispatcher's first call", log)
        # Hold well inside the first lease: the process to be killed must not outlive its own
        # leases and claim its rows a second time while they are on the wire.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.5):
                while len(chats.accepted) < SOME_DELIVERED:
                    await asyncio.sleep(0.02)
        chats.hold()
        await _until(recorded, 10, "sent rows to match what the chats accepted", log)
        await chats.wait_held(10)
        first.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(first.wait(), 10) == -signal.SIGKILL
        # Let this loop see the dead connections before the held answers are written to them.
        await _until(
            lambda: all(r.transport is None or r.transport.is_closing() for r in chats.held),
            5,
            "the killed connections to close",
            log,
        )
        await asyncio.sleep(0.2)
        chats.release()

        rows = await _rows(ctx)
        delivered_before = len(chats.accepted)
        assert len(rows) == 2 * CASES
        statuses = Counter(r.status for r in rows)
        assert statuses["sending"] >= 1, statuses  # killed mid-delivery, rows still claimed
        assert 0 < statuses["sent"] < len(rows), statuses

        second = await _dispatcher(env, 60.0, log)
        processes.append(second)

        async def all_sent() -> bool:
            assert second.returncode is None, "the second dispatcher exited"
            return all(r.status == "sent" for r in await _rows(ctx))

        await _until(all_sent, 60, "every row to be sent", log)
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 10)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await asyncio.wait_for(process.wait(), 10)
        await chats.close()
        await ctx.finder.stop()

    for county, pairs in CHATS.items():
        expected = Counter({n: 1 for n, c in county_of.items() if c == county})
        for kind, chat in pairs:
            cards = Counter(
                number_in(a.text) for a in chats.accepted if (a.kind, a.chat) == (kind, chat)
            )
            assert cards == expected, (kind, chat)  # every case, exactly once
    assert len(chats.accepted) == 2 * CASES  # and nothing anywhere else
    assert 0 < delivered_before < 2 * CASES
    assert chats.unanswered >= 1  # the kill cut at least one call off
    assert chats.server_errors > 0 and chats.rate_limited > 0
    rows = await _rows(ctx)
    assert max(r.attempts for r in rows) > 1  # failures were retried, not luck
