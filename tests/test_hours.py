"""Opening hours in Asia/Shanghai with China's holidays and make-up working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core import CHINA_TZ
from locations import HoursError, is_open, is_working_day, opening_state, validate_hours

OFFICE = "Mo-Fr 08:00-20:00; PH off"
NIGHT = "Mo-Su 20:00-02:00"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


@pytest.mark.parametrize("day", range(1, 8))
def test_national_day_2026_closes_a_ph_off_station(day: int) -> None:
    # 国庆节 2026: 10-01 … 10-07 off (State Council arrangement, via the `holidays` package).
    at = local(f"2026-10-{day:02d}T10:00")
    state = opening_state(OFFICE, at)
    assert not state.is_open
    assert state.opens_at == local("2026-10-08T08:00")


def test_the_same_hours_are_open_around_the_holiday() -> None:
    assert is_open(OFFICE, local("2026-09-30T10:00"))
    assert is_open(OFFICE, local("2026-10-08T10:00"))
    # Without "PH off" the holiday does not matter: the station said Mo-Fr and means it.
    assert is_open("Mo-Fr 08:00-20:00", local("2026-10-01T10:00"))


@pytest.mark.parametrize("day", ["2026-10-10T10:00", "2026-09-20T10:00"])
def test_make_up_working_day_opens_a_weekday_station(day: str) -> None:
    # 2026-10-10 (Saturday) and 2026-09-20 (Sunday) are 调休上班 days for National Day.
    at = local(day)
    assert at.weekday() >= 5
    assert is_working_day(at.date())
    state = opening_state("Mo-Fr 08:00-20:00", at)
    assert state.is_open
    assert state.until == at.replace(hour=20)


def test_ordinary_weekend_stays_closed() -> None:
    at = local("2026-10-17T10:00")  # the Saturday after, no make-up
    assert not is_working_day(at.date())
    assert not is_open("Mo-Fr 08:00-20:00", at)


def test_working_days_calendar() -> None:
    assert is_working_day(date(2026, 11, 24))  # Tuesday
    assert not is_working_day(date(2026, 10, 1))  # National Day, a Thursday
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert is_working_day(date(2026, 10, 10))  # make-up Saturday


def test_over_midnight_span() -> None:
    early = opening_state(NIGHT, local("2026-11-24T01:00"))
    assert early.is_open and early.until == local("2026-11-24T02:00")
    assert not is_open(NIGHT, local("2026-11-24T02:00"))
    closed = opening_state(NIGHT, local("2026-11-24T12:00"))
    assert not closed.is_open and closed.opens_at == local("2026-11-24T20:00")
    evening = opening_state(NIGHT, local("2026-11-24T21:00"))
    # Closes the next day at 02:00, not at midnight.
    assert evening.is_open and evening.until == local("2026-11-25T02:00")


def test_friday_night_span_runs_into_saturday_only() -> None:
    hours = "Mo-Fr 20:00-02:00"
    assert is_open(hours, local("2026-11-28T01:00"))  # Saturday small hours: Friday's span
    sunday = opening_state(hours, local("2026-11-29T01:00"))
    assert not sunday.is_open
    assert sunday.opens_at == local("2026-11-30T20:00")


def test_always_open() -> None:
    for at in (local("2026-10-01T03:00"), local("2026-02-17T00:00"), local("2026-11-28T23:59")):
        state = opening_state("24/7", at)
        assert state.is_open and state.always_open
        assert state.until is None


def test_opens_at_across_a_weekend() -> None:
    friday_evening = opening_state("Mo-Fr 08:00-20:00", local("2026-11-27T21:00"))
    assert not friday_evening.is_open
    assert friday_evening.opens_at == local("2026-11-30T08:00")
    before_work = opening_state("Mo-Fr 08:00-20:00", local("2026-11-24T07:30"))
    assert before_work.opens_at == local("2026-11-24T08:00")


def test_until_is_the_closing_time() -> None:
    state = opening_state("Mo-Fr 08:00-20:00", local("2026-11-24T10:00"))
    assert state.is_open and state.until == local("2026-11-24T20:00")


def test_utc_input_is_read_in_shanghai_time() -> None:
    # 01:30 UTC is 09:30 in Shanghai: open.
    assert is_open("Mo-Fr 08:00-20:00", datetime(2026, 11, 24, 1, 30, tzinfo=UTC))
    # 13:00 UTC is 21:00 in Shanghai: closed, though 13:00 would be open in UTC.
    late = opening_state("Mo-Fr 08:00-20:00", datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    assert not late.is_open
    assert late.opens_at == local("2026-11-25T08:00")
    # Monday 23:30 UTC is Tuesday 07:30 local: closed, opens within half an hour.
    monday_night = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    state = opening_state("Mo-Fr 08:00-20:00", monday_night)
    assert state.opens_at is not None
    assert state.opens_at - monday_night == timedelta(minutes=30)


def test_national_day_seen_from_utc() -> None:
    # 2026-09-30 17:00 UTC is already 10-01 01:00 in Shanghai: the holiday has begun.
    at = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert not is_open("Mo-Su 00:00-24:00; PH off", at)
    assert is_open("Mo-Su 00:00-24:00; PH off", at - timedelta(hours=2))


@pytest.mark.parametrize("text", ["Mo-Fx 08:00-20:00", "always", "08:00-25:99", "营业中"])
def test_unparsable_hours_raise_in_chinese(text: str) -> None:
    with pytest.raises(HoursError) as err:
        validate_hours(text)
    assert "营业时间" in str(err.value) and "无法识别" in str(err.value)
    # Search never sees the parser's own exception either.
    with pytest.raises(HoursError):
        opening_state(text, local("2026-11-24T10:00"))


def test_empty_hours_raise_in_chinese() -> None:
    with pytest.raises(HoursError, match="营业时间为空"):
        validate_hours("   ")


def test_validate_returns_stripped_expression() -> None:
    assert validate_hours("  Mo-Fr 08:00-20:00 ") == "Mo-Fr 08:00-20:00"
