"""The worker's language: chosen with `/lang` (or "语言 / Language") and two buttons, and
remembered per user; every text they receive follows it, the notices about their case or
application included (`localize_notice`, for channel adapters to call as they send).

Where it is kept: the shared key-value store, without expiry (`lang:<user key>`). A table would
survive a wiped Redis, but a lost choice costs one tap and falls back to the language the
worker's app reports, while the store is already read on every message (the dialog state) and
needs no migration. A choice is stored when the worker makes it, and once when a worker whose
app reports another language submits something, so the notices that follow speak it too.
"""

from __future__ import annotations

from core.notices import Notice
from core.store import Store

from ._i18n import DEFAULT_LANGUAGE, Translator, available_languages, translator
from ._menu import every_language, main_keyboard
from ._messages import Button, Text
from ._router import Command, Data, Router, TextIs
from ._state import user_key as _user_key

router = Router("language")

NAMES = {"zh": "中文", "en": "English"}  # each in its own language, as a switch shows them
_CB = "lang:"


def _key(user: str) -> str:
    return f"lang:{user}"


async def chosen_language(store: Store, user: str) -> str | None:
    """The language the user chose ("zh", "en"), or None when they never chose."""
    found = await store.get(_key(user))
    return found if found in available_languages() else None


async def remember_language(
    store: Store, user: str, language: str, *, only_new: bool = False
) -> None:
    """Keep the user's language (no expiry). `only_new`: keep an explicit choice made before."""
    if language in available_languages():
        await store.set(_key(user), language, only_new=only_new)


async def language_for(store: Store, channel: str, address: str) -> str:
    """The language to tell a channel account something in (their choice, else Chinese)."""
    return await chosen_language(store, _user_key(channel, address)) or DEFAULT_LANGUAGE


def _switch(t: Translator) -> Text:
    rows = (tuple(Button(name, data=f"{_CB}{code}") for code, name in NAMES.items()),)
    return Text(t("请选择语言 / Choose your language:"), buttons=rows)


@router.message(Command("lang", "language") | TextIs(*every_language("语言"), "语言", "language"))
async def ask_language(t: Translator) -> Text:
    return _switch(t)


@router.message(Data(_CB))
async def set_language(payload: str, store: Store, user_key: str) -> Text:
    if payload not in NAMES or payload not in available_languages():
        return _switch(translator(DEFAULT_LANGUAGE))
    await remember_language(store, user_key, payload)
    t = translator(payload)
    return Text(t("好的，以后用中文和您说话。"), keyboard=main_keyboard(t))


# -- notices to a worker, in their language ----------------------------------------------------

CASE_TEMPLATE = "case_update"  # referrals' worker notices (number, kind, status, note)
RESULT_TEMPLATE = "enrollment_result"  # membership's outcome (status, member_number, reason, union)


def localize_notice(notice: Notice, language: str) -> Notice:
    """A worker's notice in `language`, rebuilt from its template values; unchanged in Chinese
    or for a notice without a template we know (staff cards go to staff as they are)."""
    if language == DEFAULT_LANGUAGE or language not in available_languages():
        return notice
    t = translator(language)
    data = notice.data
    if notice.template == CASE_TEMPLATE:
        text = t("您的求助 {number}（{kind}）：{status}\n{note}").format(
            number=data.get("number", ""),
            kind=t(data.get("kind", "")) if data.get("kind") else "",
            status=t(data.get("status", "")) if data.get("status") else "",
            note=t(data.get("note", "")) if data.get("note") else "",
        )
    elif notice.template == RESULT_TEMPLATE:
        if data.get("status") == "已通过":
            text = t(
                "恭喜！您的入会申请已通过，欢迎加入{union}。\n会员号：{number}\n"
                "随时发送“我的会员”可以查看。"
            ).format(union=data.get("union", ""), number=data.get("member_number", ""))
        else:
            text = t(
                "您的入会申请暂未通过。\n原因：{reason}\n"
                "修改后可以重新提交：发送“一键入会”即可。有疑问请拨打 12351。"
            ).format(reason=t(data["reason"]) if data.get("reason") else "")
    else:
        return notice
    return Notice(
        text,
        buttons=notice.buttons,
        footer=notice.footer,
        page=notice.page,
        template=notice.template,
        data=notice.data,
    )
