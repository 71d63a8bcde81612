"""反馈问题, 法律援助 and 我的求助 in the chat, and the staff chat's claim / reply / resolve buttons.

Feedback about a station: pick the station (the nearest ones to the last shared location as
buttons, or a typed name), tap a category, say what happened (optional for everything but
"other"), answer whether staff may phone — four taps and a sentence. Legal aid: tap a topic
(urgent topics show the 12351 / 12348 hotlines at once), describe it, the place is the last
shared location or a county named, then the same consent question. Both are submitted through
`referrals`, which stores the case with its staff-chat messages in one transaction and answers
with the tracking number.

Each dialog carries a random token used as the case's `source_ref`, so a consent button pressed
twice, or an update delivered twice, never makes a second case.

Staff press the buttons of the case card in their union's Telegram group. They act as the staff
member linked to their Telegram account (`yizhan staff add --telegram-user …`), so the audit log
says who did it. "回复" asks for the text in the same chat; "办结" offers common outcomes as buttons
or takes a typed one. The domain relays each step to the worker on their own channel.
"""

from __future__ import annotations

import secrets
from typing import Any

from core.clock import CHINA_TZ
from core.context import AppContext
from core.store import Store
from locations import Point, StationFinder, StationRecord, find_places
from membership import StaffInfo, staff_for_telegram_user
from referrals import (
    FEEDBACK_CATEGORIES,
    LEGAL_CATEGORIES,
    URGENT_LEGAL,
    URGENT_NOTE,
    CaseError,
    CaseView,
    NewCase,
    category_label,
    kind_label,
    service_of,
    status_label,
)

from ._cards import distance_text
from ._i18n import Translator
from ._menu import ENTRY_POINTS, every_language, main_keyboard
from ._messages import Button, Keyboard, KeyButton, Message, Reply, Text
from ._router import Command, Data, InState, KindIs, Predicate, Router, Skip, TextIs
from ._state import DialogState
from ._stations import last_location, remember_location

router = Router("cases")

_W = "rf:"  # the worker's dialog buttons
STAFF = "case:"  # the staff card's buttons, as referrals/_cards.py makes them
NEARBY_M = 5_000  # stations offered for feedback: the worker is usually standing at one
MAX_OFFERED = 4
MAX_TEXT = 1000
# Common outcomes offered when staff press "办结"; any other can be typed.
OUTCOMES = ("问题已解决", "已联系求助人并给出处理意见", "已转交相关部门办理")
_MENU = frozenset(w.lower() for label in (*(e[0] for e in ENTRY_POINTS), "附近驿站", "帮助")
                  for w in every_language(label))


def _is_menu_or_command(message: Message) -> bool:
    text = (message.text or "").strip()
    return text.startswith("/") or text.lower() in _MENU


free_text = KindIs("text") & ~Predicate(_is_menu_or_command)


def _rows(buttons: list[Button], per_row: int = 2) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row))


def _location_keyboard(t: Translator) -> Keyboard:
    return Keyboard(((KeyButton(t("发送位置"), request="location"),), (KeyButton(t("取消")),)),
                    one_time=True)


@router.message(InState("case"), Predicate(_is_menu_or_command))
async def leave_dialog(state: DialogState) -> None:
    """A menu button or command in the middle of a form: drop the form, let its owner answer."""
    await state.clear()
    raise Skip


# -- feedback about a station ----------------------------------------------------------------


@router.message(Command("feedback") | TextIs(*every_language("反馈问题")))
async def begin_feedback(state: DialogState, store: Store, finder: StationFinder,
                         user_key: str, t: Translator) -> Text:
    await state.set("case:fb:station", {"token": secrets.token_hex(8), "kind": "feedback"})
    point = await last_location(store, user_key)
    if point is not None:
        offered = _offer_near(finder, point, t)
        if offered is not None:
            return offered
    return Text(t("哪个驿站有问题？请发送位置，或输入驿站名称（如“海东路”）。"),
                keyboard=_location_keyboard(t))


def _offer_near(finder: StationFinder, point: Point, t: Translator) -> Text | None:
    matches = finder.nearest_open(point, open_now=False, limit=MAX_OFFERED, max_distance=NEARBY_M)
    if not matches:
        return None
    rows = tuple((Button(f"{m.station.name}（{distance_text(m.distance_m, t)}）",
                         data=f"{_W}st:{m.station.id}"),) for m in matches)
    return Text(t("是哪个驿站？点一下，或输入驿站名称。"), buttons=rows)


