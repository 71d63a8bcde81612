"""Test fixtures: the fully wired app, in-process, against each storage backend.

`backend` runs every test that uses it twice: on SQLite + the in-process store, and on
PostgreSQL + Redis. The second needs those servers; outside CI it is skipped when they are down,
under `CI=true` it must run (a missing server fails the test). Each test run gets its own
PostgreSQL schema and Redis key prefix, so parallel runs on one machine do not collide.
"""

from __future__ import annotations

import asyncio
import gc
import io
import os
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeAlias

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from core import CHINA_TZ, Database, FrozenClock, MemoryStore, RedisStore, Settings
from handlers import Services
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wechat import FakeWeChat, wechat_settings
from yizhan.app import create_app
from yizhan.wiring import build_services

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
RUN_ID = uuid.uuid4().hex[:10]
STUCK_AFTER_S = 120  # before pytest-timeout's 180 s: time to print what the loop waits for

# The client pytest-aiohttp's `aiohttp_client` fixture makes for an application, and the fixture
# itself as tests call it. Both are for the type checker only: aiohttp 3.10.0 (still allowed by
# pyproject) cannot subscript TestClient at runtime, hence the quoted alias, and older
# pytest-aiohttp releases have no `AiohttpClient` protocol of their own.
AppClient: TypeAlias = "TestClient[web.Request, web.Application]"
AiohttpClient: TypeAlias = Callable[[web.Application], Awaitable[AppClient]]


@pytest.fixture(autouse=True)
def _show_stuck_tasks() -> Iterator[None]:
    """When a test (or its teardown) is stuck, print every asyncio task's stack to stderr.

    Twice a full run has stalled in a teardown with the event loop idle, waiting on something
    pytest-timeout's thread dump cannot show; the task stacks can. A diagnostic only: the
    report lands in the failing test's captured stderr."""

    def dump() -> None:
        out = io.StringIO()
        running = [
            o
            for o in gc.get_objects()
            if isinstance(o, asyncio.AbstractEventLoop) and o.is_running()
        ]
        for loop in running:
            for task in asyncio.all_tasks(loop):
                task.print_stack(file=out)
        print(f"== asyncio tasks after {STUCK_AFTER_S} s ==\n{out.getvalue()}", file=sys.stderr)

    timer = threading.Timer(STUCK_AFTER_S, dump)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()


# A Tuesday morning that is an ordinary working day.
WORKDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=CHINA_TZ)


async def _served_available() -> bool:
    db = Database(POSTGRES_URL)
    store = RedisStore(REDIS_URL)
    try:
        return await db.ping() and await store.ping()
    finally:
        await db.close()
        await store.close()


@pytest.fixture(params=["embedded", "served"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[..., Services]]:
    """A factory of `Services` sharing one database and store (several "processes")."""
    contexts: list[Services] = []
    if request.param == "served":
        if not await _served_available():
            if IN_CI:
                pytest.fail("CI=true but PostgreSQL or Redis is not reachable")
            pytest.skip("PostgreSQL or Redis not running")
        schema = f"t_{RUN_ID}_{uuid.uuid4().hex[:8]}"
        prefix = f"test:{schema}:"
        settings = Settings(database_url=POSTGRES_URL, redis_url=REDIS_URL, redis_prefix=prefix)

        def make(**overrides: object) -> Services:
            ctx = build_services(
                settings.model_copy(update=overrides),
                db=Database(POSTGRES_URL, schema=schema),
                store=RedisStore(REDIS_URL, prefix),
                clock=FrozenClock(WORKDAY_MORNING),
            )
            contexts.append(ctx)
            return ctx

        yield make
        cleanup = Database(POSTGRES_URL)
        async with cleanup.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await cleanup.close()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'yizhan.db'}"
        settings = Settings(database_url=url, redis_url=None)
        shared_store = MemoryStore()

        def make(**overrides: object) -> Services:
            ctx = build_services(
                settings.model_copy(update=overrides),
                db=Database(url),
                store=shared_store,
                clock=FrozenClock(WORKDAY_MORNING),
            )
            contexts.append(ctx)
            return ctx

        yield make
    for ctx in contexts:
        await ctx.outbox.stop()
        await ctx.finder.stop()
        await ctx.http.aclose()
        await ctx.db.close()


@pytest.fixture
async def context(backend: Callable[..., Services]) -> AsyncIterator[Services]:
    """One started context (schema upgraded, finder running)."""
    ctx = backend()
    await ctx.start()
    yield ctx
    await ctx.finder.stop()


@pytest.fixture
async def client(backend: Callable[..., Services], aiohttp_client: AiohttpClient) -> AppClient:
    """An HTTP client of the fully wired app (its services are `client.app[SERVICES_KEY]`)."""
    return await aiohttp_client(create_app(backend()))


@pytest.fixture
async def fake_wechat() -> AsyncIterator[FakeWeChat]:
    """The fake WeChat APIs. Ask for it before the app's fixtures, so it outlives the app."""
    server = await FakeWeChat().start()
    yield server
    await server.close()


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """The fake Telegram Bot API. Ask for it before the app's fixtures, so it outlives the app."""
    server = await FakeTelegram().start()
    yield server
    await server.close()


@pytest.fixture
async def wechat_client(
    fake_wechat: FakeWeChat, backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> AppClient:
    """The wired app with both WeChat accounts pointed at `fake_wechat`."""
    return await aiohttp_client(create_app(backend(**wechat_settings(fake_wechat))))
