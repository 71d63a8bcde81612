"""The staff console over HTTP: sign-in, sessions and CSRF, lockout, the queue, and a union's
items staying invisible (404, like missing ones) to everyone else."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import FrozenClock
from handlers import SERVICES_KEY
from membership import Credentials
from referrals import CaseEvent
from tests.conftest import AppClient
from tests.console_web import (
    PASSWORD,
    WORKER_TEXT,
    file_case,
    page_csrf,
    sign_in,
    staff_with_login,
)
from tests.test_membership_enroll import ID_NUMBER, PHONE, application
from tests.unions import load_unions


async def _two_unions(client: AppClient) -> tuple[int, int]:
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    own = await staff_with_login(ctx, "王芳", "wangfang", "HH-XC", "HH-XC-NEF")
    other = await staff_with_login(ctx, "赵强", "zhaoqiang", "BT")
    return own, other


async def test_visitor_sees_the_form_and_signs_in_and_out(client: AppClient) -> None:
    await _two_unions(client)
    visitor = await client.get("/console/")
    html = await visitor.text()
    assert visitor.status == 200 and visitor.content_type == "text/html"
    assert '<label for="login">登录名</label>' in html and 'name="password"' in html
    assert visitor.headers["X-Frame-Options"] == "DENY"
    assert (await client.get("/console", allow_redirects=False)).headers["Location"] == "/console/"

    signed = await client.post(
        "/console/login",
        data={"login": "WangFang", "password": PASSWORD, "csrf": await page_csrf(client)},
        allow_redirects=False,
    )
    assert signed.status == 303 and signed.headers["Location"] == "/console/"
    cookie = signed.cookies["yz_console"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert cookie["path"] == "/console/"
    # The store keeps the token's hash, never the token.
    store = client.app[SERVICES_KEY].store
    token = cookie.value
    assert await store.get(f"console:session:{token}") is None
    assert await store.get(f"console:session:{hashlib.sha256(token.encode()).hexdigest()}")

    queue = await (await client.get("/console/")).text()
    assert "待办" in queue and "王芳" in queue and 'name="password"' not in queue

    refused = await client.post("/console/logout", data={}, allow_redirects=False)
    assert refused.status == 403 and "页面已过期" in await refused.text()
    out = await client.post(
        "/console/logout", data={"csrf": await page_csrf(client)}, allow_redirects=False
    )
    assert out.status == 303
    assert 'name="password"' in await (await client.get("/console/")).text()
    assert not await store.get(f"console:session:{hashlib.sha256(token.encode()).hexdigest()}")


async def test_the_sign_in_form_has_its_own_csrf_token(client: AppClient) -> None:
    await _two_unions(client)
    await client.get("/console/")  # sets the form's cookie
    for data in (
        {"login": "wangfang", "password": PASSWORD},
        {"login": "wangfang", "password": PASSWORD, "csrf": "forged"},
    ):
        answer = await client.post("/console/login", data=data, allow_redirects=False)
        assert answer.status == 403 and "yz_console" not in answer.cookies
    client.session.cookie_jar.clear()  # a page elsewhere cannot have our cookie either
    stale = await client.post(
        "/console/login",
        data={"login": "wangfang", "password": PASSWORD, "csrf": "x" * 43},
        allow_redirects=False,
    )
    assert stale.status == 403


async def test_every_route_needs_a_session(client: AppClient) -> None:
    await _two_unions(client)
    case = await file_case(client.app[SERVICES_KEY])
    for path in (f"/console/cases/{case.id}", "/console/enrollments/1"):
        answer = await client.get(path, allow_redirects=False)
        assert answer.status == 303 and answer.headers["Location"] == "/console/"
    for path in (
        f"/console/cases/{case.id}/claim",
        f"/console/cases/{case.id}/reply",
        f"/console/cases/{case.id}/resolve",
        "/console/enrollments/1/approve",
        "/console/enrollments/1/reject",
        "/console/logout",
    ):
        answer = await client.post(path, data={"csrf": "x", "text": "好"})
        assert answer.status == 401, path
        assert "请先登录" in await answer.text()


async def test_another_unions_items_answer_like_missing_ones(client: AppClient) -> None:
    await _two_unions(client)
    ctx = client.app[SERVICES_KEY]
    case = await file_case(ctx)
    enrollment = (await ctx.enrollments.enroll(application())).enrollment
    assert await sign_in(client, "zhaoqiang") == 303  # 包头: neither item is theirs
    csrf = await page_csrf(client)
    missing_case = await client.get("/console/cases/999999")
    missing_body = await missing_case.text()
    assert missing_case.status == 404
    for path in (f"/console/cases/{case.id}", f"/console/enrollments/{enrollment.id}"):
        answer = await client.get(path)
        assert answer.status == 404 and await answer.text() == missing_body
    for path in (
        f"/console/cases/{case.id}/claim",
        f"/console/cases/{case.id}/reply",
        f"/console/enrollments/{enrollment.id}/approve",
    ):
        answer = await client.post(path, data={"csrf": csrf, "text": "你好"})
        assert answer.status == 404 and await answer.text() == missing_body
    queue = await (await client.get("/console/?status=all")).text()
    assert case.number not in queue and "这里暂时没有事项" in queue
    assert (await ctx.referrals.get(case.id or 0)).status == "new"  # type: ignore[union-attr]


async def test_actions_need_the_sessions_csrf_token(client: AppClient) -> None:
    await _two_unions(client)
    ctx = client.app[SERVICES_KEY]
    case = await file_case(ctx)
    assert await sign_in(client, "wangfang") == 303
    for data in ({}, {"csrf": "not-the-token"}):
        answer = await client.post(f"/console/cases/{case.id}/claim", data=data)
        assert answer.status == 403
    assert (await ctx.referrals.get(case.id or 0)).status == "new"  # type: ignore[union-attr]


async def test_repeated_failures_lock_the_login_and_are_logged(
    client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    await _two_unions(client)
    caplog.set_level(logging.WARNING, logger="console")
    for _ in range(5):
        assert await sign_in(client, "wangfang", "wrong password 123") == 401
    locked = await client.post(
        "/console/login",
        data={"login": "wangfang", "password": PASSWORD, "csrf": await page_csrf(client)},
    )
    assert locked.status == 429 and "暂时锁定" in await locked.text()
    assert "yz_console" not in locked.cookies
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("locked" in w and "wangfang" in w for w in warnings)
    assert not any("wrong password" in w or PASSWORD in w for w in caplog.text.splitlines())
    # Another login from the same office is not locked by one person's typos.
    assert await sign_in(client, "zhaoqiang") == 303


async def test_spraying_many_logins_locks_the_address(client: AppClient) -> None:
    await _two_unions(client)
    for n in range(20):
        assert await sign_in(client, f"guess{n}", "wrong password 123") == 401
    assert await sign_in(client, "wangfang") == 429


async def test_removed_staff_and_new_passwords_end_sessions(client: AppClient) -> None:
    own, _ = await _two_unions(client)
    ctx = client.app[SERVICES_KEY]
    assert await sign_in(client, "wangfang") == 303
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.advance(timedelta(minutes=1))
    await Credentials(ctx.db, clock=ctx.clock).set_password(own, "wangfang", "换了一个新密码啦好记")
    assert 'name="password"' in await (await client.get("/console/")).text()

    assert await sign_in(client, "wangfang", "换了一个新密码啦好记") == 303
    csrf = await page_csrf(client)
    assert await ctx.directory.deactivate_staff(own)
    assert 'name="password"' in await (await client.get("/console/")).text()
    answer = await client.post("/console/logout", data={"csrf": csrf})
    assert answer.status == 401
    assert await sign_in(client, "wangfang", "换了一个新密码啦好记") == 401


async def test_queue_case_page_claim_reply_resolve(client: AppClient) -> None:
    await _two_unions(client)
    ctx = client.app[SERVICES_KEY]
    feedback = await file_case(ctx, ref="m1")
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.advance(timedelta(minutes=10))
    legal = await file_case(ctx, kind="legal_aid", text="老板欠薪三个月", ref="m2")
    ctx.clock.advance(timedelta(minutes=10))
    enrollment = (
        await ctx.enrollments.enroll(application(id_number=ID_NUMBER, id_consent=True))
    ).enrollment
    assert feedback.union_id == legal.union_id  # both routed to 新城区总工会
    assert await sign_in(client, "wangfang") == 303

    queue = await (await client.get("/console/")).text()
    order = [
        queue.index(x) for x in (f"/enrollments/{enrollment.id}", legal.number, feedback.number)
    ]
    assert order == sorted(order)  # newest first
    assert PHONE not in queue and "138****5678" in queue and ID_NUMBER not in queue
    only_legal = await (await client.get("/console/?kind=legal_aid")).text()
    assert legal.number in only_legal and feedback.number not in only_legal
    assert f"/enrollments/{enrollment.id}" not in only_legal

    # Past its deadline, the unclaimed legal-aid request goes to the top.
    ctx.clock.advance(timedelta(days=3))
    late = await (await client.get("/console/")).text()
    assert "已超时" in late and late.index(legal.number) < late.index(
        f"/enrollments/{enrollment.id}"
    )

    page = await client.get(f"/console/cases/{feedback.id}")
    html = await page.text()
    assert page.status == 200 and "138****5678" in html and "1101**********002X" in html
    assert "13812345678" not in html and ID_NUMBER not in html and "站里没有热水" in html
    csrf = await page_csrf(client, f"/console/cases/{feedback.id}")
    claimed = await client.post(f"/console/cases/{feedback.id}/claim", data={"csrf": csrf})
    assert claimed.status == 200 and "已认领" in await claimed.text()
    empty = await client.post(
        f"/console/cases/{feedback.id}/reply", data={"csrf": csrf, "text": "  "}
    )
    assert empty.status == 409 and "不能为空" in await empty.text()
    replied = await client.post(
        f"/console/cases/{feedback.id}/reply",
        data={"csrf": csrf, "text": "师傅您好，我们今天下午去驿站看看热水器。"},
    )
    assert "回复已发出" in await replied.text()
    resolved = await client.post(
        f"/console/cases/{feedback.id}/resolve", data={"csrf": csrf, "text": "热水器已修好。"}
    )
    html = await resolved.text()
    assert "已办结" in html and "热水器已修好" in html
    # Closed: no more answering, only reopening.
    assert "/reply" not in html and "/resolve" not in html and "/reopen" in html
    async with ctx.db.session() as session:
        events = (
            await session.execute(select(CaseEvent).where(CaseEvent.case_id == feedback.id))
        ).scalars()
        actions = [(e.action, e.channel) for e in events if e.actor.startswith("staff:")]
    assert actions == [("claimed", "console"), ("replied", "console"), ("resolved", "console")]
    assert WORKER_TEXT not in html


async def test_enrollment_page_approve_and_reject(client: AppClient) -> None:
    await _two_unions(client)
    ctx = client.app[SERVICES_KEY]
    await staff_with_login(ctx, "刘敏", "liumin", "HH-XC-NEF")
    first = (
        await ctx.enrollments.enroll(application(id_number=ID_NUMBER, id_consent=True))
    ).enrollment
    second = (
        await ctx.enrollments.enroll(application(phone="13912345678", channel_user="5002"))
    ).enrollment
    assert await sign_in(client, "liumin") == 303
    path = f"/console/enrollments/{first.id}"
    html = await (await client.get(path)).text()
    assert "138****5678" in html and "1101**********002X" in html and PHONE not in html
    csrf = await page_csrf(client, path)
    approved = await client.post(f"{path}/approve", data={"csrf": csrf, "revision": "1"})
    html = await approved.text()
    assert approved.status == 200 and "已通过" in html and "会员编号" in html
    again = await client.post(f"{path}/reject", data={"csrf": csrf, "reason": "重复"})
    assert again.status == 409

    path = f"/console/enrollments/{second.id}"
    no_reason = await client.post(f"{path}/reject", data={"csrf": csrf, "reason": " "})
    assert no_reason.status == 422 and "原因" in await no_reason.text()
    rejected = await client.post(
        f"{path}/reject", data={"csrf": csrf, "reason": "已在其他工会入会"}
    )
    assert rejected.status == 200 and "未通过" in await rejected.text()
