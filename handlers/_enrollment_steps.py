"""The steps of 一键入会 that `next_step` walks: the real name, the place, the occupation and
employer, then the summary. Each step is asked only while its answer is missing, so a
correction (which starts from the last application) goes straight to the summary.

The name is always asked (the shared contact's name is offered as a button, never taken
silently: a display name like "骑手" is no name), and so is the place, with the last shared
location offered as a choice. Where no union accepts applications, the worker may change the
place instead of losing what they typed.
"""

from __future__ import annotations

from core.pii import PiiCipher, mask_phone
from locations import Point, nearest_seat
from membership import ID_PURPOSE, OCCUPATIONS, Directory, InvalidField, clean_name

from ._i18n import Translator
from ._messages import Button, Keyboard, KeyButton, Text
from ._state import DialogState

CB = "join:"
# Employers offered as buttons per occupation; anything else can be typed.
EMPLOYERS: dict[str, tuple[str, ...]] = {
    "courier": ("顺丰速运", "中通快递", "圆通速递", "韵达快递", "京东物流", "极兔速递", "中国邮政"),
    "food_delivery": ("美团", "饿了么", "达达快送"),
    "truck_driver": ("货拉拉", "满帮", "运输公司"),
    "ride_hailing": ("滴滴出行", "高德打车", "曹操出行"),
}
SELF_EMPLOYED = "个人/灵活就业"


def place_of(point: Point) -> dict[str, str]:
    seat = nearest_seat(point)
    return {"league": seat.league, "county": seat.name}


def pairs(buttons: list[Button]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def employers_for(occupation: str) -> list[str]:
    return [*EMPLOYERS.get(occupation, ()), SELF_EMPLOYED]


def _suggested_name(cipher: PiiCipher, data: dict[str, object]) -> str:
    sealed = data.get("contact_name")
    if not isinstance(sealed, str) or not sealed:
        return ""
    try:
        return clean_name(cipher.decrypt(sealed))
    except InvalidField:
        return ""


def _ask_name(t: Translator, suggested: str) -> Text:
    ask = t("请输入您身份证上的姓名：")
    if not suggested:
        return Text(ask)
    return Text(
        ask, buttons=((Button(t("就是“{name}”").format(name=suggested), data=f"{CB}nameok"),),)
    )


def _ask_place(t: Translator, here: str) -> list[Text]:
    keyboard = Keyboard(((KeyButton(t("发送位置"), request="location"),),), one_time=True)
    ask = Text(t("您在哪个旗县区工作？请发送位置，或输入地名（如“赛罕区”）。"), keyboard=keyboard)
    if not here:
        return [ask]
    here_button = Button(t("就在{place}").format(place=here), data=f"{CB}here")
    return [ask, Text(t("或者用您刚才发送的位置："), buttons=((here_button,),))]


async def next_step(
    cipher: PiiCipher, directory: Directory, state: DialogState, t: Translator
) -> list[Text]:
    """Ask for what is still missing, or show the summary with the submit button."""
    data = state.data
    if not data.get("name_ok"):
        await state.set("join:name")
        return [_ask_name(t, _suggested_name(cipher, data))]
    if not data.get("place_ok") or not data.get("league"):
        await state.set("join:place")
        return _ask_place(t, str(data.get("here_league", "")) + str(data.get("here_county", "")))
    if not data.get("occupation"):
        await state.set("join:occupation")
        rows = pairs(
            [Button(t(label), data=f"{CB}occ:{code}") for code, label in OCCUPATIONS.items()]
        )
        return [Text(t("您做什么工作？请选择职业："), buttons=rows)]
    if not data.get("employer"):
        await state.set("join:employer")
        # Brand names stay as they are; the label is translated, the Chinese value is stored.
        choices = employers_for(str(data["occupation"]))
        rows = pairs([Button(t(name), data=f"{CB}emp:{i}") for i, name in enumerate(choices)])
        return [Text(t("在哪个单位或平台工作？选一个，或直接输入单位名称。"), buttons=rows)]
    name = cipher.decrypt(data["name"])
    employer = cipher.decrypt(data["employer"])  # sealed in the store, like the name
    union = await directory.assign_union(
        league=data["league"],
        county=data.get("county", ""),
        occupation=data.get("occupation", ""),
        employer=employer,
    )
    if union is None:
        # Keep what they typed: another place (where they work) may have a union.
        await state.set("join:nounion")
        return [
            Text(
                t(
                    "{place}暂时还没有可以受理入会的工会。可以改成您工作的旗县区再试，"
                    "或拨打 12351 咨询。"
                ).format(place=data["league"] + data.get("county", "")),
                buttons=((Button(t("改地区"), data=f"{CB}edit:place"),),),
            )
        ]
    if union.requires_id_number and not data.get("id_number"):
        await state.set("join:id")
        return [
            Text(
                t("{union}要求核验身份证号。{purpose}").format(
                    union=union.name, purpose=t(ID_PURPOSE)
                ),
                buttons=((Button(t("同意提供身份证号"), data=f"{CB}idok"),),),
            )
        ]
    await state.set("join:confirm")
    lines = [
        t("请核对："),
        t("姓名：{v}").format(v=name),
        t("手机：{v}").format(v=mask_phone(cipher.decrypt(data["phone"]))),
        t("职业：{v}").format(v=_label(t, OCCUPATIONS.get(data.get("occupation", ""), ""))),
        t("单位/平台：{v}").format(v=employer),
        t("地区：{v}").format(v=data["league"] + data.get("county", "")),
        t("审核工会：{v}").format(v=union.name),
    ]
    return [
        Text(
            "\n".join(lines),
            buttons=(
                (Button(t("✅ 确认提交"), data=f"{CB}submit"),),
                (
                    Button(t("改姓名"), data=f"{CB}edit:name"),
                    Button(t("改地区"), data=f"{CB}edit:place"),
                ),
            ),
        )
    ]


def _label(t: Translator, label: str) -> str:
    return t(label) if label else ""  # gettext("") is the catalogue header, not ""
