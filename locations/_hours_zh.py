"""Opening hours as Chinese union clerks write them, turned into OpenStreetMap syntax.

"周一至周五 8:00-18:00，节假日休息" becomes "Mo-Fr 08:00-18:00; PH off". The text is read as a
sequence of tokens (days, seasons, time ranges, 休息/照常 words); a new day or season word after
a time starts a new rule, so "周一至周五8-18，周六9-12" is two rules and "上午8-12，下午2-6" is
one rule with two spans. Anything no token matches is an error naming that part, so a clerk
knows what to rewrite.

Readings chosen on purpose (a worker sent to a closed door is the failure to avoid):
- 工作日 is Monday to Friday *and* closed on public holidays (that is what a working day is);
  周一至周五 says nothing about holidays, so holidays follow the weekday.
- 夏季 without months is May-Sep and 冬季 is Oct-Apr, the usual 夏令/冬令作息 split in north China.
- A bare 全年无休 says every day but not the hours: it is an error asking for them, never 24/7.
- An end before the start is an overnight span only when it reads as one (22:00-6:00, 晚8点到凌晨2点,
  次日); "8:00-5:30" is asked about, since it is usually 17:30.
- 12-hour words: 下午/晚上 add 12 to hours below 12 (晚12点 is midnight), 中午1点 is 13:00.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from ._hours import HoursError
from ._hours_zh_render import HINT, Rule, State, hhmm, render

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_CHAR = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": -1}
_DAY_CHAR.update({str(i + 1): i for i in range(7)})
_SUMMER = ((5, 0), (9, 0))  # (month, day); day 0 = the whole month
_WINTER = ((10, 0), (4, 0))
_WHOLE_DAY = (0, 1440)

# Dashes and range words all mean "to"; NFKC has already made ～ a "~" and full-width digits ASCII.
_DASHES = str.maketrans({c: "-" for c in "—–―‒−~〜至到"})
_NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_PREFIX = r"(?:早上|早晨|清晨|上午|中午|下午|傍晚|晚上|晚间|夜间|夜里|夜晚|凌晨|次日|第二天|翌日|隔天|早|午|晚|夜)"
_TIME = rf"(?:{_PREFIX}){{0,2}}{_NUM}(?::\d{{2}}|[点时](?:半|\d{{1,2}}分?)?)?"
_HOL = r"(?:国家)?(?:法定)?(?:节假日|节日|假日|公休日|公共假日|节庆日)"
_OFF = r"(?:不对外开放|不开放|不营业|暂停服务|停止服务|闭馆|休馆|闭站|关闭|关门|休息|歇业|休)"
_SAME = (
    r"(?:照常开放|正常开放|照常营业|正常营业|照常服务|正常服务|照常|正常|不休息|不休|无休|不闭馆)"
)


def parse_hours_zh(text: str) -> str:
    """OSM opening_hours for Chinese hours text; `HoursError` naming the part it cannot read."""
    return _parse(text.strip())


@lru_cache(maxsize=4096)  # files repeat a few dozen hours strings thousands of times
def _parse(raw: str) -> str:
    if not raw:
        raise HoursError("开放时间是空的")
    chars: list[str] = []
    index: list[int] = []
    for i, c in enumerate(raw):  # one character at a time, to quote the clerk's own text
        for n in unicodedata.normalize("NFKC", c).translate(_DASHES):
            chars.append(n)
            index.append(i)
    text = "".join(chars)
    state = State(raw, index)
    pos = 0
    while pos < len(text):
        m = _SEPARATORS.match(text, pos)
        if m:
            pos = m.end()
            continue
        for pattern, act in _TOKENS:
            m = pattern.match(text, pos)
            if m:
                act(state, m)
                pos = m.end()
                break
        else:
            raise HoursError(f"{state.where((pos, _unknown_end(text, pos)))}看不懂。{HINT}")
    return render(state)


def _unknown_end(text: str, pos: int) -> int:
    end = pos + 1
    while end < len(text) and not _SEPARATORS.match(text, end):
        if any(p.match(text, end) for p, _ in _TOKENS[:-1]):  # the last token is a filler
            break
        end += 1
    return end


# --- tokens ------------------------------------------------------------------------------------


def _number(raw: str) -> int:
    if raw.isdigit():
        return int(raw)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
    if "十" in raw:
        tens, _, ones = raw.partition("十")
        return digits.get(tens, 1) * 10 + (digits[ones] if ones else 0)
    return digits[raw]


def _days(state: State, days: set[int], *, workday: bool = False) -> None:
    rule = state.rule
    if rule.started() or (rule.holiday and not rule.days):
        rule = state.new_rule()
    if rule.inherited_days:
        rule.days, rule.inherited_days = set(), False
    rule.days |= days
    rule.workday |= workday
    if not rule.months:
        state.group_days = set(rule.days)


def _day_list(state: State, m: re.Match[str]) -> None:
    first = [_DAY_CHAR[c] for c in m["list"]]
    if m["to"]:
        start, end = first[-1], _DAY_CHAR[m["to"]]
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
        days = {*first[:-1], *span}
    else:
        days = set(first)
    if -1 in days:  # 周末
        days = (days - {-1}) | {5, 6}
    _days(state, days)


def _more_days(state: State, m: re.Match[str]) -> None:
    """ "周一、三、五": a bare day after a list of days."""
    rule = state.rule
    if not rule.days or rule.started():
        raise HoursError(f"{state.where(m)}看不懂。{HINT}")
    rule.days.add(_DAY_CHAR[m[0]])


def _rest(state: State, m: re.Match[str]) -> None:
    """ "其余月份 8:00-18:00": hours for whatever the other rules do not cover."""
    rule = state.new_rule(keep_months=False)
    rule.rest = True


def _season(months: tuple[tuple[int, int], tuple[int, int]], default: bool) -> Callable:
    def act(state: State, _m: re.Match[str] | None = None) -> None:
        rule = state.rule
        if rule.started() or rule.months:
            rule = _next_season(state)
        rule.months, rule.season_default = _month_range(*months), default

    return act


def _months(state: State, m: re.Match[str]) -> None:
    start = (_number(m["m1"]), _number(m["d1"]) if m["d1"] else 0)
    end = (_number(m["m2"]), _number(m["d2"]) if m["d2"] else 0)
    for month, day in (start, end):
        if not (1 <= month <= 12 and 0 <= day <= 31):
            raise HoursError(f"{state.where(m)}不是有效的月份或日期")
    rule = state.rule
    if rule.started() and not rule.months:
        rule = state.new_rule(keep_months=False)
    elif rule.months and not (rule.season_default and not rule.started()):
        rule = _next_season(state)
    rule.months, rule.season_default = _month_range(start, end), False


def _next_season(state: State) -> Rule:
    """A rule for the next season; "周一至周五：夏季…，冬季…" keeps the days written before."""
    inherit = bool(state.rule.months and state.group_days)
    rule = state.new_rule(keep_months=False, days=state.group_days if inherit else set())
    rule.inherited_days = inherit
    return rule


def _month_range(start: tuple[int, int], end: tuple[int, int]) -> str:
    def one(month: int, day: int) -> str:
        return f"{_MONTH_NAMES[month - 1]} {day:02d}" if day else _MONTH_NAMES[month - 1]

    return f"{one(*start)}-{one(*end)}"


def _minute(
    state: State, m: re.Match[str], group: str, *, start_prefix: str = ""
) -> tuple[int, str, bool]:
    """Minute of the day, the 12-hour word in force, and whether 次日 was written."""
    piece = m[group]
    t = re.fullmatch(rf"((?:{_PREFIX})*)({_NUM})(?::(\d{{2}})|[点时](半|\d{{1,2}})?分?)?", piece)
    if t is None:
        raise HoursError(f"{state.where(m.span(group))}看不懂。{HINT}")
    words, hour, minute = t[1], _number(t[2]), t[3] or t[4] or "0"
    minute_n = 30 if minute == "半" else int(minute)
    next_day = any(w in words for w in ("次日", "第二天", "翌日", "隔天"))
    word = re.sub("次日|第二天|翌日|隔天", "", words) or start_prefix
    if hour > 24 or minute_n >= 60 or (hour == 24 and minute_n):
        raise HoursError(f"{state.where(m.span(group))}不是有效的时刻")
    if word in ("下午", "傍晚", "晚上", "晚间", "夜间", "夜里", "夜晚", "晚", "夜") and hour <= 12:
        if hour == 12:
            hour = 24 if word != "下午" else 12  # 晚12点 is midnight; 下午12点 is noon
        elif not (word in ("夜间", "夜里", "夜") and hour < 6):  # 夜里3点 is 03:00
            hour += 12
    elif word in ("中午", "午") and hour < 6:
        hour += 12
    elif word == "凌晨" and hour == 12:
        hour = 0
    return hour * 60 + minute_n, word, next_day


def _span(state: State, m: re.Match[str]) -> None:
    start, word, _ = _minute(state, m, "a")
    end, end_word, next_day = _minute(state, m, "b")
    if word and not end_word and end < start:
        # "下午2:30-5:30": the start's 下午 covers the end too, when that makes sense.
        shifted, _, _ = _minute(state, m, "b", start_prefix=word)
        if shifted > start:
            end, end_word = shifted, word
    if end == 0 and start > 0:
        end = 1440  # "20:00-0:00" ends at midnight
    if end < start:
        overnight = next_day or end_word in ("凌晨", "早", "早上", "清晨") or start >= 12 * 60
        if not overnight:
            later = f"若是下午，请写成 {hhmm(start)}-{hhmm(end + 720)}；" if end < 720 else ""
            raise HoursError(f"{state.where(m)}结束早于开始。{later}跨夜请写“次日”")
    elif end == start:
        raise HoursError(f"{state.where(m)}开始和结束是同一时刻")
    rule = state.rule
    if rule.off or rule.same:
        rule = state.new_rule()
    if state.cut_next:
        rule.cuts.append((start, end))
        state.cut_next = False
    else:
        rule.spans.append((start, end))


def _all_day(every_day: bool) -> Callable:
    def act(state: State, _m: re.Match[str]) -> None:
        rule = state.rule
        if rule.off or rule.same or (rule.spans and rule.spans != [_WHOLE_DAY]):
            rule = state.new_rule()
        if every_day and not rule.days:
            rule.days = set(range(7))
        rule.spans = [_WHOLE_DAY]

    return act


def _year_round(state: State, m: re.Match[str]) -> None:
    state.holidays_as_usual = state.year_round = True
    rule = state.rule
    if not rule.days:
        rule.days = set(range(7))


def _off(state: State, m: re.Match[str]) -> None:
    rule = state.rule
    if len(rule.spans) >= 2 and m[0] in ("休息", "休"):
        rule.cuts.append(rule.spans.pop())  # "8:00-18:00，12:00-14:00休息": a lunch break
    elif rule.spans or rule.same or not (rule.days or rule.months or rule.holiday):
        raise HoursError(f"{state.where(m)}不知道指哪天。{HINT}")
    else:
        rule.off = True


def _same(state: State, m: re.Match[str]) -> None:
    rule = state.rule
    if rule.holiday and not rule.spans:
        state.rules.pop()  # 节假日照常: nothing to add
        state.rules.append(Rule())
        state.holidays_as_usual = True
    elif not rule.spans:
        rule.same = True


def _holiday(state: State, m: re.Match[str]) -> None:
    rule = state.new_rule() if state.rule.started() else state.rule
    rule.holiday = True  # "周末及节假日 9:00-12:00" keeps the days written before


def _holiday_off(state: State, m: re.Match[str]) -> None:
    state.holidays_off = True
    rule = state.rule
    if (rule.days and not rule.started()) and not m[0].endswith("除外"):
        rule.off = True  # "周末及节假日休息"


def _holiday_as_usual(state: State, _m: re.Match[str]) -> None:
    state.holidays_as_usual = True


def _lunch(state: State, _m: re.Match[str]) -> None:
    state.cut_next = True


def _ignore(_state: State, _m: re.Match[str]) -> None:
    pass


_SEPARATORS = re.compile(r"[\s,;、。．.:|/()\[\]【】「」<>《》\"'“”‘’]+")
_DAYS = (
    r"(?:每)?(?:周|星期|礼拜)(?P<list>[一二三四五六日天]+|[1-7])"
    r"(?:\s*-+\s*(?:周|星期|礼拜)?(?P<to>[一二三四五六日天1-7]))?"
)
_TOKENS: list[tuple[re.Pattern[str], Callable]] = [
    (re.compile(p, re.IGNORECASE), act)
    for p, act in (
        (r"7\s*[×xX*]\s*24(?:小时|h)?(?:全天候)?|365\s*[×xX*]\s*24(?:小时|h)?", _all_day(True)),
        (r"(?:全年|常年)(?:无休|不休息?|不打烊|开放)|365天(?:无休)?", _year_round),
        (r"(?:全天)?(?:24|二十四)\s*(?:小时|h|hours?)|全天候|全天|昼夜|通宵", _all_day(False)),
        (rf"{_HOL}(?:期间)?{_OFF}|{_HOL}除外|除{_HOL}外?", _holiday_off),
        (rf"{_HOL}(?:期间)?(?:{_SAME}|开放|营业)|(?:含|包括|包含){_HOL}", _holiday_as_usual),
        (_HOL, _holiday),
        (r"双休日|周末|周六日|星期六日", lambda s, m: _days(s, {5, 6})),
        (r"工作日", lambda s, m: _days(s, set(range(5)), workday=True)),
        (r"每天|每日|天天|全周|每周七天|一周七天", lambda s, m: _days(s, set(range(7)))),
        (_DAYS, _day_list),
        (r"夏季|夏天|夏令时?", _season(_SUMMER, True)),
        (r"冬季|冬天|冬令时?", _season(_WINTER, True)),
        (
            rf"(?P<m1>{_NUM})(?:月(?:(?P<d1>{_NUM})[日号])?)?\s*-+\s*(?:次年|翌年|来年|第二年)?"
            rf"(?P<m2>{_NUM})月(?:(?P<d2>{_NUM})[日号])?份?",
            _months,
        ),
        (r"午休(?:时间)?|中午休息(?:时间)?", _lunch),
        (r"其[余他]的?(?:月份?|时间|时段|日子|日期|季节)?", _rest),
        (rf"(?P<a>{_TIME})\s*-+\s*(?P<b>{_TIME})", _span),
        (r"[一二三四五六日天](?![点时:\d-])(?!\s*[点时])", _more_days),
        (_OFF, _off),
        (_SAME, _same),
        (
            r"开放时间|营业时间|服务时间|办公时间|时间|开放|营业|服务|对外|办公|上班|开门"
            r"|每周|均|都|为|是|的|及|和|与|以及|左右|期间|全年|常年",
            _ignore,
        ),
    )
]
