"""Routing never loses a case: it belongs to a union from the moment it is acknowledged, is in
that union's queue with or without a staff chat, escalates the same way for console-only
unions, and the staff card (masked, with a link to the case page) is only an extra notice."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from core.notices import WECOM, Recipient
from core.outbox import OutboxMessage
from handlers import Services
from membership import UnionRow
from tests.conftest import WORKDAY_MORNING
from tests.test_referrals import SAIHAN, legal

PHONE_TEXT = "老板拖欠工资，我的电话 13812345678，身份证 11010519491231002X"


async def _console_only(ctx: Services, *, league_chat: bool = False) -> dict[str, int]:
    """Region, Hohhot and 赛罕区 unions; only the league may have a chat."""
    chats = [Recipient(WECOM, "robot-hohhot")] if league_chat else []
    await ctx.directory.import_unions(
        [
            UnionRow(name="内蒙古自治区总工会", level="region", adcode="150000", key="region"),
            UnionRow(
                name="呼和浩特市总工会",
                level="league",
                league="呼和浩特市",
                adcode="150100",
                key="hohhot",
                parent="region",
                chats=chats,
            ),
            UnionRow(
                name="赛罕区总工会",
                level="county",
                league="呼和浩特市",
                county="赛罕区",
                adcode="150105",
                key="saihan",
                parent="hohhot",
            ),
        ]
    )
    return {u.key: u.id for u in await ctx.directory.all_unions()}


async def _outbox(ctx: Services) -> list[OutboxMessage]:
    async with ctx.db.session() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


async def test_a_console_only_union_owns_sees_and_escalates_its_cases(
    backend: Callable[..., Services],
) -> None:
    ctx = backend()
    await ctx.start()
    ids = await _console_only(ctx)
    county, _ = await ctx.directory.add_staff("赛罕区工作人员", ["saihan"])
    league, _ = await ctx.directory.add_staff("盟市工作人员", ["hohhot"])
    friday_4pm = WORKDAY_MORNING.replace(day=27, hour=16)
    ctx.clock.set(friday_4pm)  # type: ignore[attr-defined]
    got = await ctx.referrals.submit(legal("w1", SAIHAN, "m1"))
    assert got.case.union_id == ids["saihan"] and got.routed_to == "赛罕区总工会"
    assert "已转给赛罕区总工会" in got.acknowledgement
    assert [c.id for c in await ctx.referrals.for_staff(county)] == [got.case.id]
    assert await ctx.referrals.for_staff(league) == []
    assert await _outbox(ctx) == [] or all(m.recipient == "w1" for m in await _outbox(ctx))

    # Unclaimed past its deadline: up to the league, which has no chat either.
    ctx.clock.set(friday_4pm.replace(day=30, hour=12, minute=1))  # type: ignore[attr-defined]
    assert await ctx.referrals.escalate_due() == 1
    moved = await ctx.referrals.get(got.case.id or 0)
    assert moved is not None and moved.union_id == ids["hohhot"] and moved.level == "league"
    assert [c.id for c in await ctx.referrals.for_staff(league)] == [got.case.id]
    assert [c.id for c in await ctx.referrals.for_staff(county)] == [got.case.id]  # still theirs
    claimed = await ctx.referrals.claim(got.case.id or 0, county, "console")
    assert claimed.case.status == "claimed"
    events = [e.action for e in await ctx.referrals.events(got.case.id or 0)]
    assert events == ["created", "routed", "escalated", "claimed"]


async def test_the_card_goes_to_the_chat_above_masked_with_a_link(
    backend: Callable[..., Services],
) -> None:
    ctx = backend(public_url="https://yz.example.org/")
    await ctx.start()
    ids = await _console_only(ctx, league_chat=True)
    got = await ctx.referrals.submit(legal("w1", SAIHAN, "m1", description=PHONE_TEXT))
    assert got.case.union_id == ids["saihan"]
    (card,) = [m for m in await _outbox(ctx) if m.recipient == "robot-hohhot"]
    text = card.payload["text"]
    assert "13812345678" not in text and "138****5678" in text
    assert "11010519491231002X" not in text
    assert f"https://yz.example.org/console/cases/{got.case.id}" in text
    events = await ctx.referrals.events(got.case.id or 0)
    assert "已通知呼和浩特市总工会" in events[1].detail


async def test_a_case_without_a_place_belongs_to_the_region(
    backend: Callable[..., Services],
) -> None:
    ctx = backend()
    await ctx.start()
    ids = await _console_only(ctx)
    got = await ctx.referrals.submit(legal("w1", None, "m1", place_text="不知道"))
    assert got.case.union_id == ids["region"] and got.case.level == "region"
    region_admin, _ = await ctx.directory.add_staff("区总管理员", ["region"], role="admin")
    assert [c.id for c in await ctx.referrals.for_staff(region_admin)] == [got.case.id]
    # The region's admin sees the county's cases too (everything below them).
    county_case = await ctx.referrals.submit(legal("w2", SAIHAN, "m2"))
    assert {c.id for c in await ctx.referrals.for_staff(region_admin)} == {
        got.case.id,
        county_case.case.id,
    }


async def test_with_no_union_at_all_the_worker_is_not_promised_a_claim(
    backend: Callable[..., Services],
) -> None:
    ctx = backend()
    await ctx.start()
    got = await ctx.referrals.submit(legal("w1", SAIHAN, "m1"))
    assert got.case.union_id is None
    assert "认领" not in got.acknowledgement and "已经保存好了" in got.acknowledgement