@router.message(InState("case:fb:station"), KindIs("location"))
async def feedback_location(message: Message, store: Store, finder: StationFinder,
                            user_key: str, t: Translator) -> Text:
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
async def feedback_station_named(message: Message, state: DialogState, finder: StationFinder,
                                 t: Translator) -> Text:
    text = (message.text or "").strip()[:50]
    found = _by_name(finder, text)
    if not found:
        return Text(t("没有找到名字里有“{name}”的驿站。换个叫法，或发送位置试试。").format(name=text))
    if len(found) == 1:
        return await _station_chosen(found[0], state, t)
    rows = tuple((Button(f"{s.name}（{s.county}）", data=f"{_W}st:{s.id}"),)
                 for s in found[:6])
    more = t("（只列出前 6 个，可以说得更具体些）") if len(found) > 6 else ""
    return Text(t("找到这几个驿站，是哪一个？") + more, buttons=rows)


@router.message(InState("case:fb:station"), Data(f"{_W}st:"))
async def feedback_station_button(payload: str, state: DialogState, finder: StationFinder,
                                  t: Translator) -> Text:
    station = finder.get(int(payload)) if payload.isdigit() else None
    if station is None:
        return Text(t("这个驿站已经不在名录里了，请换一个，或输入驿站名称。"))
    return await _station_chosen(station, state, t)


async def _station_chosen(station: StationRecord, state: DialogState, t: Translator) -> Text:
    await state.set("case:fb:category")
    await state.update(station_id=station.id, station_name=station.name)
    rows = _rows([Button(t(label), data=f"{_W}cat:{code}")
                  for code, label in FEEDBACK_CATEGORIES.items()], 3)
    return Text(t("{name}：遇到什么情况？").format(name=station.name), buttons=rows)


@router.message(InState("case:fb:category"), Data(f"{_W}cat:"))
async def feedback_category(payload: str, state: DialogState, t: Translator) -> Text:
    if payload not in FEEDBACK_CATEGORIES:
        return Text(t("这个选项已过期，请重新选择。"))
    await state.set("case:fb:desc")
    await state.update(category=payload)
    if payload == "other":
        return Text(t("请简单说说是什么问题。"))
    ask = t("想表扬什么？说两句吧，工作人员会很高兴。") if payload == "praise" else t(
        "请简单说说情况，比如几点到的、缺什么。不想写可以点“跳过”。")
    return Text(ask, buttons=((Button(t("跳过"), data=f"{_W}skip"),),))


@router.message(InState("case:fb:desc"), Data(f"{_W}skip"))
async def feedback_skip(state: DialogState, t: Translator) -> Text:
    if state.data.get("category") == "other":
        return Text(t("请简单说说是什么问题。"))
    return await _ask_consent(state, t)


# -- legal aid -------------------------------------------------------------------------------


@router.message(Command("legal") | TextIs(*every_language("法律援助")))
async def begin_legal(state: DialogState, t: Translator) -> Text:
    await state.set("case:la:topic", {"token": secrets.token_hex(8), "kind": "legal_aid"})
    rows = _rows([Button(t(label), data=f"{_W}topic:{code}")
                  for code, label in LEGAL_CATEGORIES.items()])
    return Text(t("工会为职工免费提供法律援助。您遇到了什么问题？\n"
                  "急事可以直接拨打工会服务热线 12351、法律援助热线 12348。"), buttons=rows)


@router.message(InState("case:la:topic"), Data(f"{_W}topic:"))
async def legal_topic(payload: str, state: DialogState, t: Translator) -> list[Reply]:
    if payload not in LEGAL_CATEGORIES:
        return [Text(t("这个选项已过期，请重新选择。"))]
    await state.set("case:la:desc")
    await state.update(category=payload)
    ask = Text(t("请简单说说发生了什么：时间、单位或平台、涉及多少钱等，几句话就行。"))
    if payload in URGENT_LEGAL:
        return [Text(t(URGENT_NOTE)), ask]
    return [ask]


