"""A worker who chose English in the Official Account chat (语言 → the English choice) gets
what is sent later in English too: the application's outcome and a case's progress, through the
real customer-service sender and the fake WeChat."""

from __future__ import annotations

import asyncio
import re

from aiohttp.test_utils import TestClient

from handlers import SERVICES_KEY, Services
from locations import Point
from referrals import NewCase
from tests.fakes.wechat import FakeWeChat
from tests.test_membership_notify import application
from tests.test_wechat_official import LAT, LNG, OPENID, _content, _post, _text, wx
from tests.unions import load_unions

__all__ = ["wx"]  # the fixture


async def test_a_worker_who_chose_english_gets_english_notices(
    wx: TestClient, fake_wechat: FakeWeChat
) -> None:
    """The language chosen in the chat holds for what is sent later: the application's outcome
    and a case's progress arrive as English customer-service texts."""
    ctx = wx.app[SERVICES_KEY]
    _, asked = await _post(wx, _text("语言", msg_id="7001"))
    choices = _content(asked)
    number = re.search(r"(\d+) English", choices)  # "回复数字：1 中文　2 English"
    assert number, choices
    _, chosen = await _post(wx, _text(number[1], msg_id="7002"))
    assert "speak English" in _content(chosen)

    ids = await load_unions(ctx)
    applied = await ctx.enrollments.enroll(application("wechat", OPENID))
    decided = await ctx.enrollments.approve(
        applied.enrollment.id, actor="staff:1", union_ids=frozenset({ids["HH-XC-NEF"]})
    )
    made = await ctx.referrals.submit(
        NewCase(
            kind="legal_aid",
            category="unpaid_wages",
            channel="wechat",
            worker_ref=OPENID,
            description="老板拖欠三个月工资",
            point=Point(LAT, LNG),
        )
    )
    union = await ctx.directory.get_union(made.case.union_id or 0)
    assert union is not None
    staff, _ = await ctx.directory.add_staff("王芳", [union.key])
    await ctx.referrals.claim(made.case.id or 0, staff, "console")
    welcome, claimed = await _texts_to(ctx, fake_wechat, 2)
    assert (
        welcome.startswith("Congratulations") and str(decided.enrollment.member_number) in welcome
    )
    assert claimed.startswith(f"Your request {made.case.number}") and "恭喜" not in claimed, claimed


async def _texts_to(ctx: Services, fake: FakeWeChat, count: int) -> list[str]:
    """The customer-service texts the worker got, once the app's dispatcher sent `count`."""
    for _ in range(200):
        await ctx.outbox.drain()
        texts = [m["text"]["content"] for m in fake.sent if m["touser"] == OPENID]
        if len(texts) >= count:
            return texts
        await asyncio.sleep(0.05)
    raise AssertionError(fake.sent)
