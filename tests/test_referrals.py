"""Referrals: routing by county, forwarding through the outbox to staff chats under faults,
staff actions with an audit log, SLA escalation in working time, closed-station reports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.staff import WeComSender
from core.notices import WECOM, Recipient
from core.outbox import Dispatcher, OutboxMessage
from handlers import Services
from integrations import WeComRobot
from locations import Point
from membership import StaffInfo, UnionRow
from referrals import (
    AreaFinder,
    CaseError,
    NewCase,
    NotAllowed,
    Referrals,
    add_working_hours,
    import_boundaries,
)
from tests.conftest import WORKDAY_MORNING
from tests.fakes.wecom import FakeWeCom
from tests.shared import require_boundaries
from tests.stations import add_stations, station

SAIHAN = Point(40.8070, 111.7010)  # 赛罕区 (WGS-84), inside Hohhot
XINCHENG = Point(40.8580, 111.6650)  # 新城区
BAOTOU_KUN = Point(40.6580, 109.8420)  # 昆都仑区, 包头


async def _directory(ctx: Services) -> None:
    await ctx.directory.import_unions(
        [
            UnionRow(
                name="内蒙古自治区总工会",
                level="region",
                adcode="150000",
                key="region",
                chats=[Recipient(WECOM, "robot-region")],
            ),
            UnionRow(
                name="呼和浩特市总工会",
                level="league",
                league="呼和浩特市",
                adcode="150100",
                key="hohhot",
                parent="region",
                chats=[Recipient(WECOM, "robot-hohhot")],
            ),
            UnionRow(
                name="赛罕区总工会",
                level="county",
                league="呼和浩特市",
                county="赛罕区",
                adcode="150105",
                key="saihan",
                parent="hohhot",
                chats=[Recipient(WECOM, "robot-saihan")],
            ),
            # 新城区 has a union but no staff chat yet: its cases go up to the league.
            UnionRow(
                name="新城区总工会",
                level="county",
                league="呼和浩特市",
                county="新城区",
                adcode="150102",
                key="xincheng",
                parent="hohhot",
            ),
        ],
    )


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeCom]:
    fake = await FakeWeCom().start()
    yield fake
    await fake.close()


async def _world(backend: Callable[..., Services]) -> tuple[Services, Referrals]:
    ctx = backend()
    await ctx.start()
    await _directory(ctx)
    return ctx, ctx.referrals


def _dispatcher(
    ctx: Services, wecom: FakeWeCom, http: httpx.AsyncClient, **kw: float
) -> Dispatcher:
    dispatcher = Dispatcher(ctx.db, base_delay=0.02, max_delay=0.2, **kw)  # type: ignore[arg-type]
    # The robot's "wait a minute" (45009) shortened, so the test does not take minutes.
    robot = WeComRobot(http, base_url=wecom.base_url, freq_wait=0.2)
    dispatcher.register(WECOM, WeComSender(robot))
    return dispatcher


def legal(worker: str, point: Point | None, source: str | None = None, **kw: object) -> NewCase:
    fields: dict[str, object] = {
        "kind": "legal_aid",
        "category": "unpaid_wages",
        "channel": "telegram",
        "worker_ref": worker,
        "description": "老板拖欠三个月工资",
        "point": point,
        "source_ref": source,
    }
    fields.update(kw)
    return NewCase(**fields)  # type: ignore[arg-type]


async def test_routes_by_boundary_to_the_union_that_exists(
    backend: Callable[..., Services],
) -> None:
    ctx, service = await _world(backend)
    assert await import_boundaries(ctx.db, require_boundaries()) == 116
    service.areas = AreaFinder(ctx.db)
    saihan = await service.submit(legal("w1", SAIHAN))
    assert saihan.case.area_name == "赛罕区" and saihan.routed_to == "赛罕区总工会"
    assert saihan.urgent and "12351" in saihan.acknowledgement and "12348" in saihan.acknowledgement
    assert saihan.case.number in saihan.acknowledgement
    xincheng = await service.submit(legal("w2", XINCHENG))
    assert xincheng.case.area_name == "新城区"
    # 新城区's union has no staff chat: the case is still its own (in its queue), and the
    # card goes to the nearest chat above, the league's.
    assert xincheng.routed_to == "新城区总工会" and xincheng.case.level == "county"
    assert [(r.channel, r.address) for r in await service.recipients(xincheng.case.id or 0)] == [
        (WECOM, "robot-hohhot")
    ]
    xincheng_staff, _ = await ctx.directory.add_staff("新城区工作人员", ["xincheng"])
    assert [c.number for c in await service.for_staff(xincheng_staff)] == [xincheng.case.number]
    baotou = await service.submit(legal("w3", BAOTOU_KUN))  # no Baotou union: the region
    assert baotou.routed_to == "内蒙古自治区总工会" and baotou.case.level == "region"


async def test_nearest_seat_when_no_boundaries(backend: Callable[..., Services]) -> None:
    _ctx, service = await _world(backend)
    got = await service.submit(legal("w1", SAIHAN))
    assert got.case.county_adcode == "150105" and got.routed_to == "赛罕区总工会"


async def test_bad_input_is_refused_in_chinese_and_stores_nothing(
    backend: Callable[..., Services],
) -> None:
    ctx, service = await _world(backend)
    for bad in (
        legal("w", SAIHAN, category="lottery"),
        legal("w", SAIHAN, description="钱"),
        NewCase(kind="feedback", category="dirty", channel="telegram", worker_ref="w"),
        legal("w", SAIHAN, description="长" * 1001),
    ):
        with pytest.raises(CaseError) as err:
            await service.submit(bad)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(err.value))
    async with ctx.db.session() as session:
        assert (await session.execute(select(OutboxMessage))).first() is None


async def test_a_resent_request_answers_only_its_own_worker(
    backend: Callable[..., Services],
) -> None:
    _ctx, service = await _world(backend)
    first = await service.submit(legal("w1", SAIHAN, "msg-7"))
    again = await service.submit(legal("w1", SAIHAN, "msg-7"))
    assert first.created and not again.created and again.case.number == first.case.number
    # Another account that presents the same reference learns nothing of the first case.
    with pytest.raises(CaseError) as err:
        await service.submit(legal("w2", SAIHAN, "msg-7", description="别人的求助内容"))
    assert "重新提交" in str(err.value) and first.case.number not in str(err.value)
    assert [c.number for c in await service.of_worker("telegram", "w2")] == []


async def test_faulty_chat_gets_every_case_exactly_once(
    backend: Callable[..., Services], wecom: FakeWeCom
) -> None:
    """50 % failures (502s and 45009 rate limits), a dispatcher killed mid-delivery and a second
    one taking over: every acknowledged case reaches its staff chat exactly once."""
    ctx, service = await _world(backend)
    wecom.fail_rate = 0.5
    acknowledged = []
    for n in range(12):
        got = await service.submit(legal(f"w{n}", SAIHAN if n % 2 else XINCHENG, f"upd-{n}"))
        acknowledged.append(got.case)
        again = await service.submit(legal(f"w{n}", SAIHAN if n % 2 else XINCHENG, f"upd-{n}"))
        assert not again.created and again.case.number == got.case.number  # duplicate update
    async with httpx.AsyncClient() as http:
        wecom.hang_next = 1
        first = _dispatcher(ctx, wecom, http, lease_seconds=0.5, poll_seconds=0.05)
        first.start()
        await asyncio.wait_for(wecom.hanging.wait(), 10)
        await first.stop(grace=0.3)  # killed with a message still in flight
        second = _dispatcher(ctx, wecom, http, lease_seconds=0.5, poll_seconds=0.05)
        async with asyncio.timeout(60):
            while True:
                await second.run_once()
                async with ctx.db.session() as session:
                    left = (
                        (
                            await session.execute(
                                select(OutboxMessage).where(OutboxMessage.status != "sent")
                            )
                        )
                        .scalars()
                        .all()
                    )  # type: ignore[arg-type]
                if not left:
                    break
                await asyncio.sleep(0.05)
    assert wecom.failures > 3
    saihan = [c.number for c in acknowledged if c.area_name == "赛罕区"]
    hohhot = [c.number for c in acknowledged if c.area_name == "新城区"]
    for key, numbers in (("robot-saihan", saihan), ("robot-hohhot", hohhot)):
        seen = [n for text in wecom.texts(key) for n in numbers if n in text]
        assert sorted(seen) == sorted(numbers), key  # each exactly once


async def test_staff_actions_audit_and_worker_notices(backend: Callable[..., Services]) -> None:
    ctx, service = await _world(backend)
    staff, _ = await ctx.directory.add_staff("王芳", ["saihan"])
    outsider, _ = await ctx.directory.add_staff("李强", ["xincheng"])
    case = (await service.submit(legal("tg-42", SAIHAN, "u1"))).case
    assert case.id is not None
    with pytest.raises(NotAllowed):
        await service.claim(case.id, outsider, "admin_api")
    claimed = await service.claim(case.id, staff, "telegram")
    assert claimed.notified_worker and claimed.case.status == "claimed"
    with pytest.raises(CaseError):
        await service.claim(case.id, _other(staff), "telegram")
    await service.reply(case.id, staff, "请带上劳动合同来区总工会三楼。", "telegram")
    await service.resolve(case.id, staff, "已协调企业补发工资", "admin_api")
    with pytest.raises(CaseError):
        await service.resolve(case.id, staff, "again", "admin_api")
    await service.reopen(case.id, staff, "工人说还差一个月", "admin_api")
    events = await service.events(case.id)
    assert [e.action for e in events] == [
        "created",
        "routed",
        "claimed",
        "replied",
        "resolved",
        "reopened",
    ]
    assert events[2].actor == f"staff:{staff.id}" and events[2].channel == "telegram"
    async with ctx.db.session() as session:
        notices = [
            m.payload["text"]
            for m in (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.recipient == "tg-42")  # type: ignore[arg-type]
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
        ]  # type: ignore[arg-type]
    assert "受理" in notices[0] and "王芳" in notices[0]
    assert "三楼" in notices[1] and "补发工资" in notices[2] and "重新打开" in notices[3]
    mine = await service.of_worker("telegram", "tg-42")
    assert [c.number for c in mine] == [case.number]
    assert [c.id for c in await service.for_staff(staff)] == [case.id]
    assert await service.for_staff(outsider) == []


def _other(staff: StaffInfo) -> StaffInfo:
    return StaffInfo(staff.id + 100, "别人", staff.union_ids)


async def test_unclaimed_legal_aid_escalates_after_four_working_hours(
    backend: Callable[..., Services],
) -> None:
    ctx, service = await _world(backend)
    friday_4pm = WORKDAY_MORNING.replace(day=27, hour=16)  # Friday 2026-11-27
    ctx.clock.set(friday_4pm)  # type: ignore[attr-defined]
    case = (await service.submit(legal("w1", SAIHAN))).case
    assert case.sla_due_at == add_working_hours(friday_4pm, 4)
    assert case.sla_due_at.astimezone(friday_4pm.tzinfo).hour == 12  # Monday noon, not Saturday
    ctx.clock.set(friday_4pm + timedelta(days=2))  # type: ignore[attr-defined]
    assert await service.escalate_due() == 0
    ctx.clock.set(friday_4pm.replace(day=30, hour=12, minute=1))  # type: ignore[attr-defined]
    assert await service.escalate_due() == 1
    fresh = await service.get(case.id or 0)
    hohhot = await ctx.directory.find_union("hohhot")
    assert fresh is not None and hohhot is not None
    assert fresh.union_id == hohhot.id and fresh.level == "league" and fresh.escalations == 1
    recipients = [(r.address, r.reason) for r in await service.recipients(case.id or 0)]
    assert recipients == [("robot-saihan", "routed"), ("robot-hohhot", "escalated")]
    async with ctx.db.session() as session:
        card = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.recipient == "robot-hohhot")
            )
        ).scalar_one()  # type: ignore[arg-type]
    assert "升级" in card.payload["text"] and case.number in card.payload["text"]
    assert await service.escalate_due() == 0  # not again until the new deadline


async def test_two_closed_reports_demote_the_station(backend: Callable[..., Services]) -> None:
    ctx, service = await _world(backend)
    await add_stations(
        ctx,
        station("S1", SAIHAN.lat, SAIHAN.lng, opening_hours="Mo-Fr 08:00-18:00", county="赛罕区"),
        station("S2", SAIHAN.lat + 0.002, SAIHAN.lng, county="赛罕区"),
    )
    s1 = next(s for s in ctx.finder.index.stations if s.code == "S1")
    reports = ctx.closed_reports

    def closed(worker: str) -> NewCase:
        return NewCase(
            kind="feedback",
            category="closed",
            channel="wechat",
            worker_ref=worker,
            station_id=s1.id,
        )

    await service.submit(closed("a"))
    await service.submit(closed("a"))  # the same worker twice is one voice
    await asyncio.sleep(0)
    assert await reports.demoted() == frozenset()
    ctx.clock.advance(timedelta(minutes=90))  # type: ignore[attr-defined]
    second = await service.submit(closed("b"))
    assert second.routed_to == "赛罕区总工会"  # the station's union gets the report
    await asyncio.sleep(0.01)
    assert await reports.demoted() == {s1.id}
    ranked = ctx.finder.nearest_open(SAIHAN, demoted=await reports.demoted())
    assert ranked[-1].station.id == s1.id and ranked[-1].reported_closed
    ctx.clock.set(WORKDAY_MORNING.replace(day=25, hour=8, minute=1))  # type: ignore[attr-defined]
    assert await reports.demoted() == frozenset()  # it opened again: a fresh chance
