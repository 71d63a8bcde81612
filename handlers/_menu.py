"""/start, /help, /cancel, the main keyboard, and the entry points whose dialogs live elsewhere.

The entry routers sit *after* every registered dialog router (see `_conversation.build_root`),
so a dialog that handles "一键入会" replaces the placeholder here without editing this file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ._cards import HOTLINE
from ._i18n import Translator, available_languages, translator
from ._messages import FULL_CAPS, Button, Caps, Keyboard, KeyButton, Message, Text
from ._router import Command, KindIs, Router, TextIs
from ._state import DialogState

SAY = "say:"  # a button that hands the conversation its label, as if the worker typed it

commands = Router("commands")
entries = Router("entries")
fallback = Router("fallback")


def every_language(text: str) -> tuple[str, ...]:
    """A label in every language we speak, so a button works whatever the user's language."""
    return tuple({translator(lang)(text) for lang in available_languages()})


def main_keyboard(t: Translator) -> Keyboard:
    return Keyboard(
        (
            (KeyButton(t("发送位置"), request="location"), KeyButton(t("附近驿站"))),
            (KeyButton(t("一键入会")), KeyButton(t("反馈问题")), KeyButton(t("法律援助"))),
            (KeyButton(t("我的会员")), KeyButton(t("我的求助")), KeyButton(t("帮助"))),
        )
    )


def share_hint(t: Translator, caps: Caps) -> str:
    """How to send a position on the worker's channel, as the middle of a sentence."""
    if caps.share_location == "attach":
        return t("点输入框旁的“+”，选“位置”发给我")
    if caps.share_location == "typed":
        return t("输入“@纬度,经度”（如 @40.84,111.75）发送位置")
    return t("点下方“发送位置”")


# The menu where there is no reply keyboard: numbered choices or a chat's own buttons, each
# handing the conversation its label (see `_intents.SAY`).
MENU_CHOICES = ("附近驿站", "一键入会", "反馈问题", "法律援助", "我的会员", "我的求助", "找工会")


def menu_choices(t: Translator, caps: Caps) -> tuple[tuple[Button, ...], ...]:
    """The main menu as buttons where the channel has no reply keyboard; none where it has."""
    if caps.keyboard:
        return ()
    buttons = [Button(t(label), data=f"{SAY}{label}") for label in MENU_CHOICES]
    return tuple(tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4))


def welcome_text(t: Translator, caps: Caps = FULL_CAPS) -> str:
    return t(
        "您好！我是驿站通，帮您找附近开着门的工会驿站。\n"
        "{share}，马上告诉您最近的驿站；也可以直接说“厕所”“热饭”“充电”，"
        "或输入地名，比如“包头”“呼和浩特 赛罕区”。\n"
        "遇到困难可拨打职工服务热线 12351。"
    ).format(share=share_hint(t, caps))


def help_text(t: Translator, caps: Caps = FULL_CAPS) -> str:
    lines = [
        t("可以这样用："),
        t("· 发送位置（{share}）：找最近的开放驿站，附带导航").format(share=share_hint(t, caps)),
        t("· 说需要什么：厕所、热饭、喝水、充电、换电、药、雨伞……"),
        t("· 输入地名：包头、东胜、呼和浩特 赛罕区"),
        t("· /near 用上次的位置再找一次")
        if caps.commands
        else t("· 说“附近驿站”：用上次的位置再找一次"),
    ]
    if caps.keyboard:
        lines.append(t("· 一键入会、反馈问题、法律援助：点下方按钮"))
    elif caps.buttons:
        lines.append(t("· 入会、反馈问题、法律援助、找工会：直接说，或点下面的按钮"))
    else:
        lines.append(t("· 入会、反馈问题、法律援助、找工会：直接说，或回复下面的数字"))
    lines.append(
        t("· /cancel 退出正在进行的填写") if caps.commands else t("· 说“取消”退出正在进行的填写")
    )
    lines.append(t("职工服务热线：12351"))
    return "\n".join(lines)


@commands.message(Command("start"))
async def start(message: Message, state: DialogState, t: Translator) -> Text:
    await state.clear()  # /start is the way out of anything
    caps = message.caps
    return Text(welcome_text(t, caps), buttons=menu_choices(t, caps), keyboard=main_keyboard(t))


@commands.message(Command("help") | TextIs(*every_language("帮助"), "?", "？"))
async def help_(message: Message, t: Translator) -> Text:
    caps = message.caps
    return Text(help_text(t, caps), buttons=menu_choices(t, caps), keyboard=main_keyboard(t))


@commands.message(Command("cancel") | TextIs(*every_language("取消")))
async def cancel(state: DialogState, t: Translator) -> Text:
    was_in_dialog = state.name is not None
    await state.clear()
    text = t("好的，已取消。") if was_in_dialog else t("现在没有正在进行的填写。")
    return Text(text, keyboard=main_keyboard(t))


# Entry points: (button label, what the coming function will do). Dialog routers registered in
# handlers/dialogs.py come before this router and take these words over.
ENTRY_POINTS: tuple[tuple[str, str], ...] = (
    ("一键入会", "在线加入工会"),
    ("反馈问题", "反馈驿站的问题"),
    ("法律援助", "申请法律援助"),
    ("我的会员", "查看会员信息"),
    ("我的求助", "查看求助进度"),
)


def _coming_soon(what: str) -> Callable[[Translator], Awaitable[Text]]:
    async def coming_soon(t: Translator) -> Text:
        return Text(
            t(
                "“{what}”功能马上就上线，请稍后再来。现在有需要，可以拨打职工服务热线 {hotline}，"
                "或到附近驿站找工作人员。"
            ).format(what=t(what), hotline=HOTLINE),
            keyboard=main_keyboard(t),
        )

    return coming_soon


for _label, _what in ENTRY_POINTS:
    entries.message(TextIs(*every_language(_label)))(_coming_soon(_what))


@fallback.message(KindIs("contact"))
async def stray_contact(t: Translator) -> Text:
    return Text(t("收到您的联系方式。现在不需要它，我们不会保存。"), keyboard=main_keyboard(t))


@fallback.message(KindIs("button"))
async def stale_button(t: Translator) -> Text:
    return Text(t("这个按钮已经过期了，请重新发送位置或输入要找的内容。"))


@fallback.message(KindIs("other"))
async def cannot_read(message: Message, t: Translator) -> Text:
    """A picture, a sticker, a voice message the channel could not turn into words, …"""
    return Text(
        t("这种消息我还看不懂。请用文字告诉我需要什么，或发送位置找驿站。"),
        buttons=menu_choices(t, message.caps),
        keyboard=main_keyboard(t),
    )


@fallback.message()
async def not_understood(message: Message, t: Translator) -> Text:
    return Text(
        t(
            "没太明白您的意思。可以发送位置找驿站，或者直接说“厕所”“热饭”“充电”，"
            "也可以输入地名。发送“帮助”看看还能做什么。"
        ),
        buttons=menu_choices(t, message.caps),
        keyboard=main_keyboard(t),
    )
