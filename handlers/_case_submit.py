"""The last step of both dialogs (may staff phone? then submit the case) and 我的求助, the
worker's list of their own cases."""

from __future__ import annotations

from core.clock import CHINA_TZ
from core.pii import PiiCipher
from core.store import Store
from locations import Point
from referrals import (
    HOTLINES,
    URGENT_NOTE,
    CaseError,
    NewCase,
    Referrals,
    Submitted,
    category_label,
    kind_label,
    status_label,
)

from ._case_steps import WORKER
from ._i18n import Translator
from ._language import remember_language
from ._menu import every_language, main_keyboard
from ._messages import Button, Message, Text
from ._router import Command, Data, InState, Router, TextIs
from ._state import DialogState

router = Router("cases.submit")

# -- consent and submission ------------------------------------------------------------------


async def ask_consent(state: DialogState, t: Translator, note: str = "") -> Text:
    await state.set("case:consent")
    ask = t("最后一步：工会工作人员可以打电话联系您吗？")
    return Text(
        f"{note}\n{ask}" if note else ask,
        buttons=(
            (
                Button(t("可以联系我"), data=f"{WORKER}ok:1"),
                Button(t("不用，在这里回复"), data=f"{WORKER}ok:0"),
            ),
        ),
    )


def acknowledgement(t: Translator, got: Submitted) -> str:
    """What `referrals` says on submission (`Submitted.acknowledgement`), in the worker's
    language."""
    case = got.case
    lines = [t("已收到，您的求助编号是 {number}。").format(number=case.number)]
    if got.routed_to:
        lines.append(t("已转给{union}，有进展会第一时间告诉您。").format(union=got.routed_to))
    else:
        lines.append(t("已经保存好了，工会正在安排专人处理，有进展会告诉您。"))
    if case.kind == "legal_aid":
        lines.append(
            t(URGENT_NOTE)
            if got.urgent
            else t("也可拨打{hotlines}咨询。").format(hotlines=t(HOTLINES))
        )
    lines.append(t("可随时在“我的求助”里查看进度。"))
    return "\n".join(lines)


@router.message(InState("case:consent"), Data(f"{WORKER}ok:"))
async def submit(
    message: Message,
    payload: str,
    referrals: Referrals,
    cipher: PiiCipher,
    state: DialogState,
    store: Store,
    user_key: str,
    lang: str,
    t: Translator,
) -> Text:
    data = state.data
    point = Point(data["lat"], data["lng"]) if data.get("lat") is not None else None
    sealed = data.get("description")
    description = cipher.decrypt(sealed) if sealed else ""
    new = NewCase(
        kind=data.get("kind", ""),
        category=data.get("category", ""),
        channel=message.channel,
        worker_ref=message.user_id,  # the account, not the chat: only they are told
        description=description,
        source_ref=f"dialog:{data.get('token', '')}",
        station_id=data.get("station_id"),
        point=point,
        place_text=data.get("place", ""),
        photo_ref=data.get("photo", ""),
        consent_contact=payload == "1",
    )
    try:
        got = await referrals.submit(new)
    except CaseError as exc:
        await state.clear()
        return Text(t("没能提交：{why}").format(why=str(exc)), keyboard=main_keyboard(t))
    await state.clear()
    # Notices about the case follow in the language the worker uses now, unless they chose.
    await remember_language(store, user_key, lang, only_new=True)
    return Text(acknowledgement(t, got), keyboard=main_keyboard(t))


# -- 我的求助 ---------------------------------------------------------------------------------


@router.message(Command("cases") | TextIs(*every_language("我的求助")))
async def my_cases(message: Message, referrals: Referrals, t: Translator) -> Text:
    cases = await referrals.of_worker(message.channel, message.user_id, limit=10)
    if not cases:
        return Text(
            t("您还没有提交过求助。点“反馈问题”或“法律援助”，几步就能提交。"),
            keyboard=main_keyboard(t),
        )
    lines = [t("您最近的求助：")]
    for case in cases:
        local = case.created_at.astimezone(CHINA_TZ)
        lines.append(
            f"· {case.number} {t(kind_label(case.kind))}·"
            f"{t(category_label(case.kind, case.category))}（{local:%m-%d}）："
            f"{t(status_label(case.status))}"
        )
        if case.outcome:
            lines.append(t("  处理结果：{outcome}").format(outcome=case.outcome))
    return Text("\n".join(lines), keyboard=main_keyboard(t))
