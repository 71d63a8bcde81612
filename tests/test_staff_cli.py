"""`yizhan staff …` beyond adding: roles, token rotation, and the one-time set-password link
(printed by the CLI, usable once in a browser, then the staff member signs in with it)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core import Database, get_settings
from core.outbox import OutboxMessage
from handlers import SERVICES_KEY, Services
from tests.conftest import AiohttpClient
from tests.console_web import PASSWORD, csrf_in, sign_in
from tests.unions import UNIONS_CSV, load_unions
from yizhan.app import create_app


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PUBLIC_URL", "https://yz.example.org/")
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    csv_file = tmp_path / "unions.csv"
    csv_file.write_text(UNIONS_CSV, encoding="utf-8")
    assert CliRunner().invoke(_cli(), ["unions", "import", str(csv_file)]).exit_code == 0
    yield url.replace("sqlite://", "sqlite+aiosqlite://")
    get_settings.cache_clear()


def _cli() -> Any:
    from yizhan.cli import cli

    return cli


def _read(url: str, work: Callable[[Database], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(go())


def test_role_token_rotation_and_link(cli_db: str) -> None:
    runner = CliRunner()
    cli = _cli()
    added = runner.invoke(
        cli,
        [
            "staff",
            "add",
            "盟市管理员",
            "--union",
            "HH",
            "--role",
            "admin",
            "--login",
            "hhadmin",
            "--telegram-user",
            "777",
        ],
    )
    assert added.exit_code == 0, added.output
    lines = added.output.strip().splitlines()
    link = next(line for line in lines if "/console/password/" in line)
    assert link.startswith("https://yz.example.org/console/password/")
    first_token = lines[-1]
    assert first_token.startswith("yzs_")
    listed = runner.invoke(cli, ["staff", "list"]).output
    assert "盟市管理员" in listed

    bad_role = runner.invoke(cli, ["staff", "add", "某人", "--union", "HH", "--role", "boss"])
    assert bad_role.exit_code != 0
    assert runner.invoke(cli, ["staff", "role", "1", "staff"]).exit_code == 0
    assert "管理员" in runner.invoke(cli, ["staff", "role", "1", "admin"]).output
    missing = runner.invoke(cli, ["staff", "token", "99"])
    assert missing.exit_code != 0 and "没有找到" in missing.output

    rotated = runner.invoke(cli, ["staff", "token", "1"])
    assert rotated.exit_code == 0 and "旧令牌随即失效" in rotated.output
    new_token = rotated.output.strip().splitlines()[-1]
    assert new_token.startswith("yzs_") and new_token != first_token

    async def holders(db: Database) -> tuple[Any, Any]:
        from membership import Directory

        directory = Directory(db)
        return (
            await directory.staff_for_token(first_token),
            await directory.staff_for_token(new_token),
        )

    old, new = _read(cli_db, holders)
    assert old is None and new is not None and new.role == "admin"

    again = runner.invoke(cli, ["staff", "link", "1", "--send"])
    assert again.exit_code == 0, again.output
    assert "已发到本人的 1 个聊天账号" in again.output

    async def queued(db: Database) -> list[str]:
        async with db.session() as session:
            rows = (await session.execute(select(OutboxMessage))).scalars()
            return [str(r.payload.get("text", "")) for r in rows if r.recipient == "777"]

    texts = _read(cli_db, queued)
    assert len(texts) == 1 and "https://yz.example.org/console/password/" in texts[0]


async def test_link_sets_a_password_once_then_signs_in(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    client = await aiohttp_client(create_app(backend()))
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    info, _ = await ctx.directory.add_staff("王芳", ["HH-XC"])
    token = await ctx.credentials.make_link(info.id, "wangfang")
    path = f"/console/password/{token}"

    form = await client.get(path)
    html = await form.text()
    assert form.status == 200 and "wangfang" in html and 'autocomplete="new-password"' in html
    mismatch = await client.post(
        path, data={"csrf": csrf_in(html), "password": PASSWORD, "again": PASSWORD + "x"}
    )
    assert mismatch.status == 400 and "不一样" in await mismatch.text()
    weak = await client.post(
        path, data={"csrf": csrf_in(await mismatch.text()), "password": "123", "again": "123"}
    )
    assert weak.status == 400 and "至少要 10 位" in await weak.text()
    no_csrf = await client.post(path, data={"password": PASSWORD, "again": PASSWORD})
    assert no_csrf.status == 403
    done = await client.post(
        path, data={"csrf": csrf_in(await weak.text()), "password": PASSWORD, "again": PASSWORD}
    )
    assert done.status == 200 and "密码设置好了" in await done.text()
    assert await sign_in(client, "wangfang") == 303

    used = await client.get(path)
    assert used.status == 404 and "已经用过或过期" in await used.text()
    assert (await client.get("/console/password/not-a-real-link")).status == 404
    # A newer link replaces an unused older one; links expire.
    older = await ctx.credentials.make_link(info.id, "wangfang")
    newer = await ctx.credentials.make_link(info.id, "wangfang")
    assert await ctx.credentials.link_login(older) is None
    assert await ctx.credentials.link_login(newer) == (info.id, "wangfang")
    ctx.clock.advance(timedelta(hours=73))
    assert (await client.get(f"/console/password/{newer}")).status == 404
