"""Staff sign-in credentials: Argon2id hashes, password rules, unknown logins, removed staff, and
the `yizhan staff add --login … --password-stdin` / `yizhan staff password` commands."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from core import FrozenClock
from core.settings import get_settings
from handlers import Services
from membership import (
    CredentialError,
    Credentials,
    StaffCredential,
    check_password,
)
from tests.unions import UNIONS_CSV, load_unions

PASSWORD = "驿站暖心 2026 冬"


async def test_set_verify_and_account(context: Services) -> None:
    ids = await load_unions(context)
    staff, _ = await context.directory.add_staff("王芳", ["HH-XC"])
    credentials = Credentials(context.db, clock=context.clock)
    await credentials.set_password(staff.id, "WangFang", PASSWORD)

    async with context.db.session() as session:
        row = (await session.execute(select(StaffCredential))).scalar_one()
    assert row.login == "wangfang"  # logins are case-insensitive
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash

    assert await credentials.verify("wangfang", PASSWORD) == staff.id
    assert await credentials.verify(" WANGFANG ", PASSWORD) == staff.id
    assert await credentials.verify("wangfang", PASSWORD + "x") is None
    assert await credentials.verify("nobody", PASSWORD) is None
    assert await credentials.verify("", "") is None

    account = await credentials.account(staff.id)
    assert account is not None
    assert (account.id, account.name, account.login) == (staff.id, "王芳", "wangfang")
    assert account.union_ids == frozenset({ids["HH-XC"]})

    # A new password replaces the old one and moves changed_at (sessions compare it).
    assert isinstance(context.clock, FrozenClock)
    context.clock.advance(timedelta(minutes=5))
    await credentials.set_password(staff.id, "wangfang", "另一个好记的密码句子")
    assert await credentials.verify("wangfang", PASSWORD) is None
    later = await credentials.account(staff.id)
    assert later is not None and later.changed_at != account.changed_at

    # Removed staff cannot sign in and have no account, whatever the password.
    assert await context.directory.deactivate_staff(staff.id)
    assert await credentials.verify("wangfang", "另一个好记的密码句子") is None
    assert await credentials.account(staff.id) is None
    with pytest.raises(CredentialError, match="在岗"):
        await credentials.set_password(staff.id, "wangfang", PASSWORD)


async def test_logins_are_unique_and_rules_speak_chinese(context: Services) -> None:
    await load_unions(context)
    first, _ = await context.directory.add_staff("王芳", ["HH-XC"])
    second, _ = await context.directory.add_staff("赵强", ["BT"])
    credentials = Credentials(context.db, clock=context.clock)
    await credentials.set_password(first.id, "wangfang", PASSWORD)
    with pytest.raises(CredentialError, match="已有人使用"):
        await credentials.set_password(second.id, "WangFang", PASSWORD)
    with pytest.raises(CredentialError, match="登录名"):
        await credentials.set_password(second.id, "赵强", PASSWORD)
    for bad, says in (
        ("short", "至少要 10 位"),
        ("1234567890", "容易被猜到"),
        ("zhaoqiang-2026", "容易被猜到"),  # contains the login
        ("aaaaaaaaaaaa", "重复"),
        (" 前后有空格的密码 ", "空格"),
        ("x" * 129, "不要超过"),
    ):
        with pytest.raises(CredentialError, match=says):
            check_password(bad, "zhaoqiang")
    check_password(PASSWORD, "zhaoqiang")


async def test_unknown_login_costs_as_much_as_a_known_one(context: Services) -> None:
    """An unknown login still runs one Argon2 verification (a dummy hash), so the answer
    time does not tell an attacker which logins exist."""
    await load_unions(context)
    staff, _ = await context.directory.add_staff("王芳", ["HH-XC"])
    calls: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append(str(password))
            return super().verify(hash, password)

    credentials = Credentials(context.db, clock=context.clock, hasher=Counting())
    await credentials.set_password(staff.id, "wangfang", PASSWORD)
    assert await credentials.verify("nobody", "guess-guess") is None
    assert await credentials.verify("wangfang", "guess-guess") is None
    assert calls == ["guess-guess", "guess-guess"]


async def test_old_hashes_are_upgraded_at_sign_in(context: Services) -> None:
    await load_unions(context)
    staff, _ = await context.directory.add_staff("王芳", ["HH-XC"])
    cheap = Credentials(context.db, hasher=PasswordHasher(time_cost=1, memory_cost=8192))
    await cheap.set_password(staff.id, "wangfang", PASSWORD)
    assert await Credentials(context.db).verify("wangfang", PASSWORD) == staff.id
    async with context.db.session() as session:
        row = (await session.execute(select(StaffCredential))).scalar_one()
    assert not PasswordHasher().check_needs_rehash(row.password_hash)


def test_cli_add_with_login_and_reset_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yizhan.cli import cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        csv_file = tmp_path / "unions.csv"
        csv_file.write_text(UNIONS_CSV, encoding="utf-8")
        runner = CliRunner()
        assert runner.invoke(cli, ["unions", "import", str(csv_file)]).exit_code == 0

        added = runner.invoke(
            cli,
            ["staff", "add", "王芳", "--union", "HH-XC", "--login", "wangfang", "--password-stdin"],
            input=PASSWORD + "\n",
        )
        assert added.exit_code == 0, added.output
        assert "登录名 wangfang" in added.output and PASSWORD not in added.output
        assert added.output.strip().splitlines()[-1].startswith("yzs_")

        weak = runner.invoke(
            cli,
            ["staff", "add", "赵强", "--union", "BT", "--login", "zhaoqiang", "--password-stdin"],
            input="123\n",
        )
        assert weak.exit_code != 0 and "至少要 10 位" in weak.output
        taken = runner.invoke(
            cli,
            ["staff", "add", "赵强", "--union", "BT", "--login", "wangfang", "--password-stdin"],
            input=PASSWORD + "\n",
        )
        assert taken.exit_code != 0 and "已有人使用" in taken.output
        listed = runner.invoke(cli, ["staff", "list"]).output
        assert "赵强" not in listed  # a refused login leaves no half-made staff member
        half = runner.invoke(cli, ["staff", "add", "赵强", "--union", "BT", "--password-stdin"])
        assert half.exit_code != 0 and "一起用" in half.output

        # Without --login the output is what it always was: a sentence, then the token.
        plain = runner.invoke(cli, ["staff", "add", "李雷", "--union", "BT"])
        assert plain.exit_code == 0 and "访问令牌只显示这一次" in plain.output

        reset = runner.invoke(
            cli, ["staff", "password", "1", "--password-stdin"], input="新的密码也要好记才行\n"
        )
        assert reset.exit_code == 0, reset.output
        assert "登录名 wangfang" in reset.output
        no_login = runner.invoke(
            cli, ["staff", "password", "3", "--password-stdin"], input=PASSWORD + "\n"
        )
        assert no_login.exit_code != 0 and "--login" in no_login.output

        async def check() -> tuple[int | None, int | None]:
            from core import Database

            db = Database(url.replace("sqlite://", "sqlite+aiosqlite://"))
            try:
                credentials = Credentials(db)
                return (
                    await credentials.verify("wangfang", "新的密码也要好记才行"),
                    await credentials.verify("wangfang", PASSWORD),
                )
            finally:
                await db.close()

        assert asyncio.run(check()) == (1, None)
    finally:
        get_settings.cache_clear()
