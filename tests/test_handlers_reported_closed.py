"""Closed-station reports reach the conversation: a station two workers just reported closed
ranks after open alternatives in every station search, and its reply warns the worker."""

from __future__ import annotations

from datetime import timedelta

from handlers import Conversation, Message, Place, Reply, Services, Text
from locations import Point
from referrals import NewCase
from tests.stations import HOHHOT, add_stations, station

LAT, LNG = HOHHOT
WARNING = "有人反映可能未开放"


def msg(
    text: str | None = None,
    *,
    at: tuple[float, float] | None = None,
    data: str | None = None,
    user: str = "u1",
    language: str = "zh-hans",
) -> Message:
    return Message(
        channel="console",
        user_id=user,
        chat_id=user,
        text=text,
        location=Point(*at) if at else None,
        data=data,
        language=language,
    )


def pin(replies: list[Reply]) -> str:
    places = [r for r in replies if isinstance(r, Place)]
    assert len(places) == 1, replies
    return places[0].title


def detail(replies: list[Reply]) -> Text:
    return next(r for r in replies if isinstance(r, Text))


def next_button(replies: list[Reply]) -> str:
    for row in detail(replies).buttons:
        for button in row:
            if button.label == "下一个驿站" and button.data:
                return button.data
    raise AssertionError(replies)


async def _town_with_report(ctx: Services) -> None:
    await add_stations(
        ctx,
        station(
            "NEAR",
            LAT + 0.001,
            LNG,
            name="新华广场驿站",
            phone="0471-6600001",
            services=["rest", "drinking_water"],
            opening_hours="Mo-Su 08:00-20:00",
        ),
        station("MID", LAT + 0.003, LNG, name="如厕驿站", services=["toilet_guidance", "rest"]),
        station("FAR", LAT + 0.006, LNG, name="热饭驿站", services=["meal_heating", "rest"]),
    )
    near = next(s for s in ctx.finder.index.stations if s.code == "NEAR")
    for worker in ("w1", "w2"):  # two different workers, half an hour apart, in opening hours
        await ctx.referrals.submit(
            NewCase(
                kind="feedback",
                category="closed",
                channel="console",
                worker_ref=worker,
                station_id=near.id,
            )
        )
        ctx.clock.advance(timedelta(minutes=30))  # type: ignore[attr-defined]


async def test_shared_location_ranks_reported_station_last_and_warns(context: Services) -> None:
    await _town_with_report(context)
    conversation = Conversation(context)
    first = await conversation.handle(msg(at=HOHHOT))
    assert pin(first) == "如厕驿站"  # the nearer NEAR comes after the open alternatives
    assert WARNING not in detail(first).text
    second = await conversation.handle(msg(data=next_button(first)))
    assert pin(second) == "热饭驿站" and WARNING not in detail(second).text
    third = await conversation.handle(msg(data=next_button(second)))
    assert pin(third) == "新华广场驿站"
    body = detail(third).text
    assert WARNING in body and "先打个电话" in body
    assert body.splitlines()[1].startswith("⚠")  # right under the name, before the details


async def test_typed_needs_and_near_use_the_reports_too(context: Services) -> None:
    await _town_with_report(context)
    conversation = Conversation(context)
    await conversation.handle(msg(at=HOHHOT))
    # Only the reported station offers water: it is still offered, with the warning.
    water = await conversation.handle(msg("喝水"))
    assert pin(water) == "新华广场驿站" and WARNING in detail(water).text
    rest = await conversation.handle(msg("附近驿站"))
    assert pin(rest) == "如厕驿站" and WARNING not in detail(rest).text


async def test_without_reports_nothing_is_demoted(context: Services) -> None:
    await add_stations(
        context,
        station("NEAR", LAT + 0.001, LNG, name="新华广场驿站"),
        station("MID", LAT + 0.003, LNG, name="如厕驿站"),
    )
    replies = await Conversation(context).handle(msg(at=HOHHOT))
    assert pin(replies) == "新华广场驿站" and WARNING not in detail(replies).text


async def test_english_warning(context: Services) -> None:
    await _town_with_report(context)
    conversation = Conversation(context)
    await conversation.handle(msg(at=HOHHOT, language="en"))
    water = await conversation.handle(msg("喝水", language="en"))
    assert "may be closed" in detail(water).text
