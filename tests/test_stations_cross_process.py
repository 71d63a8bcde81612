"""A station change made by another process (the command line, run as a real second process
against the same database) reaches a running server's search within 2 s — on the default
SQLite set-up too, where each process's key-value store is its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from handlers import Services
from tests.conftest import AiohttpClient, AppClient
from yizhan.app import create_app

NEAR = {"lat": "40.8175", "lng": "111.6610", "coord": "wgs84", "open_now": "false"}
CSV = "编码,名称,地址,盟市,旗县区,纬度,经度,开放时间,服务项目,状态\n{rows}"
ROW = "{code},驿站{code},新华大街,呼和浩特市,新城区,40.8175,111.6610,24/7,休息、饮水,正常"


def _cli(ctx: Services, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_SCHEMA")}
    env.update(DATABASE_URL=ctx.db.url, GEOCODER="none", PYTHONPATH=os.getcwd())
    if ctx.db.schema:
        env["DATABASE_SCHEMA"] = ctx.db.schema
    if ctx.settings.redis_url:
        env.update(REDIS_URL=ctx.settings.redis_url, REDIS_PREFIX=ctx.settings.redis_prefix)
    done = subprocess.run(
        [sys.executable, "-m", "yizhan", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


async def _codes(client: AppClient) -> set[str]:
    resp = await client.get("/api/v1/stations/nearby", params=NEAR)
    assert resp.status == 200
    return {s["name"].removeprefix("驿站") for s in (await resp.json())["stations"]}


async def _seconds_until(client: AppClient, want: set[str]) -> float:
    started = time.monotonic()
    async with asyncio.timeout(10):
        while await _codes(client) != want:
            await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_a_command_line_import_and_revoke_reach_the_running_server(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    ctx = backend()
    client = await aiohttp_client(create_app(ctx))
    assert await _codes(client) == set()

    stations = tmp_path / "stations.csv"
    stations.write_text(CSV.format(rows=f"{ROW.format(code='A1')}\n{ROW.format(code='B2')}\n"))
    await asyncio.to_thread(_cli, ctx, "stations", "import", str(stations))
    assert await _seconds_until(client, {"A1", "B2"}) < 2.0

    await asyncio.to_thread(_cli, ctx, "stations", "revoke", "A1", "--reason", "拆除")
    assert await _seconds_until(client, {"B2"}) < 2.0  # a revoked station is never offered
