"""法律援助: the worker taps a topic, describes it and names the place; also the description
step that feedback shares."""

from __future__ import annotations

import secrets

from core.pii import PiiCipher
from core.store import Store
from locations import find_places
from referrals import LEGAL_CATEGORIES, URGENT_LEGAL, URGENT_NOTE

from ._case_steps import WORKER, button_rows, free_text, location_keyboard
from ._case_submit import ask_consent
from ._i18n import Translator
from ._menu import every_language
from ._messages import Button, Message, Reply, Text
from ._router import Command, Data, InState, KindIs, Router, TextIs
from ._state import DialogState
from ._stations import last_location, remember_location

router = Router("cases.legal")

MAX_TEXT = 1000


@router.message(Command("legal") | TextIs(*every_language("法律援助")))
async def begin_legal(state: DialogState, t: Translator, args: str = "") -> Text | list[Reply]:
    await state.set("case:la:topic", {"token": secrets.token_hex(8), "kind": "legal_aid"})
    if args in LEGAL_CATEGORIES:  # "/legal unpaid_wages": the topic is known ("欠薪", "受伤了")
        replies = await _topic_chosen(args, state, t)
        head = t("工会为职工免费提供法律援助。问题类型：{topic}。").format(
            topic=t(LEGAL_CATEGORIES[args])
        )
        return [Text(head), *replies]
    rows = button_rows(
        [Button(t(label), data=f"{WORKER}topic:{code}") for code, label in LEGAL_CATEGORIES.items()]
    )
    return Text(
        t(
            "工会为职工免费提供法律援助。您遇到了什么问题？\n"
            "急事可以直接拨打工会服务热线 12351、法律援助热线 12348。"
        ),
        buttons=rows,
    )


@router.message(InState("case:la:topic"), Data(f"{WORKER}topic:"))
async def legal_topic(payload: str, state: DialogState, t: Translator) -> list[Reply]:
    return await _topic_chosen(payload, state, t)


async def _topic_chosen(payload: str, state: DialogState, t: Translator) -> list[Reply]:
    if payload not in LEGAL_CATEGORIES:
        return [Text(t("这个选项已过期，请重新选择。"))]
    await state.set("case:la:desc")
    await state.update(category=payload)
    ask = Text(t("请简单说说发生了什么：时间、单位或平台、涉及多少钱等，几句话就行。"))
    if payload in URGENT_LEGAL:
        return [Text(t(URGENT_NOTE)), ask]
    return [ask]


@router.message(InState("case:fb:desc", "case:la:desc"), free_text)
async def got_description(
    message: Message,
    state: DialogState,
    store: Store,
    user_key: str,
    cipher: PiiCipher,
    t: Translator,
) -> Text:
    text = (message.text or "").strip()
    if len(text) > MAX_TEXT:
        return Text(t("写得太长了，请控制在 {n} 字以内。").format(n=MAX_TEXT))
    needs_words = state.data.get("kind") == "legal_aid" or state.data.get("category") == "other"
    if needs_words and len(text) < 4:
        return Text(t("请再多说几个字，工会才好帮您。"))
    # Encrypted while the dialog waits (up to STATE_TTL), as enrollment keeps names and ID
    # numbers: it may hold names, phones and employers, and the store may be written to disk.
    await state.update(description=cipher.encrypt(text))
    if state.data.get("kind") != "legal_aid":
        return await ask_consent(state, t)
    point = await last_location(store, user_key)
    if point is not None:
        await state.update(lat=point.lat, lng=point.lng)
        return await ask_consent(state, t, t("会按您刚才发送的位置，转给当地工会。"))
    await state.set("case:la:place")
    return Text(
        t("您在哪个旗县区？请发送位置，或输入地名（如“赛罕区”）。"), keyboard=location_keyboard(t)
    )


@router.message(InState("case:la:place"), KindIs("location"))
async def legal_location(
    message: Message, state: DialogState, store: Store, user_key: str, t: Translator
) -> Text:
    assert message.location is not None
    await remember_location(store, user_key, message.location)
    await state.update(lat=message.location.lat, lng=message.location.lng)
    return await ask_consent(state, t)


@router.message(InState("case:la:place"), free_text)
async def legal_place_named(message: Message, state: DialogState, t: Translator) -> Text:
    places = find_places(message.text or "")
    if not places:
        return Text(t("没有找到这个地方，请输入旗县区名称（如“赛罕区”“东胜区”），或发送位置。"))
    place = places[0]
    name = place.name if place.level == "league" else f"{place.league}{place.name}"
    await state.update(lat=place.point.lat, lng=place.point.lng, place=name)
    return await ask_consent(state, t)
