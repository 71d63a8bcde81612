"""Case texts at rest: a worker's story, staff replies and outcomes are encrypted in the database
(read raw, below the app) yet staff (admin API, chat card) and the worker (mini-program) read
them whole; migration referrals_0002 encrypts the plaintext rows of before with the app's key;
`yizhan pii rotate` re-encrypts them with a new key, or changes nothing when a key is missing."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp.test_utils import TestClient
from alembic import command
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import bindparam, select, text

from core import Database, get_settings, mask_pii
from core.db import alembic_config
from core.logging import configure_logging
from core.outbox import AwareDateTime, OutboxMessage
from core.pii import cipher_for, generate_key
from handlers import SERVICES_KEY, Services
from locations import Point, wgs84_to_gcj02
from referrals import NewCase
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.test_cases_miniprogram import XINCHENG, login
from tests.unions import load_unions
from yizhan.app import create_app
from yizhan.cli import cli
from yizhan.wiring import build_services

STORY = "我叫张三，电话13812345678，在顺丰新城网点送货摔伤了左腿，公司不给报工伤"
REPLY = "张三您好，请带病历到区总工会三楼，联系电话13900001111"
OUTCOME = "已协调顺丰为张三补办工伤认定，医药费由公司先行垫付"
SECRETS = ("张三", "13812345678", "13900001111", "摔伤", "顺丰")


async def raw_texts(db: Database) -> list[str]:
    """Every non-empty stored case text, read with plain SQL (what a database dump shows)."""
    async with db.engine.connect() as conn:
        cases = (await conn.execute(text("SELECT description_enc, outcome_enc FROM cases"))).all()
        events = (await conn.execute(text("SELECT detail_enc FROM case_events"))).all()
    return [value for row in (*cases, *events) for value in row if value]


def assert_sealed(stored: list[str]) -> None:
    assert stored
    for value in stored:
        assert not any(secret in value for secret in SECRETS), value


@pytest.fixture
def debug_log() -> Iterator[Callable[[], str]]:
    """The production log set-up at its most talkative; gives what was written so far."""
    root, quieted = logging.getLogger(), ("aiosqlite", "aiohttp.access")
    handlers, level = root.handlers[:], root.level
    levels = [logging.getLogger(name).level for name in quieted]
    configure_logging("DEBUG")
    written = io.StringIO()
    cast(logging.StreamHandler, root.handlers[0]).setStream(written)
    yield written.getvalue
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in zip(quieted, levels, strict=True):
        logging.getLogger(name).setLevel(old)


def leaked(log: str) -> list[str]:
    """The secrets found in log text, also as JSON's \\uXXXX escapes (a payload's repr)."""
    flat = log.replace("\\", "")
    return [
        s
        for s in SECRETS
        if s in log or s.encode("unicode_escape").decode().replace("\\", "") in flat
    ]


async def test_texts_are_encrypted_at_rest_masked_for_staff_and_whole_for_the_worker(
    fake_wechat: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
    debug_log: Callable[[], str],
) -> None:
    api: TestClient = await aiohttp_client(create_app(backend(**wechat_settings(fake_wechat))))
    ctx = api.app[SERVICES_KEY]
    await load_unions(ctx)
    _staff, token = await ctx.directory.add_staff("王芳", ["HH-XC"])
    staff = {"Authorization": f"Bearer {token}"}
    worker = await login(api, fake_wechat, "o-worker-7")
    lat, lng = wgs84_to_gcj02(*XINCHENG)
    made = await api.post(
        "/api/v1/cases",
        headers=worker,
        json={
            "kind": "legal_aid",
            "category": "work_injury",
            "description": STORY,
            "lat": lat,
            "lng": lng,
        },
    )
    assert made.status == 201 and (await made.json())["description"] == STORY
    case_id = (await made.json())["id"]
    for action, body in (("reply", REPLY), ("resolve", OUTCOME)):
        done = await api.post(
            f"/admin/v1/cases/{case_id}/{action}", headers=staff, json={"text": body}
        )
        assert done.status == 200, await done.text()

    stored = await raw_texts(ctx.db)
    assert_sealed(stored)
    cipher = cipher_for(ctx.settings)
    assert {STORY, REPLY, OUTCOME} <= {cipher.decrypt(v) for v in stored}

    # Staff views mask phones and ID numbers; a reveal shows them whole and is on the record.
    seen = await (await api.get(f"/admin/v1/cases/{case_id}", headers=staff)).json()
    assert seen["description"] == mask_pii(STORY) != STORY and seen["outcome"] == OUTCOME
    listed = await (await api.get("/admin/v1/cases", headers=staff)).json()
    assert listed["cases"][0]["description"] == mask_pii(STORY)
    whole = await (await api.post(f"/admin/v1/cases/{case_id}/reveal", headers=staff)).json()
    assert whole["description"] == STORY and whole["outcome"] == OUTCOME
    assert [e["detail"] for e in whole["events"] if e["action"] in ("replied", "resolved")] == [
        REPLY,
        OUTCOME,
    ]
    assert whole["events"][-1]["action"] == "revealed"
    mine = await (await api.get("/api/v1/cases/mine", headers=worker)).json()
    assert mine["cases"][0]["description"] == STORY and mine["cases"][0]["outcome"] == OUTCOME
    async with ctx.db.session() as session:
        cards = [
            m.payload["text"]
            for m in (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.recipient == "-1002")
                )
            ).scalars()
        ]  # type: ignore[arg-type]
    # The county's staff chat reads the story, its phone masked.
    assert len(cards) == 1 and mask_pii(STORY) in cards[0] and "13812345678" not in cards[0]
    log = debug_log()
    assert " DEBUG " in log and leaked(log) == []


async def upgrade_to(db: Database, revision: str) -> None:
    async with db.engine.begin() as conn:
        if db.is_postgres and db.schema:
            await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), revision))


async def test_upgrade_encrypts_plaintext_rows_of_before_with_the_apps_key(
    backend: Callable[..., Services],
) -> None:
    # A key the environment does not have: the rows must be encrypted with the context's.
    ctx = backend(pii_key=SecretStr(generate_key()))
    await upgrade_to(ctx.db, "referrals_0001")
    at = bindparam("at", ctx.clock.now(), type_=AwareDateTime())
    async with ctx.db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (id, number, kind, category, description, outcome, channel,"
                " worker_ref, status, created_at, updated_at) VALUES (1, 'LABCDEF', 'legal_aid',"
                " 'work_injury', :story, :outcome, 'telegram', '42', 'resolved', :at, :at),"
                " (2, 'FABCDEF', 'feedback', 'dirty', '', '', 'telegram', '43', 'new', :at, :at)"
            ).bindparams(at),
            {"story": STORY, "outcome": OUTCOME},
        )
        await conn.execute(
            text(
                "INSERT INTO case_events (case_id, action, actor, detail, at) VALUES"
                " (1, 'replied', 'staff:1', :reply, :at), (1, 'resolved', 'staff:1', :outcome, :at)"
            ).bindparams(at),
            {"reply": REPLY, "outcome": OUTCOME},
        )

    await ctx.start()  # upgrades to every head, as `yizhan serve` does
    assert_sealed(await raw_texts(ctx.db))
    service = ctx.referrals
    old, empty = await service.get(1), await service.get(2)
    assert old is not None and old.description == STORY and old.outcome == OUTCOME
    assert empty is not None and (empty.description, empty.outcome) == ("", "")
    assert [e.detail for e in await service.events(1)] == [REPLY, OUTCOME]

    async with ctx.db.engine.begin() as conn:  # and back, for a rollback of the release
        await conn.run_sync(
            lambda c: command.downgrade(
                alembic_config(c, ctx.db.migration_attributes), "referrals_0001"
            )
        )
        plain = (
            await conn.execute(text("SELECT description, outcome FROM cases ORDER BY id"))
        ).all()
    assert [tuple(row) for row in plain] == [(STORY, OUTCOME), ("", "")]
    await ctx.finder.stop()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def set_key(monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    monkeypatch.setenv("PII_KEY", keys)
    get_settings.cache_clear()  # settings are read once per process otherwise


def with_key(monkeypatch: pytest.MonkeyPatch, keys: str) -> Services:
    set_key(monkeypatch, keys)
    return build_services(get_settings())


def test_pii_rotate_re_encrypts_case_texts(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = generate_key(), generate_key()

    async def seed() -> list[str]:
        ctx = with_key(monkeypatch, old)
        try:
            await ctx.start()
            await load_unions(ctx)
            staff, _ = await ctx.directory.add_staff("王芳", ["HH-XC"])
            service = ctx.referrals
            case = (
                await service.submit(
                    NewCase(
                        kind="legal_aid",
                        category="work_injury",
                        channel="telegram",
                        worker_ref="42",
                        description=STORY,
                        point=Point(*XINCHENG),
                    )
                )
            ).case
            await service.reply(case.id or 0, staff, REPLY, "telegram")
            await service.resolve(case.id or 0, staff, OUTCOME, "telegram")
            return await raw_texts(ctx.db)
        finally:
            await ctx.finder.stop()
            await ctx.close()

    async def read(keys: str) -> tuple[list[str], str, str, list[str]]:
        ctx = with_key(monkeypatch, keys)
        try:
            case = await ctx.referrals.get(1)
            assert case is not None
            details = [e.detail for e in await ctx.referrals.events(1)]
            return await raw_texts(ctx.db), case.description, case.outcome, details
        finally:
            await ctx.close()

    before = asyncio.run(seed())
    set_key(monkeypatch, generate_key())  # neither key: refused, nothing changes
    missing = CliRunner().invoke(cli, ["pii", "rotate"])
    assert missing.exit_code == 1 and "未做任何更改" in missing.output
    assert asyncio.run(read(old))[0] == before

    set_key(monkeypatch, f"{new},{old}")
    rotated = CliRunner().invoke(cli, ["pii", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "0 份入会申请" in rotated.output and "1 条求助" in rotated.output
    stored, description, outcome, details = asyncio.run(read(new))  # the old key is gone
    assert_sealed(stored)
    assert set(stored).isdisjoint(before)
    assert (description, outcome) == (STORY, OUTCOME) and REPLY in details and OUTCOME in details
