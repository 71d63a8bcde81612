"""compose.yaml's topology, exercised without containers: two real `yizhan serve` processes on
one PostgreSQL + Redis, behind a "proxy" (this test, at 127.0.0.1 = TRUSTED_PROXIES).

1. Both processes start at once on an empty schema: they race the migrations, both come up.
2. Proxy headers: the per-address limit of the mini-program API counts the forwarded client,
   shared by both processes through Redis — one worker's phone hits 429 on either process, a
   second worker behind the same proxy does not; without the proxy's word (`X-Forwarded-For`
   missing) every request would have counted against the proxy itself.
3. Workers' legal-aid requests are stored; the staff cards go out through both processes'
   outboxes to a fake Bot API whose first answers are 429 with `retry_after`: the process
   sending a card sleeps through it holding the claim, and is killed with SIGKILL right then.
4. The survivor takes the killed process's claims over once their lease ends: every card
   reaches its union's chat exactly once (the fake counts calls it accepted), nothing else.

The kill lands while no call has been accepted (only 429s so far), so a duplicate here is a
real bug, not the unavoidable window between a chat accepting a message and our "sent" mark.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from core import Database, RedisStore, Settings
from core.notices import TELEGRAM, Recipient
from core.outbox import OutboxMessage
from core.pii import generate_key
from membership import UnionRow
from referrals import NewCase
from tests.conftest import IN_CI, POSTGRES_URL, REDIS_URL
from tests.fakes.telegram import FakeTelegram
from tests.test_outbox_kill import SAIHAN, XINCHENG
from yizhan.wiring import build_services

pytestmark = pytest.mark.served
CHATS = {"赛罕区": "-2001", "新城区": "-2002"}
CASES = 6
LEASE = 3.0
PER_IP = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _available() -> bool:
    db, store = Database(POSTGRES_URL), RedisStore(REDIS_URL)
    try:
        return await db.ping() and await store.ping()
    finally:
        await db.close()
        await store.close()


def _directory() -> list[UnionRow]:
    return [
        UnionRow(name="内蒙古自治区总工会", level="region", adcode="150000", key="region"),
        UnionRow(
            name="呼和浩特市总工会",
            level="league",
            league="呼和浩特市",
            adcode="150100",
            key="hohhot",
            parent="region",
        ),
        *(
            UnionRow(
                name=f"{county}总工会",
                level="county",
                league="呼和浩特市",
                county=county,
                adcode=adcode,
                key=key,
                parent="hohhot",
                chats=[Recipient(TELEGRAM, CHATS[county])],
            )
            for county, adcode, key in (("赛罕区", "150105", "saihan"), ("新城区", "150102", "xc"))
        ),
    ]


async def _serve(env: dict[str, str], port: int, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "yizhan",
            "serve",
            env=env | {"PORT": str(port)},
            cwd=log.parent,  # no stray .env
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )


async def _until(check, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
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
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}") from None


async def test_two_processes_behind_a_proxy_deliver_every_card_once_through_a_kill(
    tmp_path: Path,
) -> None:
    if not await _available():
        if IN_CI:
            pytest.fail("CI=true but PostgreSQL or Redis is not reachable")
        pytest.skip("PostgreSQL or Redis not running")
    schema = f"t_compose_{uuid.uuid4().hex[:10]}"
    prefix = f"test:{schema}:"
    pii_key = generate_key()
    fake = await FakeTelegram().start()
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env |= {
        "DATABASE_URL": POSTGRES_URL,
        "DATABASE_SCHEMA": schema,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": prefix,
        "PII_KEY": pii_key,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE": fake.base_url,
        "TELEGRAM_WEBHOOK_SECRET": "compose-secret",
        "TRUSTED_PROXIES": "127.0.0.1",
        "MINIPROGRAM_RATE_PER_IP": str(PER_IP),
        "OUTBOX_LEASE_SECONDS": str(LEASE),
        "OUTBOX_POLL_SECONDS": "0.1",
        "OUTBOX_BASE_DELAY": "0.1",
        "OUTBOX_MAX_DELAY": "1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "serve.log"
    ports = [_free_port(), _free_port()]
    processes = [await _serve(env, port, log) for port in ports]  # together: they race
    ctx = build_services(
        Settings(
            database_url=POSTGRES_URL,
            database_schema=schema,
            redis_url=REDIS_URL,
            redis_prefix=prefix,
            pii_key=pii_key,
        )
    )
    try:
        async with httpx.AsyncClient(timeout=10) as http:

            async def healthy() -> bool:
                for process in processes:
                    assert process.returncode is None, "a process died while starting"
                try:
                    answers = [await http.get(f"http://127.0.0.1:{p}/healthz") for p in ports]
                except httpx.TransportError:
                    return False
                return all(a.status_code == 200 for a in answers)

            await _until(healthy, 90, "both processes to come up", log)

            # -- proxy headers: the forwarded client is counted, across both processes.
            async def nearby(port: int, client: str) -> int:
                answer = await http.get(
                    f"http://127.0.0.1:{port}/api/v1/stations/nearby",
                    params={"lat": 40.85, "lng": 111.66},
                    headers={"X-Forwarded-For": f"{client}, 127.0.0.1"},
                )
                return answer.status_code

            worker_a = [await nearby(ports[n % 2], "203.0.113.1") for n in range(PER_IP + 2)]
            assert worker_a[:PER_IP] == [200] * PER_IP and worker_a[PER_IP:] == [429, 429]
            assert await nearby(ports[0], "203.0.113.2") == 200  # another phone, same proxy
            assert await nearby(ports[1], "203.0.113.2") == 200

            # -- cards through two outboxes, one process killed mid-delivery.
            await ctx.start(finder=False)  # the schema is already at head: nothing to do
            await ctx.directory.import_unions(_directory())
            fake.fail_next("sendMessage", 429, retry_after=4, times=CASES)  # every first try
            numbers: dict[str, str] = {}  # tracking number → the chat its card must reach
            for n in range(CASES):
                got = await ctx.referrals.submit(
                    NewCase(
                        kind="legal_aid",
                        category="unpaid_wages",
                        channel="miniprogram",
                        worker_ref=f"o-worker-{n}",
                        description=f"老板拖欠工资，第{n}位工友",
                        point=SAIHAN if n % 2 else XINCHENG,
                        source_ref=f"req-{n}",
                    )
                )
                assert got.created
                numbers[got.case.number] = CHATS[got.case.area_name]

            async def rows() -> list[OutboxMessage]:
                async with ctx.db.session() as session:
                    found = await session.execute(
                        select(OutboxMessage).where(OutboxMessage.kind == TELEGRAM)  # type: ignore[arg-type]
                    )
                    return list(found.scalars())

            pids = {str(p.pid): p for p in processes}
            victim: list[asyncio.subprocess.Process] = []

            async def one_sleeping_through_429() -> bool:
                if not fake.rejected or fake.sent("sendMessage"):
                    return False
                for row in await rows():
                    owner = (row.claimed_by or "").split(":")
                    if row.status == "sending" and len(owner) > 1 and owner[1] in pids:
                        victim.append(pids[owner[1]])
                        return True
                return False

            await _until(one_sleeping_through_429, 30, "a send sleeping through a 429", log)
            assert not fake.sent("sendMessage")  # nothing accepted yet: no window to hit
            victim[0].send_signal(signal.SIGKILL)
            assert await asyncio.wait_for(victim[0].wait(), 10) == -signal.SIGKILL
            survivor = next(p for p in processes if p is not victim[0])

            async def all_sent() -> bool:
                assert survivor.returncode is None, "the surviving process exited"
                found = await rows()
                return len(found) == CASES and all(r.status == "sent" for r in found)

            await _until(all_sent, 90, "every card to be sent by the survivor", log)
            await asyncio.sleep(LEASE + 1)  # anything still to go wrong has had its lease
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        await fake.close()
        await ctx.close()
        cleanup = Database(POSTGRES_URL)
        async with cleanup.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await cleanup.close()

    cards = [c for c in fake.sent("sendMessage")]
    got = Counter(
        (number, c.params["chat_id"])
        for c in cards
        for number in numbers
        if number in c.params["text"]
    )
    assert got == Counter({(number, chat): 1 for number, chat in numbers.items()})  # once each
    assert len(cards) == CASES  # and nothing else
    assert len(fake.rejected) == CASES  # the 429s were really sent and slept through
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # LOG_FORMAT=json: all
    assert lines and not [r for r in lines if r["level"] in ("ERROR", "CRITICAL")], lines[-5:]
