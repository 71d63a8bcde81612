"""Working time for deadlines: Asia/Shanghai office hours on China's working days (holidays off,
make-up working days on). A legal-aid request sent on Friday evening is due Monday afternoon,
not Saturday morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from core.clock import CHINA_TZ
from locations import is_working_day

# Union offices' hours; the escalation counts only these.
DAY_START = time(9, 0)
DAY_END = time(17, 0)


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment `hours` of working time after `start`."""
    left = timedelta(hours=hours)
    at = start.astimezone(CHINA_TZ)
    for _ in range(400):  # a year of days is more than any deadline needs
        day = at.date()
        open_at = datetime.combine(day, DAY_START, tzinfo=CHINA_TZ)
        close_at = datetime.combine(day, DAY_END, tzinfo=CHINA_TZ)
        if is_working_day(day) and at < close_at:
            begin = max(at, open_at)
            if begin + left <= close_at:
                return begin + left
            left -= close_at - begin
        at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
    raise ValueError("deadline beyond a year of working days")


def working_hours_between(start: datetime, end: datetime) -> float:
    """Working hours elapsed from `start` to `end` (0 when end is earlier)."""
    total = timedelta()
    at = start.astimezone(CHINA_TZ)
    end = end.astimezone(CHINA_TZ)
    while at < end:
        day = at.date()
        open_at = datetime.combine(day, DAY_START, tzinfo=CHINA_TZ)
        close_at = datetime.combine(day, DAY_END, tzinfo=CHINA_TZ)
        if is_working_day(day):
            begin, stop = max(at, open_at), min(end, close_at)
            if stop > begin:
                total += stop - begin
        at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
    return total.total_seconds() / 3600
