"""Membership's free texts are sealed at rest: migration membership_0006 encrypts the employer,
reject reason and decision notes that earlier releases stored in plaintext, with the app's own
key, and a downgrade gives them back."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from pydantic import SecretStr
from sqlalchemy import bindparam, text

from core.db import alembic_config
from core.outbox import AwareDateTime
from core.pii import cipher_for, generate_key
from handlers import Services
from tests.test_cases_pii import upgrade_to

EMPLOYER = "巴特尔家庭农牧场"  # a family business: the employer names the worker's family
REASON = "请写身份证上的名字，不要写小名“二蛋”"


async def test_upgrade_seals_the_free_texts_of_before_and_downgrade_opens_them(
    backend: Callable[..., Services],
) -> None:
    # A key the environment does not have: the rows must be encrypted with the context's.
    ctx = backend(pii_key=SecretStr(generate_key()))
    cipher = cipher_for(ctx.settings)
    await upgrade_to(ctx.db, "membership_0005")
    at = bindparam("at", ctx.clock.now(), type_=AwareDateTime())
    async with ctx.db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO unions (id, key, name, level, league, county, adcode, industries,"
                " employers, updated_at) VALUES (1, 'HH-XC', '新城区总工会', 'county',"
                " '呼和浩特市', '新城区', '150102', '[]', '[]', :at)"
            ).bindparams(at)
        )
        await conn.execute(
            text(
                "INSERT INTO enrollments (id, union_id, status, name_enc, phone_enc, phone_hash,"
                " phone_verified_via, occupation, employer, channel, channel_user,"
                " consent_version, consent_at, reject_reason, submitted_at) VALUES"
                " (1, 1, 'rejected', :name, :phone, 'h1', 'telegram_contact', 'herder',"
                " :employer, 'telegram', '42', '2025-01', :at, :reason, :at)"
            ).bindparams(at),
            {
                "name": cipher.encrypt("巴特尔"),
                "phone": cipher.encrypt("13900001111"),
                "employer": EMPLOYER,
                "reason": REASON,
            },
        )
        await conn.execute(
            text(
                "INSERT INTO enrollment_events (enrollment_id, action, actor, note, at) VALUES"
                " (1, 'submitted', 'telegram', '', :at), (1, 'rejected', 'staff:1', :reason, :at)"
            ).bindparams(at),
            {"reason": REASON},
        )

    await ctx.start()  # upgrades to every head, as `yizhan serve` does
    async with ctx.db.engine.connect() as conn:
        stored = (
            await conn.execute(text("SELECT employer_enc, reject_reason_enc FROM enrollments"))
        ).one()
        notes = (
            (await conn.execute(text("SELECT note_enc FROM enrollment_events ORDER BY id")))
            .scalars()
            .all()
        )
    assert EMPLOYER not in stored and REASON not in stored and REASON not in notes
    assert notes[0] == ""  # nothing to hide stays empty
    assert cipher.decrypt(notes[1]) == REASON
    view = await ctx.enrollments.get(1)
    assert view is not None and (view.employer, view.reject_reason) == (EMPLOYER, REASON)

    async with ctx.db.engine.begin() as conn:  # and back, for a rollback of the release
        await conn.run_sync(
            lambda c: command.downgrade(
                alembic_config(c, ctx.db.migration_attributes), "membership_0005"
            )
        )
        plain = (await conn.execute(text("SELECT employer, reject_reason FROM enrollments"))).one()
    assert tuple(plain) == (EMPLOYER, REASON)
    await ctx.finder.stop()
