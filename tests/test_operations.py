"""Running it: wrong staff tokens limited per client address, `LOG_FORMAT=json` (one object a
line, a request id carried from the request into its log lines, secrets still redacted), and
settings checked at start-up with one clear line per problem and an exit code, no traceback."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import core.http
from core import Settings
from core.logging import configure_logging
from handlers import SERVICES_KEY, Services
from tests.conftest import AiohttpClient
from tests.fakes.telegram import WEBHOOK_HEADERS, FakeTelegram, telegram_settings
from tests.unions import load_unions
from yizhan.app import create_app


async def test_guessing_staff_tokens_is_refused_per_address(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    client = await aiohttp_client(
        create_app(backend(auth_fail_limit=4, trusted_proxies="10.0.0.0/8, 127.0.0.1"))
    )
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    _info, token = await ctx.directory.add_staff("王芳", ["HH-XC"])
    guesser = {"X-Forwarded-For": "203.0.113.20, 10.0.0.3"}  # through two of our proxies
    statuses = [
        (
            await client.get(
                "/admin/v1/me", headers={"Authorization": f"Bearer guess{n}", **guesser}
            )
        ).status
        for n in range(6)
    ]
    assert statuses == [401, 401, 401, 401, 429, 429]
    refused = await client.get(
        "/admin/v1/me", headers={"Authorization": f"Bearer {token}", **guesser}
    )
    assert refused.status == 429 and refused.content_type == "application/problem+json"
    assert "次数太多" in (await refused.json())["title"]
    # The office next door, behind the same proxies, signs in as usual.
    office = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.3, 10.0.0.3"}
    assert (await client.get("/admin/v1/me", headers=office)).status == 200


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging("INFO", stream=out, fmt="json")
    try:
        yield out
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


async def test_json_logs_carry_the_request_id_and_stay_redacted(
    json_log: io.StringIO,
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(create_app(backend(**telegram_settings(fake_telegram))))
    broken = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": 1}, "from": "x"}}
    resp = await client.post(
        "/telegram/webhook",
        json=broken,
        headers={**WEBHOOK_HEADERS, "X-Request-ID": "req-42"},
    )
    assert resp.status == 200 and resp.headers["X-Request-ID"] == "req-42"
    # An id the proxy did not write is made here, and answered back.
    other = await client.post(
        "/telegram/webhook", json={**broken, "update_id": 2}, headers=WEBHOOK_HEADERS
    )
    made = other.headers["X-Request-ID"]
    assert len(made) == 32 and made != "req-42"
    odd = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert odd.headers["X-Request-ID"] != "bad id\twith spaces"
    logging.getLogger("integrations.demo").warning(
        "GET https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=S3CRET&js_code=C0DE"
        " for 13812345678"
    )

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]  # each one JSON
    rejected = [r for r in lines if "rejected update" in r["message"]]
    assert [r["request_id"] for r in rejected] == ["req-42", made]
    assert {"time", "level", "logger", "message"} <= set(rejected[0])
    assert rejected[0]["level"] == "WARNING" and rejected[0]["logger"] == "bot.telegram._webhook"
    outside = [r for r in lines if "jscode2session" in r["message"]]
    assert outside and outside[0]["request_id"] is None  # not written for a request
    text = json_log.getvalue()
    assert "S3CRET" not in text and "C0DE" not in text and "13812345678" not in text


async def _yizhan(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "yizhan",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


def _clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'yz.db'}"
    return env | settings


async def test_bad_settings_stop_the_start_with_one_line_each(tmp_path: Path) -> None:
    env = _clean_env(
        tmp_path,
        PORT="eighty",
        LOG_LEVEL="LOUD",
        LOG_FORMAT="xml",
        TRUSTED_PROXIES="10.0.0.0/33",
        METRICS_TOKEN="very-secret-value",
        TELEGRAM_BOT_TOKEN="",
    )
    code, out = await _yizhan(env, tmp_path, "serve")
    assert code == 78, out
    lines = sorted(out.strip().splitlines())
    assert len(lines) == 4, out  # one per bad setting, nothing else
    assert lines[0] == "设置有误：LOG_FORMAT='xml'：应为 text 或 json"
    assert (
        lines[1]
        == "设置有误：LOG_LEVEL='LOUD'：应为 DEBUG | INFO | WARNING | ERROR | CRITICAL 之一"
    )
    assert lines[2] == "设置有误：PORT='eighty'：应为整数"
    assert lines[3].startswith("设置有误：TRUSTED_PROXIES=") and "10.0.0.0/33" in lines[3]
    assert "Traceback" not in out and "very-secret-value" not in out
    code, out = await _yizhan(_clean_env(tmp_path, PORT="70000"), tmp_path, "serve")
    assert code == 78 and out.strip() == "设置有误：PORT='70000'：端口应在 1 到 65535 之间"


async def test_an_unreachable_database_is_one_line_and_exit_69(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, DATABASE_URL="postgresql://yz:hunter2@127.0.0.1:9/yizhan")
    code, out = await _yizhan(env, tmp_path, "serve")
    assert code == 69, out
    last = out.strip().splitlines()[-1]
    assert last.startswith("无法连接数据库 postgresql+asyncpg://yz:***@127.0.0.1:9/yizhan：")
    assert "hunter2" not in out and "Traceback" not in out


async def test_a_webhook_body_that_trickles_in_is_cut_off_with_408(
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: AiohttpClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.http, "BODY_TIMEOUT", 0.3)
    client = await aiohttp_client(create_app(backend(**telegram_settings(fake_telegram))))

    async def trickle():  # type: ignore[no-untyped-def]
        yield b'{"update_id": 1,'
        await asyncio.sleep(1.5)
        yield b' "message": null}'

    resp = await client.post("/telegram/webhook", data=trickle(), headers=WEBHOOK_HEADERS)
    assert resp.status == 408 and (await resp.json())["title"] == "请求超时"
    # A whole body in time is unaffected, and so is a later request on the same app.
    ok = await client.post("/telegram/webhook", json={"update_id": 2}, headers=WEBHOOK_HEADERS)
    assert ok.status == 200


async def test_serve_closes_a_connection_whose_headers_never_finish(tmp_path: Path) -> None:
    port = _free_port()
    env = _clean_env(tmp_path, HTTP_IDLE_TIMEOUT="1", PORT=str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "yizhan",
        "serve",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await _until_listening(port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and nothing more
        await writer.drain()
        started = asyncio.get_running_loop().time()
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the server
        assert asyncio.get_running_loop().time() - started < 5
        writer.close()
        # A normal request is served as usual.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert (await asyncio.wait_for(reader.read(), 10)).startswith(b"HTTP/1.1 200")
        writer.close()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 20)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until_listening(port: int, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while True:
            try:
                _r, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return
