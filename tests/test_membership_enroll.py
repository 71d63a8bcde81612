"""Enrollment in the domain: validation, one person one membership (also racing through two
processes), review, resubmission, staff-chat forwarding, and no plaintext at rest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.outbox import OutboxMessage
from handlers import Services
from membership import (
    Application,
    EnrollmentInvalid,
    EnrollmentLocked,
    EnrollmentNotFound,
    ReviewConflict,
)
from tests.unions import load_unions

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"  # the GB 11643 example, valid check digit


def application(**changes: Any) -> Application:
    base = Application(
        name="张三",
        phone=PHONE,
        phone_via="telegram_contact",
        occupation="sanitation",
        employer="个人",
        league="呼和浩特市",
        county="新城区",
        channel="telegram",
        channel_user="5001",
        consent=True,
    )
    return replace(base, **changes)


async def outbox(context: Services) -> list[OutboxMessage]:
    async with context.db.session() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(col(OutboxMessage.id)))).scalars()
        )


async def test_enroll_assigns_forwards_and_masks(context: Services) -> None:
    ids = await load_unions(context)
    result = await context.enrollments.enroll(application())
    assert result.created
    e = result.enrollment
    assert e.status == "submitted" and e.union_id == ids["HH-XC-NEF"]
    assert e.masked_phone == "138****5678"
    messages = await outbox(context)
    assert [(m.kind, m.recipient) for m in messages] == [("telegram", "-1003")]
    text = messages[0].payload["text"]
    assert "138****5678" in text and PHONE not in text and "张*" in text and "张三" not in text
    buttons = messages[0].payload["buttons"][0]
    assert [b["data"] for b in buttons] == [
        f"enr:approve:{e.id}:1",
        f"enr:reject:{e.id}:1",
    ]


async def test_bad_input_names_each_field_and_stores_nothing(context: Services) -> None:
    await load_unions(context)
    with pytest.raises(EnrollmentInvalid) as caught:
        await context.enrollments.enroll(
            application(
                name="张3",
                phone="1381234567",
                occupation="宇航员",
                consent=False,
                id_number="110105194912310021",
                id_consent=False,
            ),
        )
    problems = caught.value.problems
    assert set(problems) == {"name", "phone", "occupation", "consent", "id_number", "id_consent"}
    assert "11 位" in problems["phone"] and "校验" in problems["id_number"]
    assert await context.enrollments.enrollment_of("telegram", "5001") is None
    assert await outbox(context) == []


async def test_union_that_requires_id_number(context: Services) -> None:
    await load_unions(context)
    meituan = application(occupation="food_delivery", employer="美团")
    with pytest.raises(EnrollmentInvalid) as caught:
        await context.enrollments.enroll(meituan)
    assert caught.value.problems == {"id_number": "美团呼和浩特站点工会要求填写 18 位身份证号。"}
    result = await context.enrollments.enroll(
        replace(meituan, id_number=ID_NUMBER.lower(), id_consent=True)
    )
    assert result.enrollment.masked_id_number == "1101**********002X"
    assert result.enrollment.id_consent_version is not None


async def test_same_phone_or_id_returns_the_existing_one(context: Services) -> None:
    await load_unions(context)
    first = await context.enrollments.enroll(application(id_number=ID_NUMBER, id_consent=True))
    again = await context.enrollments.enroll(application(name="张三丰", channel_user="other"))
    assert not again.created and again.same_person
    assert again.enrollment.id == first.enrollment.id and again.enrollment.status == "submitted"
    by_id = await context.enrollments.enroll(
        application(phone="13900001111", id_number=ID_NUMBER, id_consent=True)
    )
    assert not by_id.created and not by_id.same_person
    assert by_id.enrollment.id == first.enrollment.id
    assert len(await outbox(context)) == 1


async def test_race_through_two_processes(backend: Callable[..., Services]) -> None:
    one, two = backend(), backend()
    await one.db.upgrade()
    await load_unions(one)
    tasks = [
        ctx.enrollments.enroll(application(channel_user=str(i)))
        for i, ctx in enumerate([one, two] * 6)
    ]
    results = await asyncio.gather(*tasks)
    assert sum(r.created for r in results) == 1
    assert len({r.enrollment.id for r in results}) == 1
    assert len(await outbox(one)) == 1  # staff hear about it once


async def test_approve_issues_member_number_and_tells_the_worker(context: Services) -> None:
    ids = await load_unions(context)
    e = (await context.enrollments.enroll(application())).enrollment
    own = frozenset({ids["HH-XC-NEF"]})
    with pytest.raises(EnrollmentNotFound):
        await context.enrollments.approve(e.id, actor="staff:9", union_ids=frozenset({ids["BT"]}))
    decision = await context.enrollments.approve(e.id, actor="staff:1", union_ids=own, revision=1)
    assert decision.changed
    number = decision.enrollment.member_number
    assert (
        number is not None
        and number.startswith("NM2026-")
        and decision.enrollment.status == "approved"
    )
    # A second press changes nothing and sends nothing more.
    twice = await context.enrollments.approve(e.id, actor="staff:2", union_ids=own, revision=1)
    assert not twice.changed and twice.enrollment.member_number == number
    with pytest.raises(EnrollmentLocked):
        await context.enrollments.reject(e.id, "不符合", actor="staff:1", union_ids=own)
    with pytest.raises(EnrollmentLocked):
        await context.enrollments.resubmit(e.id, application(employer="顺丰"))
    to_worker = [m for m in await outbox(context) if m.recipient == "5001"]
    assert len(to_worker) == 1 and number in to_worker[0].payload["text"]


async def test_reject_then_correct_and_resubmit(context: Services) -> None:
    ids = await load_unions(context)
    own = frozenset({ids["HH-XC-NEF"], ids["HH-MT"]})
    e = (await context.enrollments.enroll(application())).enrollment
    with pytest.raises(EnrollmentInvalid):
        await context.enrollments.reject(e.id, "  ", actor="staff:1", union_ids=own)
    rejected = (
        await context.enrollments.reject(e.id, "单位填写有误", actor="staff:1", union_ids=own)
    ).enrollment
    assert rejected.status == "rejected" and rejected.reject_reason == "单位填写有误"
    fixed = await context.enrollments.resubmit(
        e.id,
        application(
            occupation="food_delivery", employer="美团", id_number=ID_NUMBER, id_consent=True
        ),
    )
    assert fixed.status == "submitted" and fixed.revision == 2 and fixed.union_id == ids["HH-MT"]
    # The old buttons (revision 1) no longer decide anything.
    with pytest.raises(ReviewConflict):
        await context.enrollments.approve(e.id, actor="staff:1", union_ids=own, revision=1)
    assert (
        await context.enrollments.approve(e.id, actor="staff:1", union_ids=own, revision=2)
    ).changed
    staff_chats = [m.recipient for m in await outbox(context) if m.payload.get("buttons")]
    assert staff_chats == ["-1003", "-1005"]
    mine = await context.enrollments.list(frozenset({ids["HH-MT"]}))
    assert [x.id for x in mine] == [e.id]
    assert await context.enrollments.list(frozenset({ids["BT"]})) == []


async def test_no_plaintext_in_database_file_or_log(
    backend: Callable[..., Services], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = backend()
    await ctx.db.upgrade()
    caplog.set_level(logging.DEBUG)
    ids = await load_unions(ctx)
    e = (await ctx.enrollments.enroll(application(id_number=ID_NUMBER, id_consent=True))).enrollment
    await ctx.enrollments.approve(e.id, actor="staff:1", union_ids=frozenset({ids["HH-XC-NEF"]}))
    # The masked form reached the staff message (stored sealed, opened when read).
    assert any("138****5678" in str(m.payload) for m in await outbox(ctx))
    if ctx.db.is_sqlite:
        await ctx.db.close()
        data = b"".join(p.read_bytes() for p in tmp_path.glob("yizhan.db*"))
        assert data, "database file not found"
    else:  # PostgreSQL: every row of every table of this run's schema, as text
        parts: list[str] = []
        async with ctx.db.engine.connect() as conn:
            for table in ("enrollments", "enrollment_events", "outbox", "unions"):
                rows = await conn.exec_driver_sql(f"SELECT t::text FROM {table} t")
                parts.extend(str(r[0]) for r in rows)
        data = "\n".join(parts).encode()
    for secret in (PHONE, ID_NUMBER, "张三"):
        assert secret.encode() not in data
        assert secret not in caplog.text
