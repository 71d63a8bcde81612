"""The staff chat's claim / reply / resolve buttons on a case card, acting as the staff member
linked to the presser's account on that channel (`Directory.staff_for_identity`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from membership import Directory, StaffInfo
from referrals import CaseError, CaseView, Referrals

from ._case_steps import free_text
from ._i18n import Translator
from ._messages import Button, Message, Text
from ._router import Data, InState, Router, Skip
from ._state import DialogState

router = Router("cases.staff")

STAFF = "case:"  # the staff card's buttons, as referrals/_cards.py makes them
# Common outcomes offered when staff press "办结"; any other can be typed.
OUTCOMES = ("问题已解决", "已联系求助人并给出处理意见", "已转交相关部门办理")


async def _staff_and_case(
    message: Message, directory: Directory, payload: str
) -> tuple[StaffInfo | None, int | None]:
    head = payload.split(":", 1)[0]
    case_id = int(head) if head.isdigit() else None
    return await directory.staff_for_identity(message.channel, message.user_id), case_id


def _not_staff(t: Translator) -> Text:
    return Text(
        t("只有登记过的工会工作人员才能处理求助。请联系管理员把您的 Telegram 账号登记为工作人员。")
    )


# Asks the staff member for the text of a step, given the case they pressed the button on.
_Ask = Callable[[Translator, StaffInfo, CaseView], Text]


async def _begin(
    step: str,
    ask: _Ask,
    message: Message,
    payload: str,
    referrals: Referrals,
    directory: Directory,
    state: DialogState,
    t: Translator,
) -> Text:
    """A case button that needs typed text next: if the presser is staff who may act on the
    case, the chat's dialog waits in `casestaff:<step>` and `ask` says what to type; else the
    reply that says why not."""
    staff, case_id = await _staff_and_case(message, directory, payload)
    if staff is None or case_id is None:
        return _not_staff(t)
    try:
        case = await referrals.get_for(case_id, staff)
    except CaseError as exc:
        return Text(str(exc))
    await state.set(f"casestaff:{step}", {"case_id": case.id, "chat": message.chat_id})
    return ask(t, staff, case)


@router.message(Data(f"{STAFF}claim:"))
async def staff_claim(
    message: Message, payload: str, referrals: Referrals, directory: Directory, t: Translator
) -> Text:
    staff, case_id = await _staff_and_case(message, directory, payload)
    if staff is None or case_id is None:
        return _not_staff(t)
    try:
        result = await referrals.claim(case_id, staff, message.channel)
    except CaseError as exc:
        return Text(str(exc))
    told = t("已告诉求助人。") if result.notified_worker else ""
    return Text(
        t("✅ {name} 已认领 {number}。").format(name=staff.name, number=result.case.number) + told
    )


@router.message(Data(f"{STAFF}reply:"))
async def staff_reply_begin(
    message: Message,
    payload: str,
    referrals: Referrals,
    directory: Directory,
    state: DialogState,
    t: Translator,
) -> Text:
    return await _begin("reply", _ask_reply, message, payload, referrals, directory, state, t)


def _ask_reply(t: Translator, staff: StaffInfo, case: CaseView) -> Text:
    return Text(
        t(
            "{name}，请发送要回复 {number} 的内容（在群里请直接回复本条消息），"
            "会原样转给求助人。发送“取消”放弃。"
        ).format(name=staff.name, number=case.number)
    )


@router.message(Data(f"{STAFF}resolve:"))
async def staff_resolve_begin(
    message: Message,
    payload: str,
    referrals: Referrals,
    directory: Directory,
    state: DialogState,
    t: Translator,
) -> Text:
    return await _begin("resolve", _ask_outcome, message, payload, referrals, directory, state, t)


def _ask_outcome(t: Translator, _staff: StaffInfo, case: CaseView) -> Text:
    rows = tuple((Button(t(o), data=f"{STAFF}done:{case.id}:{i}"),) for i, o in enumerate(OUTCOMES))
    return Text(
        t("{number} 的处理结果是？点一个，或直接输入（求助人会看到）。").format(number=case.number),
        buttons=rows,
    )


@router.message(Data(f"{STAFF}done:"))
async def staff_resolve_button(
    message: Message,
    payload: str,
    referrals: Referrals,
    directory: Directory,
    state: DialogState,
    t: Translator,
) -> Text:
    index = payload.rsplit(":", 1)[-1]
    if not index.isdigit() or int(index) >= len(OUTCOMES):
        return Text(t("这个按钮已经过期了，请重新点“办结”。"))
    # The worker reads the outcome: store the Chinese one whatever the staff member's language.
    return await _resolve(message, payload, OUTCOMES[int(index)], referrals, directory, state, t)


async def _resolve(
    message: Message,
    payload: str,
    outcome: str,
    referrals: Referrals,
    directory: Directory,
    state: DialogState,
    t: Translator,
) -> Text:
    staff, case_id = await _staff_and_case(message, directory, payload)
    if staff is None or case_id is None:
        return _not_staff(t)
    if state.name and state.name.startswith("casestaff:"):
        await state.clear()
    try:
        result = await referrals.resolve(case_id, staff, outcome, message.channel)
    except CaseError as exc:
        return Text(str(exc))
    told = t("已告诉求助人。") if result.notified_worker else ""
    return Text(
        t("☑️ {number} 已办结：{outcome}。").format(number=result.case.number, outcome=outcome)
        + told
    )


@router.message(InState("casestaff"), free_text)
async def staff_typed(
    message: Message, referrals: Referrals, directory: Directory, state: DialogState, t: Translator
) -> Text:
    data: dict[str, Any] = state.data
    if data.get("chat") != message.chat_id:
        raise Skip  # the same person talking to the bot elsewhere
    text = (message.text or "").strip()
    if state.name == "casestaff:resolve":
        return await _resolve(message, str(data["case_id"]), text, referrals, directory, state, t)
    staff, case_id = await _staff_and_case(message, directory, str(data["case_id"]))
    if staff is None or case_id is None:
        await state.clear()
        return _not_staff(t)
    try:
        result = await referrals.reply(case_id, staff, text, message.channel)
    except CaseError as exc:
        return Text(str(exc))
    await state.clear()
    told = (
        t("已转给求助人。")
        if result.notified_worker
        else t("求助人用的是小程序，会在“我的求助”里看到。")
    )
    return Text(t("💬 {number} 的回复已记录，").format(number=result.case.number) + told)
