"""一键入会 in the chat: the worker's dialog, "我的会员", and the staff chat's approve/reject buttons.

With the location known the worker taps four times after "一键入会": share their own contact
(the button says they agree to the stated purpose: that is the consent, recorded with the policy
version), pick an occupation, pick an employer or platform, confirm. The name comes from the
shared contact and can be changed on the summary; an ID number is asked for only when the
union that will review requires it, with its own consent.

Personal data kept in the dialog state (in the store) is encrypted like in the database.
"""

from __future__ import annotations

from typing import Any

from core.clock import Clock
from core.pii import PiiCipher, mask_phone
from core.store import Store
from locations import find_places
from membership import (
    CALLBACK_PREFIX,
    OCCUPATIONS,
    PURPOSE,
    Application,
    Directory,
    EnrollmentError,
    Enrollments,
    EnrollmentView,
    InvalidField,
    clean_id_number,
    clean_mobile,
    clean_name,
)

from . import _enrollment_staff
from ._enrollment_steps import CB as _CB
from ._enrollment_steps import employers_for, next_step, place_of
from ._i18n import Translator
from ._language import remember_language
from ._menu import every_language, main_keyboard
from ._messages import REMOVE_KEYBOARD, Keyboard, KeyButton, Message, Text
from ._router import Command, Data, InState, KindIs, Router, TextIs
from ._state import DialogState
from ._stations import last_location

router = Router("enrollment")

# Temporary: replaced by the composition root (`Services.enrollments` / `.directory`).


def _staff_prefix(action: str) -> str:
    return f"{CALLBACK_PREFIX}:{action}:"


def status_text(t: Translator, e: EnrollmentView) -> str:
    if e.status == "approved":
        return t("您是{union}的会员。\n会员号：{number}\n姓名：{name}\n手机：{phone}").format(
            union=e.union_name, number=e.member_number, name=e.name, phone=e.masked_phone
        )
    if e.status == "rejected":
        return t("您的入会申请暂未通过。\n原因：{reason}\n点“一键入会”可以修改后重新提交。").format(
            reason=e.reject_reason
        )
    return t("您的入会申请（{union}）正在审核，结果会第一时间告诉您。").format(union=e.union_name)


# -- the worker ------------------------------------------------------------------------------


@router.message(Command("member") | TextIs(*every_language("我的会员")))
async def my_membership(message: Message, enrollments: Enrollments, t: Translator) -> Text:
    # The account that applied, never the chat: in a shared chat one member must not read
    # another's application.
    found = await enrollments.enrollment_of(message.channel, message.user_id)
    if found is None:
        return Text(
            t("您还没有申请入会。点“一键入会”，一分钟就能办好。"), keyboard=main_keyboard(t)
        )
    return Text(status_text(t, found), keyboard=main_keyboard(t))


@router.message(Command("join") | TextIs(*every_language("一键入会")))
async def begin(
    message: Message, enrollments: Enrollments, state: DialogState, t: Translator
) -> Text:
    found = await enrollments.enrollment_of(message.channel, message.user_id)
    if found is not None and found.status == "approved":
        await state.clear()
        return Text(status_text(t, found), keyboard=main_keyboard(t))
    # Where a worker cannot share their own, verified number (WeChat Official Account, the
    # terminal), the mini-program's phone button does it.
    if not message.can_share_contact:
        return Text(
            t("请打开“驿站通”小程序，点“一键入会”：手机号一键授权，不用手动填写。"),
            keyboard=main_keyboard(t),
        )
    await state.set("join:contact", {})
    intro = t(
        "加入工会，享受会员服务。我们只收集办理入会需要的信息，{purpose}\n"
        "点下方按钮即表示您同意，并分享您本人的手机号。"
    ).format(purpose=t(PURPOSE))
    if found is not None:
        intro = status_text(t, found) + "\n\n" + t("要修改信息，请先点下方按钮验证手机号。")
    keyboard = Keyboard(
        ((KeyButton(t("同意并分享手机号"), request="contact"),), (KeyButton(t("取消")),)),
        one_time=True,
    )
    return Text(intro, keyboard=keyboard)