@router.message(InState("case:fb:desc", "case:la:desc"), free_text)
async def got_description(message: Message, state: DialogState, store: Store, user_key: str,
                          t: Translator) -> Text:
    text = (message.text or "").strip()
    if len(text) > MAX_TEXT:
        return Text(t("写得太长了，请控制在 {n} 字以内。").format(n=MAX_TEXT))
    needs_words = state.data.get("kind") == "legal_aid" or state.data.get("category") == "other"
    if needs_words and len(text) < 4:
        return Text(t("请再多说几个字，工会才好帮您。"))
    await state.update(description=text)
    if state.data.get("kind") != "legal_aid":
        return await _ask_consent(state, t)
    point = await last_location(store, user_key)
    if point is not None:
        await state.update(lat=point.lat, lng=point.lng)
        return await _ask_consent(state, t, t("会按您刚才发送的位置，转给当地工会。"))
    await state.set("case:la:place")
    return Text(t("您在哪个旗县区？请发送位置，或输入地名（如“赛罕区”）。"),
                keyboard=_location_keyboard(t))


@router.message(InState("case:la:place"), KindIs("location"))
async def legal_location(message: Message, state: DialogState, store: Store, user_key: str,
                         t: Translator) -> Text:
    assert message.location is not None
    await remember_location(store, user_key, message.location)
    await state.update(lat=message.location.lat, lng=message.location.lng)
    return await _ask_consent(state, t)


@router.message(InState("case:la:place"), free_text)
async def legal_place_named(message: Message, state: DialogState, t: Translator) -> Text:
    places = find_places(message.text or "")
    if not places:
        return Text(t("没有找到这个地方，请输入旗县区名称（如“赛罕区”“东胜区”），或发送位置。"))
    place = places[0]
    name = place.name if place.level == "league" else f"{place.league}{place.name}"
    await state.update(lat=place.point.lat, lng=place.point.lng, place=name)
    return await _ask_consent(state, t)


# -- consent and submission ------------------------------------------------------------------


async def _ask_consent(state: DialogState, t: Translator, note: str = "") -> Text:
    await state.set("case:consent")
    ask = t("最后一步：工会工作人员可以打电话联系您吗？")
    return Text(f"{note}\n{ask}" if note else ask, buttons=((
        Button(t("可以联系我"), data=f"{_W}ok:1"),
        Button(t("不用，在这里回复"), data=f"{_W}ok:0"),
    ),))


@router.message(InState("case:consent"), Data(f"{_W}ok:"))
async def submit(message: Message, payload: str, context: AppContext, state: DialogState,
                 t: Translator) -> Text:
    data = state.data
    point = Point(data["lat"], data["lng"]) if data.get("lat") is not None else None
    new = NewCase(
        kind=data.get("kind", ""), category=data.get("category", ""), channel=message.channel,
        worker_ref=message.chat_id, description=data.get("description", ""),
        source_ref=f"dialog:{data.get('token', '')}", station_id=data.get("station_id"),
        point=point, place_text=data.get("place", ""), consent_contact=payload == "1",
    )
    try:
        got = await service_of(context).submit(new)
    except CaseError as exc:
        await state.clear()
        return Text(t("没能提交：{why}").format(why=str(exc)), keyboard=main_keyboard(t))
    await state.clear()
    return Text(got.acknowledgement, keyboard=main_keyboard(t))


# -- 我的求助 ---------------------------------------------------------------------------------


@router.message(Command("cases") | TextIs(*every_language("我的求助")))
async def my_cases(message: Message, context: AppContext, t: Translator) -> Text:
    cases = await service_of(context).of_worker(message.channel, message.chat_id, limit=10)
    if not cases:
        return Text(t("您还没有提交过求助。点“反馈问题”或“法律援助”，几步就能提交。"),
                    keyboard=main_keyboard(t))
    lines = [t("您最近的求助：")]
    for case in cases:
        local = case.created_at.astimezone(CHINA_TZ)
        lines.append(f"· {case.number} {t(kind_label(case.kind))}·"
                     f"{t(category_label(case.kind, case.category))}（{local:%m-%d}）："
                     f"{t(status_label(case.status))}")
        if case.outcome:
            lines.append(t("  处理结果：{outcome}").format(outcome=case.outcome))
    return Text("\n".join(lines), keyboard=main_keyboard(t))


# -- staff, in their union's chat ------------------------------------------------------------


async def _staff_and_case(message: Message, context: AppContext,
                          payload: str) -> tuple[StaffInfo | None, int | None]:
    head = payload.split(":", 1)[0]
    case_id = int(head) if head.isdigit() else None
    if message.channel != "telegram":
        return None, case_id
    return await staff_for_telegram_user(context.db, message.user_id), case_id


def _not_staff(t: Translator) -> Text:
    return Text(t("只有登记过的工会工作人员才能处理求助。请联系管理员把您的 Telegram 账号"
                  "登记为工作人员。"))


