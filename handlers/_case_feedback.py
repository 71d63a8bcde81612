"""反馈问题: the worker picks a station (nearby ones as buttons, or a typed name), taps a
category and says what happened; `_case_legal.got_description` takes the words."""

from __future__ import annotations

import secrets

from core.store import Store
from locations import Point, StationFinder, StationRecord
from referrals import FEEDBACK_CATEGORIES

from ._cards import distance_text
from ._case_steps import WORKER, button_rows, free_text, location_keyboard
from ._case_submit import ask_consent
from ._i18n import Translator
from ._intents import last_offered
from ._menu import every_language
from ._messages import Button, Message, Text
from ._router import Command, Data, InState, KindIs, Router, TextIs
from ._state import DialogState
from ._stations import last_location, remember_location

router = Router("cases.feedback")

NEARBY_M = 5_000  # stations offered for feedback: the worker is usually standing at one
MAX_OFFERED = 4


@router.message(Command("feedback") | TextIs(*every_language("反馈问题")))
async def begin_feedback(
    state: DialogState,
    store: Store,
    finder: StationFinder,
    user_key: str,
    t: Translator,
    *,
    carried: dict[str, str] | None = None,
) -> Text:
    """`carried`: what the worker already sent (a photo and its caption) to keep in the form."""
    await state.set(
        "case:fb:station", {"token": secrets.token_hex(8), "kind": "feedback", **(carried or {})}
    )
    point = await last_location(store, user_key)
    if point is not None:
        offered = _offer_near(finder, point, t)
        if offered is not None:
            return offered
    return Text(
        t("哪个驿站有问题？请发送位置，或输入驿站名称（如“海东路”）。"),
        keyboard=location_keyboard(t),
    )


@router.message(Command("closed"))
async def begin_closed(
    state: DialogState, store: Store, finder: StationFinder, user_key: str, t: Translator
) -> Text:
    """A rider's "驿站关门了" (understood by `_intents`): a report of category "closed" about
    the station last offered to the worker, confirmed with one choice; nearby stations or a
    typed name otherwise. "选" rather than "点": on WeChat the choices are numbers."""
    await state.set(
        "case:fb:station",
        {"token": secrets.token_hex(8), "kind": "feedback", "category": "closed"},
    )
    offered = await last_offered(store, finder, user_key)
    point = await last_location(store, user_key)
    nearby = _offer_near(finder, point, t) if point is not None else None
    rows = tuple(
        row
        for row in (nearby.buttons if nearby else ())
        if offered is None or row[0].data != f"{WORKER}st:{offered.id}"
    )
    if offered is not None:
        first = (Button(t("是，就是它"), data=f"{WORKER}st:{offered.id}"),)
        return Text(
            t(
                "抱歉让您白跑一趟。是“{name}”没开门吗？选“是，就是它”，或选别的驿站、输入驿站名称。"
            ).format(name=offered.name),
            buttons=(first, *rows),
        )
    if rows:
        return Text(t("抱歉让您白跑一趟。是哪个驿站没开门？选一个，或输入驿站名称。"), buttons=rows)
    return Text(t("抱歉让您白跑一趟。是哪个驿站没开门？请输入驿站名称（如“海东路”）。"))


def _offer_near(finder: StationFinder, point: Point, t: Translator) -> Text | None:
    matches = finder.nearest_open(point, open_now=False, limit=MAX_OFFERED, max_distance=NEARBY_M)
    if not matches:
        return None
    rows = tuple(
        (
            Button(
                f"{m.station.name}（{distance_text(m.distance_m, t)}）",
                data=f"{WORKER}st:{m.station.id}",
            ),
        )
        for m in matches
    )
    return Text(t("是哪个驿站？点一下，或输入驿站名称。"), buttons=rows)


@router.message(InState("case:fb:station"), KindIs("location"))
async def feedback_location(
    message: Message, store: Store, finder: StationFinder, user_key: str, t: Translator
) -> Text:
    assert message.location is not None
    await remember_location(store, user_key, message.location)
    offered = _offer_near(finder, message.location, t)
    if offered is None:
        return Text(t("附近 5 公里内没有找到驿站，请输入驿站名称试试。"))
    return offered


def _by_name(finder: StationFinder, text: str) -> list[StationRecord]:
    words = text.replace("驿站", " ").split()
    if not words:
        return []
    return finder.index.stations.named(words)


@router.message(InState("case:fb:station"), free_text)
async def feedback_station_named(
    message: Message, state: DialogState, finder: StationFinder, t: Translator
) -> Text:
    text = (message.text or "").strip()[:50]
    found = _by_name(finder, text)
    if not found:
        return Text(
            t("没有找到名字里有“{name}”的驿站。换个叫法，或发送位置试试。").format(name=text)
        )
    if len(found) == 1:
        return await _station_chosen(found[0], state, t)
    rows = tuple((Button(f"{s.name}（{s.county}）", data=f"{WORKER}st:{s.id}"),) for s in found[:6])
    more = t("（只列出前 6 个，可以说得更具体些）") if len(found) > 6 else ""
    return Text(t("找到这几个驿站，是哪一个？") + more, buttons=rows)


@router.message(InState("case:fb:station"), Data(f"{WORKER}st:"))
async def feedback_station_button(
    payload: str, state: DialogState, finder: StationFinder, t: Translator
) -> Text:
    station = finder.get(int(payload)) if payload.isdigit() else None
    if station is None:
        return Text(t("这个驿站已经不在名录里了，请换一个，或输入驿站名称。"))
    return await _station_chosen(station, state, t)


async def _station_chosen(station: StationRecord, state: DialogState, t: Translator) -> Text:
    await state.set("case:fb:category")
    await state.update(station_id=station.id, station_name=station.name)
    preset = state.data.get("category")  # "关门了" knows the category already
    if preset in FEEDBACK_CATEGORIES:
        asked = await _category_chosen(preset, state, t)
        return Text(f"{station.name}：{asked.text}", buttons=asked.buttons)
    rows = button_rows(
        [
            Button(t(label), data=f"{WORKER}cat:{code}")
            for code, label in FEEDBACK_CATEGORIES.items()
        ],
        3,
    )
    return Text(t("{name}：遇到什么情况？").format(name=station.name), buttons=rows)


@router.message(InState("case:fb:category"), Data(f"{WORKER}cat:"))
async def feedback_category(payload: str, state: DialogState, t: Translator) -> Text:
    return await _category_chosen(payload, state, t)


async def _category_chosen(payload: str, state: DialogState, t: Translator) -> Text:
    if payload not in FEEDBACK_CATEGORIES:
        return Text(t("这个选项已过期，请重新选择。"))
    await state.set("case:fb:desc")
    await state.update(category=payload)
    if state.data.get("description"):  # the words came with a photo already
        return await ask_consent(state, t)
    if payload == "other":
        return Text(t("请简单说说是什么问题。"))
    ask = (
        t("想表扬什么？说两句吧，工作人员会很高兴。")
        if payload == "praise"
        else t("请简单说说情况，比如几点到的、缺什么。不想写可以点“跳过”。")
    )
    return Text(ask, buttons=((Button(t("跳过"), data=f"{WORKER}skip"),),))


@router.message(InState("case:fb:desc"), Data(f"{WORKER}skip"))
async def feedback_skip(state: DialogState, t: Translator) -> Text:
    if state.data.get("category") == "other":
        return Text(t("请简单说说是什么问题。"))
    return await ask_consent(state, t)