@router.message(InState("join:contact"), KindIs("contact"))
async def got_contact(
    message: Message,
    cipher: PiiCipher,
    directory: Directory,
    enrollments: Enrollments,
    state: DialogState,
    store: Store,
    user_key: str,
    t: Translator,
) -> Text | list[Text]:
    assert message.contact is not None
    if not message.contact.own:
        return Text(t("请点下方按钮分享您自己的手机号，不要转发别人的名片。"))
    try:
        phone = clean_mobile(message.contact.phone)
    except InvalidField:
        return Text(
            t("目前只能用中国大陆手机号入会。如有疑问请拨打 12351。"), keyboard=main_keyboard(t)
        )
    existing = await enrollments.for_phone(phone)
    if existing is not None and existing.status == "approved":
        await state.clear()
        return Text(status_text(t, existing), keyboard=main_keyboard(t))

    data: dict[str, Any] = {
        "phone": cipher.encrypt(phone),
        "contact_name": cipher.encrypt(message.contact.name or ""),
        "enrollment_id": existing.id if existing else None,
    }
    if existing is not None:  # correcting: start from what they sent last time
        data.update(
            name=cipher.encrypt(existing.name),
            name_ok=True,
            place_ok=True,
            occupation=existing.occupation,
            employer=cipher.encrypt(existing.employer),
            league=existing.league,
            county=existing.county,
        )
    point = await last_location(store, user_key)
    if point is not None:  # offered as a choice, never taken silently
        here = place_of(point)
        data.update(here_league=here["league"], here_county=here["county"])
    await state.set("join:name", data)
    ask = t("手机号 {phone} 已验证。").format(phone=mask_phone(phone))
    return [Text(ask, keyboard=REMOVE_KEYBOARD), *await next_step(cipher, directory, state, t)]


@router.message(InState("join:contact"), KindIs("text"))
async def contact_typed(t: Translator) -> Text:
    return Text(t("为了核实手机号，请点下方“同意并分享手机号”按钮，不用手动输入。"))


