"""The Bot API client keeps to Telegram's limits in every window, bursts included: 30 calls a
second overall, 20 messages a minute to a group, about one a second to a private chat."""

from __future__ import annotations

import pytest

import integrations.telegram as telegram
from integrations import RateLimiter


async def _send_times(monkeypatch: pytest.MonkeyPatch, chats: list[str]) -> list[float]:
    """When each call would go, calls made one after another on a clock that only the
    limiter's sleeps move."""
    clock = [0.0]
    monkeypatch.setattr(telegram.time, "monotonic", lambda: clock[0])

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    monkeypatch.setattr(telegram.asyncio, "sleep", sleep)
    limiter = RateLimiter()
    times = []
    for chat in chats:
        await limiter.wait(chat)
        times.append(clock[0])
    return times


def _most_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_a_group_gets_at_most_twenty_messages_in_any_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    times = await _send_times(monkeypatch, ["-100200"] * 60)
    assert 19 <= _most_in_window(times, 60.0) <= 20
    assert times[2] < 0.1  # a card and its follow-ups still go out together


async def test_all_chats_together_get_at_most_thirty_calls_in_any_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    times = await _send_times(monkeypatch, [str(n) for n in range(120)])
    assert _most_in_window(times, 1.0) == 28
    assert max(times) < 4.5  # and keeps close to that rate


async def test_a_private_chat_gets_about_one_message_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    times = await _send_times(monkeypatch, ["42"] * 13)
    assert times[2] < 0.1 and times[-1] == pytest.approx(10.0)
