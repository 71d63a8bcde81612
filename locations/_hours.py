"""Opening hours: OpenStreetMap syntax, evaluated in Asia/Shanghai with China's calendar.

The expression is parsed by opening-hours-py. China's public holidays and make-up working days
(调休上班) come from the `holidays` package:

- `PH` in an expression means China's statutory holidays: we substitute the explicit dates, so
  "Mo-Fr 08:00-20:00; PH off" is closed during the Spring Festival break.
- On a make-up working day (a Saturday or Sunday that is officially a working day) a station is
  open as on an ordinary working day: we evaluate that day with the rules of the nearest preceding
  ordinary working day. Government halls and bank branches that host stations do exactly that.

Evaluations are cached per (expression, local date), so searching thousands of stations that
share a few expressions costs a dictionary lookup each.

Exceptions: `HoursError` (an expression that cannot be parsed), message in Chinese.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from opening_hours import OpeningHours, ParserError, State  # type: ignore[attr-defined]

from core.clock import CHINA_TZ

ALWAYS = "24/7"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PH = re.compile(r"\bPH\b")
_HORIZON_DAYS = 8


class HoursError(ValueError):
    """An opening-hours expression that cannot be understood."""


@lru_cache(maxsize=8)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.China(years=range(year - 1, year + 2))


def is_public_holiday(day: date) -> bool:
    return day in _calendar(day.year)


def is_makeup_workday(day: date) -> bool:
    return day.weekday() >= 5 and day in _calendar(day.year).weekend_workdays


def is_working_day(day: date) -> bool:
    """Working day in China: Monday to Friday except holidays, plus make-up working days."""
    if is_makeup_workday(day):
        return True
    return day.weekday() < 5 and not is_public_holiday(day)


def _rule_day(day: date) -> date:
    """The date whose rules apply to `day` (see the module docstring on make-up days)."""
    if not is_makeup_workday(day):
        return day
    probe = day - timedelta(days=1)
    while probe.weekday() >= 5 or is_public_holiday(probe):
        probe -= timedelta(days=1)
    return probe


def _holiday_selector(years: range) -> str:
    days = sorted(d for y in years for d in _calendar(y) if d.year in years)
    return ",".join(f"{d.year} {_MONTHS[d.month - 1]} {d.day:02d}" for d in days)


@lru_cache(maxsize=4096)
def _compiled(expression: str, year: int) -> OpeningHours:
    text = expression
    if _PH.search(text):
        text = _PH.sub(_holiday_selector(range(year - 1, year + 2)), text)
    try:
        return OpeningHours(text)
    except (ParserError, ValueError) as exc:
        # The parser's error must not leave this module: an expression that skipped validation
        # would otherwise reach search as a vendor exception instead of a Chinese HoursError.
        raise HoursError(
            f"营业时间“{expression}”无法识别，请用 OpenStreetMap 格式，如 24/7 或 Mo-Fr 08:00-20:00"
        ) from exc


def validate_hours(expression: str) -> str:
    """The expression, stripped, when it parses; otherwise `HoursError` with a Chinese reason."""
    text = (expression or "").strip()
    if not text:
        raise HoursError("营业时间为空")
    _compiled(text, date.today().year)  # HoursError, in Chinese, when it does not parse
    return text


@lru_cache(maxsize=65536)
def _day_intervals(expression: str, day: date) -> tuple[tuple[int, int], ...]:
    """Open intervals of one local day as (start_minute, end_minute), end exclusive, in 0..1440."""
    rule_day = _rule_day(day)
    oh = _compiled(expression, rule_day.year)
    start = datetime.combine(rule_day, time())
    spans: list[tuple[int, int]] = []
    for begin, end, state, _comment in oh.intervals(start, start + timedelta(days=1)):
        if state != State.OPEN:
            continue
        a = int((begin - start).total_seconds() // 60)
        b = int((end - start).total_seconds() // 60) if end is not None else 1440
        a, b = max(0, a), min(1440, b)
        if spans and spans[-1][1] == a:
            spans[-1] = (spans[-1][0], b)
        elif b > a:
            spans.append((a, b))
    return tuple(spans)


@dataclass(frozen=True, slots=True)
class OpeningState:
    """Whether a station is open at a moment, and when that changes."""

    is_open: bool
    always_open: bool = False
    until: datetime | None = None  # when open: closes at (None: not within the next week)
    opens_at: datetime | None = None  # when closed: next opening (None: not within the next week)
    known: bool = True  # False: the union gave no hours; never taken for open


ALWAYS_OPEN = OpeningState(is_open=True, always_open=True)
UNKNOWN_HOURS = OpeningState(is_open=False, known=False)


def opening_state(expression: str, at: datetime) -> OpeningState:
    """Open or closed at `at` (any timezone; evaluated in Asia/Shanghai) and the next change.
    No expression at all means the hours are not known: `UNKNOWN_HOURS`, never open."""
    text = expression.strip()
    if text == ALWAYS:
        return ALWAYS_OPEN
    if not text:
        return UNKNOWN_HOURS
    local = at.astimezone(CHINA_TZ)
    day, minute = local.date(), local.hour * 60 + local.minute
    spans = _day_intervals(expression, day)
    i = bisect_right(spans, (minute, 1441)) - 1
    if i >= 0 and spans[i][0] <= minute < spans[i][1]:
        return OpeningState(is_open=True, until=_closing_after(expression, day, spans[i][1]))
    for offset in range(_HORIZON_DAYS):
        d = day + timedelta(days=offset)
        for a, _b in _day_intervals(expression, d):
            if offset > 0 or a > minute:
                return OpeningState(is_open=False, opens_at=_at(d, a))
    return OpeningState(is_open=False)


def is_open(expression: str, at: datetime) -> bool:
    return opening_state(expression, at).is_open


def _closing_after(expression: str, day: date, end_minute: int) -> datetime | None:
    """Where an open span ending at `end_minute` really ends, following it over midnight."""
    for offset in range(_HORIZON_DAYS):
        if end_minute < 1440:
            return _at(day + timedelta(days=offset), end_minute)
        spans = _day_intervals(expression, day + timedelta(days=offset + 1))
        if not spans or spans[0][0] != 0:
            return _at(day + timedelta(days=offset + 1), 0)
        end_minute = spans[0][1]
    return None


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(), tzinfo=CHINA_TZ) + timedelta(minutes=minute)