async def _staff_case(message: Message, context: AppContext, payload: str,
                      t: Translator) -> tuple[StaffInfo, CaseView] | Text:
    """The staff member pressing a case button and the case, if they may act on it; else the
    reply that says why not."""
    staff, case_id = await _staff_and_case(message, context, payload)
    if staff is None or case_id is None:
        return _not_staff(t)
    try:
        return staff, await service_of(context).get_for(case_id, staff)
    except CaseError as exc:
        return Text(str(exc))


@router.message(Data(f"{STAFF}claim:"))
async def staff_claim(message: Message, payload: str, context: AppContext,
                      t: Translator) -> Text:
    staff, case_id = await _staff_and_case(message, context, payload)
    if staff is None or case_id is None:
        return _not_staff(t)
    try:
        result = await service_of(context).claim(case_id, staff, message.channel)
    except CaseError as exc:
        return Text(str(exc))
    told = t("已告诉求助人。") if result.notified_worker else ""
    return Text(t("✅ {name} 已认领 {number}。").format(name=staff.name,
                                                       number=result.case.number) + told)


@router.message(Data(f"{STAFF}reply:"))
async def staff_reply_begin(message: Message, payload: str, context: AppContext,
                            state: DialogState, t: Translator) -> Text:
    found = await _staff_case(message, context, payload, t)
    if isinstance(found, Text):
        return found
    staff, case = found
    await state.set("casestaff:reply", {"case_id": case.id, "chat": message.chat_id})
    return Text(t("{name}，请发送要回复 {number} 的内容（在群里请直接回复本条消息），"
                  "会原样转给求助人。发送“取消”放弃。").format(name=staff.name,
                                                          number=case.number))


@router.message(Data(f"{STAFF}resolve:"))
async def staff_resolve_begin(message: Message, payload: str, context: AppContext,
                              state: DialogState, t: Translator) -> Text:
    found = await _staff_case(message, context, payload, t)
    if isinstance(found, Text):
        return found
    _staff, case = found
    await state.set("casestaff:resolve", {"case_id": case.id, "chat": message.chat_id})
    rows = tuple((Button(t(o), data=f"{STAFF}done:{case.id}:{i}"),)
                 for i, o in enumerate(OUTCOMES))
    return Text(t("{number} 的处理结果是？点一个，或直接输入（求助人会看到）。").format(
        number=case.number), buttons=rows)


@router.message(Data(f"{STAFF}done:"))
async def staff_resolve_button(message: Message, payload: str, context: AppContext,
                               state: DialogState, t: Translator) -> Text:
    index = payload.rsplit(":", 1)[-1]
    if not index.isdigit() or int(index) >= len(OUTCOMES):
        return Text(t("这个按钮已经过期了，请重新点“办结”。"))
    # The worker reads the outcome: store the Chinese one whatever the staff member's language.
    return await _resolve(message, payload, OUTCOMES[int(index)], context, state, t)


async def _resolve(message: Message, payload: str, outcome: str, context: AppContext,
                   state: DialogState, t: Translator) -> Text:
    staff, case_id = await _staff_and_case(message, context, payload)
    if staff is None or case_id is None:
        return _not_staff(t)
    if state.name and state.name.startswith("casestaff:"):
        await state.clear()
    try:
        result = await service_of(context).resolve(case_id, staff, outcome, message.channel)
    except CaseError as exc:
        return Text(str(exc))
    told = t("已告诉求助人。") if result.notified_worker else ""
    return Text(t("☑️ {number} 已办结：{outcome}。").format(
        number=result.case.number, outcome=outcome) + told)


@router.message(InState("casestaff"), free_text)
async def staff_typed(message: Message, context: AppContext, state: DialogState,
                      t: Translator) -> Text:
    data: dict[str, Any] = state.data
    if data.get("chat") != message.chat_id:
        raise Skip  # the same person talking to the bot elsewhere
    text = (message.text or "").strip()
    if state.name == "casestaff:resolve":
        return await _resolve(message, str(data["case_id"]), text, context, state, t)
    staff, case_id = await _staff_and_case(message, context, str(data["case_id"]))
    if staff is None or case_id is None:
        await state.clear()
        return _not_staff(t)
    try:
        result = await service_of(context).reply(case_id, staff, text, message.channel)
    except CaseError as exc:
        return Text(str(exc))
    await state.clear()
    told = t("已转给求助人。") if result.notified_worker else t(
        "求助人用的是小程序，会在“我的求助”里看到。")
    return Text(t("💬 {number} 的回复已记录，").format(number=result.case.number) + told)
