"""The parsed form of a Chinese hours text (`Rule`, `State`) and its rendering as
OpenStreetMap syntax; the reading itself is in `_hours_zh`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._hours import HoursError

DAY_NAMES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
HINT = "可以写成：周一至周五 8:00-18:00、每天 24小时、夏季（5-9月）8:00-20:00，或 Mo-Fr 08:00-18:00"


@dataclass
class Rule:
    months: str = ""
    season_default: bool = False  # months came from 夏季/冬季 and may still be narrowed
    days: set[int] = field(default_factory=set)
    spans: list[tuple[int, int]] = field(default_factory=list)
    cuts: list[tuple[int, int]] = field(default_factory=list)
    off: bool = False
    same: bool = False  # 照常/不休: the hours of the rule before
    holiday: bool = False  # a PH rule ("节假日 9:00-12:00")
    workday: bool = False  # 工作日: Monday to Friday, closed on holidays
    inherited_days: bool = False  # days carried over from the season before; replaced, not added
    rest: bool = False  # 其余时间: goes first, so the other rules override it

    def started(self) -> bool:
        return bool(self.spans or self.off or self.same)


@dataclass
class State:
    raw: str
    index: list[int]  # position in `raw` of each character of the normalised text
    rules: list[Rule] = field(default_factory=lambda: [Rule()])
    holidays_off: bool = False
    holidays_as_usual: bool = False  # 节假日照常 / 全年无休: never add "PH off"
    cut_next: bool = False  # 午休 seen: the next span is a break, not an opening
    year_round: bool = False  # 全年无休 was written
    group_days: set[int] = field(default_factory=set)  # days written before a season word

    def where(self, m: re.Match[str] | tuple[int, int]) -> str:
        """The clerk's own words for a part of the normalised text, for an error message."""
        start, end = (m.start(), m.end()) if isinstance(m, re.Match) else m
        part = self.raw[self.index[start] : self.index[end - 1] + 1]
        return f"开放时间“{self.raw}”" + ("" if part == self.raw else f"里的“{part}”")

    @property
    def rule(self) -> Rule:
        return self.rules[-1]

    def new_rule(self, *, keep_months: bool = True, days: set[int] | None = None) -> Rule:
        last = self.rule
        if not (last.started() or last.days or last.months or last.holiday):
            self.rules.pop()  # an empty rule left by a separator
        rule = Rule(days=set(days or ()))
        if keep_months:
            rule.months, rule.season_default = last.months, last.season_default
        self.rules.append(rule)
        return rule


# --- output ------------------------------------------------------------------------------------


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _day_selector(days: set[int]) -> str:
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in run)
    return ",".join(parts)


def _open_spans(rule: Rule) -> list[tuple[int, int]]:
    spans = sorted(rule.spans)
    for cut_a, cut_b in rule.cuts:
        left: list[tuple[int, int]] = []
        for a, b in spans:
            if b <= a or cut_b <= a or cut_a >= b:  # overnight spans are not cut
                left.append((a, b))
                continue
            if a < cut_a:
                left.append((a, cut_a))
            if cut_b < b:
                left.append((cut_b, b))
        spans = left
    return spans


def render(state: State) -> str:
    if state.cut_next and len(state.rule.spans) < 2:  # "…，中午休息" after split shifts is fine
        raise HoursError(f"开放时间“{state.raw}”里写了午休，但没写几点到几点。{HINT}")
    if state.year_round and not any(r.spans or r.same for r in state.rules):
        raise HoursError(
            f"开放时间“{state.raw}”只说了全年无休，没写几点开放。昼夜开放请写“全年无休 24小时”，"
            "否则请写上时间，如“全年无休 8:00-20:00”"
        )
    state.rules.sort(key=lambda r: not r.rest)  # stable: the others keep their order
    opened: list[str] = []
    closed: list[str] = []
    holiday: list[str] = []
    previous: list[tuple[int, int]] = []
    for rule in state.rules:
        if not (rule.started() or rule.days or rule.months or rule.holiday):
            continue
        if rule.same and not previous:
            raise HoursError(f"开放时间“{state.raw}”里说照常开放，但没写几点到几点。{HINT}")
        spans = previous if rule.same else _open_spans(rule)
        if rule.holiday:
            if rule.off:
                state.holidays_off = True
            elif spans:
                holiday.append("PH " + ",".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in spans))
            if not (rule.days or rule.months):
                continue
        selector = " ".join(filter(None, (rule.months, _day_selector(rule.days or set(range(7))))))
        if rule.off:
            closed.append(f"{selector} off")
        elif spans:
            previous = spans
            opened.append(f"{selector} " + ",".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in spans))
        elif rule.days or rule.months:
            raise HoursError(f"开放时间“{state.raw}”里只写了哪几天，没写几点到几点。{HINT}")
    if not opened and not holiday:
        if state.rules and any(r.days for r in state.rules) and not closed:
            raise HoursError(f"开放时间“{state.raw}”里只写了哪几天，没写几点到几点。{HINT}")
        raise HoursError(f"开放时间“{state.raw}”里没有写几点开放。{HINT}")
    weekend_open = any(r.days & {5, 6} and not r.off for r in state.rules)
    workdays = any(r.workday for r in state.rules) and not weekend_open
    if (state.holidays_off or workdays) and not state.holidays_as_usual and not holiday:
        holiday.append("PH off")
    rules = opened + closed + holiday
    if rules == ["Mo-Su 00:00-24:00"]:
        return "24/7"
    return "; ".join(rules)