@router.message(InState("join"), Data(f"{_CB}occ:"))
async def got_occupation(
    payload: str, cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> Text | list[Text]:
    if payload not in OCCUPATIONS:
        return Text(t("这个选项已过期，请重新选择。"))
    await state.update(occupation=payload, employer="")
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:name"), Data(f"{_CB}nameok"))
async def name_from_contact(
    cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> Text | list[Text]:
    sealed = state.data.get("contact_name") or ""
    try:
        name = clean_name(cipher.decrypt(sealed) if sealed else "")
    except InvalidField as exc:
        return Text(t(exc.message))
    await state.update(name=cipher.encrypt(name), name_ok=True)
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:place"), Data(f"{_CB}here"))
async def place_from_location(
    cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> Text | list[Text]:
    data = state.data
    if not data.get("here_league"):
        return Text(t("这个选项已过期，请重新选择。"))
    await state.update(
        league=data["here_league"], county=data.get("here_county", ""), place_ok=True
    )
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:employer"), Data(f"{_CB}emp:"))
async def employer_button(
    payload: str, cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> Text | list[Text]:
    choices = employers_for(state.data.get("occupation", ""))
    if not payload.isdigit() or int(payload) >= len(choices):
        return Text(t("这个选项已过期，请重新选择。"))
    await state.update(employer=cipher.encrypt(choices[int(payload)]))
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:employer"), KindIs("text"))
async def employer_typed(
    message: Message, cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> Text | list[Text]:
    employer = (message.text or "").strip()
    if not employer or len(employer) > 100:
        return Text(t("请输入 100 字以内的单位或平台名称。"))
    await state.update(employer=cipher.encrypt(employer))
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:name"), KindIs("text"))
async def got_name(
    message: Message, cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> Text | list[Text]:
    try:
        name = clean_name(message.text or "")
    except InvalidField as exc:
        return Text(t(exc.message))
    await state.update(name=cipher.encrypt(name), name_ok=True)
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:place"), KindIs("location"))
async def got_location(
    message: Message, cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> Text | list[Text]:
    assert message.location is not None
    place = place_of(message.location)
    await state.update(league=place["league"], county=place["county"], place_ok=True)
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:place"), KindIs("text"))
async def got_place(
    message: Message, cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> Text | list[Text]:
    places = find_places(message.text or "")
    if not places:
        return Text(t("没有找到这个地方，请输入旗县区名称，如“赛罕区”“东胜区”，或发送位置。"))
    place = places[0]
    county = place.name if place.level == "county" else ""
    await state.update(league=place.league, county=county, place_ok=True)
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:id"), Data(f"{_CB}idok"))
async def id_consent(state: DialogState, t: Translator) -> Text:
    await state.update(id_consent=True)
    return Text(t("请输入您的 18 位身份证号："))


@router.message(InState("join:id"), KindIs("text"))
async def got_id(
    message: Message,
    cipher: PiiCipher,
    clock: Clock,
    directory: Directory,
    state: DialogState,
    t: Translator,
) -> Text | list[Text]:
    if not state.data.get("id_consent"):
        return Text(t("请先点“同意提供身份证号”。"))
    try:
        number = clean_id_number(message.text or "", today=clock.now().date())
    except InvalidField as exc:
        return Text(t(exc.message))
    await state.update(id_number=cipher.encrypt(number))
    return await next_step(cipher, directory, state, t)


@router.message(InState("join"), Data(f"{_CB}edit:"))
async def edit(
    payload: str, cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> list[Text]:
    if payload == "name":
        await state.update(name_ok=False)
    else:
        await state.update(league="", county="", place_ok=False)
    return await next_step(cipher, directory, state, t)


@router.message(InState("join:confirm"), Data(f"{_CB}submit"))
async def submit(
    message: Message,
    cipher: PiiCipher,
    enrollments: Enrollments,
    state: DialogState,
    store: Store,
    user_key: str,
    lang: str,
    t: Translator,
) -> Text:
    app = _application(cipher, message, state.data)
    enrollment_id = state.data.get("enrollment_id")
    try:
        if enrollment_id:
            view = await enrollments.resubmit(int(enrollment_id), app)
            created = True
        else:
            result = await enrollments.enroll(app)
            view, created = result.enrollment, result.created
    except EnrollmentError as exc:
        return Text(t("还有信息需要改正：{problems}").format(problems=str(exc)))
    await state.clear()
    # The review's outcome follows in the language the worker uses now, unless they chose.
    await remember_language(store, user_key, lang, only_new=True)
    if not created:
        return Text(status_text(t, view), keyboard=main_keyboard(t))
    return Text(
        t("您的入会申请已提交，{union}会尽快审核，结果会第一时间告诉您。").format(
            union=view.union_name
        ),
        keyboard=main_keyboard(t),
    )


def _application(cipher: PiiCipher, message: Message, data: dict[str, Any]) -> Application:

    return Application(
        name=cipher.decrypt(data["name"]) if data.get("name") else "",
        phone=cipher.decrypt(data["phone"]),
        phone_via=f"{message.channel}_contact",
        occupation=data.get("occupation", ""),
        employer=cipher.decrypt(data["employer"]) if data.get("employer") else "",
        league=data.get("league", ""),
        county=data.get("county", ""),
        channel=message.channel,
        channel_user=message.user_id,
        consent=True,
        id_number=cipher.decrypt(data["id_number"]) if data.get("id_number") else "",
        id_consent=bool(data.get("id_consent")),
    )


router.include(_enrollment_staff.router)  # the staff chat's buttons
