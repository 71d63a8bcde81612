"""The staff chat's claim / reply / resolve buttons on a case card, acting as the staff member
linked to the presser's account on that channel (`Directory.staff_for_identity`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.clock import Clock
from core.pii import PiiCipher
from membership import Directory, StaffInfo
from referrals import CaseError, CaseView, Referrals

from ._case_steps import free_text
from ._i18n import Translator
from ._messages import Alert, Button, Edit, Message, Text
from ._router import Data, InState, Router, Skip
from ._staff import decided_card, refused, signed, staff_of
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
    return await staff_of(message, directory), case_id


def _not_staff(t: Translator) -> Alert:
    return refused(
        t("只有登记过的工会工作人员才能处理求助。请联系管理员把您的聊天账号登记为工作人员。")
    )


def _card_buttons(t: Translator, case_id: int, *, claimed: bool) -> tuple[tuple[Button, ...], ...]:
    """The card's buttons (as `referrals` made them); once claimed, without "认领"."""
    row = [
        Button(t("回复"), data=f"{STAFF}reply:{case_id}"),
        Button(t("办结"), data=f"{STAFF}resolve:{case_id}"),
    ]
    if not claimed:
        row.insert(0, Button(t("认领"), data=f"{STAFF}claim:{case_id}"))
    return (tuple(row),)


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
    cipher: PiiCipher,
    t: Translator,
) -> Text:
    """A case button that needs typed text next: if the presser is staff who may act on the
    case, the chat's dialog waits in `casestaff:<step>` and `ask` says what to type; else the
    alert that says why not. The card is remembered (its text sealed: it holds the worker's
    words) so the typed outcome can mark it decided."""
    staff, case_id = await _staff_and_case(message, directory, payload)
    if staff is None or case_id is None:
        return _not_staff(t)
    try:
        case = await referrals.get_for(case_id, staff)
    except CaseError as exc:
        return refused(str(exc))
    await state.set(
        f"casestaff:{step}",
        {
            "case_id": case.id,
            "chat": message.chat_id,
            "card": message.card_id,
            "card_text": cipher.encrypt(message.card_text) if message.card_text else "",
        },
    )
    return ask(t, staff, case)


@router.message(Data(f"{STAFF}claim:"))
async def staff_claim(
    message: Message,
    payload: str,
    referrals: Referrals,
    directory: Directory,
    clock: Clock,
    t: Translator,
) -> Text:
    staff, case_id = await _staff_and_case(message, directory, payload)
    if staff is None or case_id is None:
        return _not_staff(t)
    try:
        result = await referrals.claim(case_id, staff, message.channel)
    except CaseError as exc:
        return refused(str(exc))
    told = " " + t("已告诉求助人。") if result.notified_worker else ""
    line = signed(t, t("🙋 已认领"), staff, clock) + told
    return decided_card(message, line, _card_buttons(t, case_id, claimed=True))


@router.message(Data(f"{STAFF}reply:"))
async def staff_reply_begin(
    message: Message,
    payload: str,
    referrals: Referrals,
    directory: Directory,
    state: DialogState,
    cipher: PiiCipher,
    t: Translator,
) -> Text:
    return await _begin(
        "reply", _ask_reply, message, payload, referrals, directory, state, cipher, t
    )


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
    cipher: PiiCipher,
    t: Translator,
) -> Text:
    return await _begin(
        "resolve", _ask_outcome, message, payload, referrals, directory, state, cipher, t
    )


def _ask_outcome(t: Translator, _staff: StaffInfo, case: CaseView) -> Text:
    """The card's buttons become the common outcomes; the question itself is a message, since
    a typed outcome is also welcome."""
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
    clock: Clock,
    cipher: PiiCipher,
    t: Translator,
) -> list[Text]:
    index = payload.rsplit(":", 1)[-1]
    if not index.isdigit() or int(index) >= len(OUTCOMES):
        return [refused(t("这个按钮已经过期了，请重新点“办结”。"))]
    # The worker reads the outcome: store the Chinese one whatever the staff member's language.
    return await _resolve(
        message, payload, OUTCOMES[int(index)], referrals, directory, state, clock, cipher, t
    )


async def _resolve(
    message: Message,
    payload: str,
    outcome: str,
    referrals: Referrals,
    directory: Directory,
    state: DialogState,
    clock: Clock,
    cipher: PiiCipher,
    t: Translator,
) -> list[Text]:
    """Resolve, then mark it where staff look: the outcome question (when a button of it was
    pressed) and the case card (remembered when "办结" was pressed) lose their buttons."""
    staff, case_id = await _staff_and_case(message, directory, payload)
    if staff is None or case_id is None:
        return [_not_staff(t)]
    data: dict[str, Any] = state.data if (state.name or "").startswith("casestaff:") else {}
    if data:
        await state.clear()
    try:
        result = await referrals.resolve(case_id, staff, outcome, message.channel)
    except CaseError as exc:
        return [refused(str(exc))]
    told = " " + t("已告诉求助人。") if result.notified_worker else ""
    what = t("☑️ {number} 已办结：{outcome}").format(number=result.case.number, outcome=outcome)
    line = signed(t, what, staff, clock) + told
    replies: list[Text] = []
    if message.kind == "button":
        replies.append(Edit(line))  # the outcome question
    card, sealed = str(data.get("card", "")), str(data.get("card_text", ""))
    if card and data.get("case_id") == case_id:
        body = cipher.decrypt(sealed) if sealed else ""
        replies.append(Edit(f"{body}\n\n{line}" if body else line, target=card))
    if message.kind != "button":
        replies.append(Text(line))
    return replies


@router.message(InState("casestaff"), free_text)
async def staff_typed(
    message: Message,
    referrals: Referrals,
    directory: Directory,
    state: DialogState,
    clock: Clock,
    cipher: PiiCipher,
    t: Translator,
) -> Text | list[Text]:
    data: dict[str, Any] = state.data
    if data.get("chat") != message.chat_id:
        raise Skip  # the same person talking to the bot elsewhere
    text = (message.text or "").strip()
    if state.name == "casestaff:resolve":
        return await _resolve(
            message, str(data["case_id"]), text, referrals, directory, state, clock, cipher, t
        )
    staff, case_id = await _staff_and_case(message, directory, str(data["case_id"]))
    if staff is None or case_id is None:
        await state.clear()
        return _not_staff(t)
    try:
        result = await referrals.reply(case_id, staff, text, message.channel)
    except CaseError as exc:
        return Text(str(exc))  # typed, not pressed: a text in the chat they typed in
    await state.clear()
    told = (
        t("已转给求助人。")
        if result.notified_worker
        else t("求助人用的是小程序，会在“我的求助”里看到。")
    )
    return Text(t("💬 {number} 的回复已记录，").format(number=result.case.number) + told)
