"""Understanding free text: a rider's words (typed, or a channel's voice recognition) that mean
one of the intents of `_words.INTENTS` are handed to the conversation as the menu label or
command that intent `says` ("怎么入会啊" → "一键入会", "驿站锁门了" → "/closed", "老板拖欠工资"
→ "/legal unpaid_wages"), so every dialog answers them without knowing any of the words.

`router_for(root)` is tried right after /start, /help and /cancel, and only for users in no
dialog: inside a form a worker's words are their answer ("欠薪三个月" is a description).
`SAY` buttons ("say:附近驿站") do the same for a channel's menu choices, in any state, as if the
worker had typed the label. `/human` (人工, 找工会) tells how to reach the union's people.

The last station the worker was offered is kept (`remember_offered`, by the conversation) so
that "关门了" can start a closed-station report about it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.store import Store
from locations import StationFinder, StationRecord

from ._cards import HOTLINE
from ._i18n import Translator
from ._menu import ENTRY_POINTS, MENU_CHOICES, SAY, every_language
from ._messages import Button, Message, Reply, Text
from ._router import Command, Data, Filter, HandlerResult, InState, KindIs, Router, Shape
from ._state import DialogState
from ._words import understand

_LABELS = frozenset(
    word.lower()
    for label in (*(e[0] for e in ENTRY_POINTS), *MENU_CHOICES, "附近驿站", "帮助", "取消")
    for word in every_language(label)
    if label != "找工会"
)
OFFERED_TTL = 2 * 3600.0  # as long as the last location is kept
MAX_SAY = 50


def _offered_key(user_key: str) -> str:
    return f"offered:{user_key}"


def offered_station(replies: list[Reply]) -> int | None:
    """The station a list of replies shows first (its pin), if any."""
    for reply in replies:
        station_id = getattr(reply, "station_id", None)
        if station_id is not None:
            return int(station_id)
    return None


async def remember_offered(store: Store, user_key: str, station_id: int) -> None:
    await store.set(_offered_key(user_key), str(station_id), ttl=OFFERED_TTL)


async def last_offered(store: Store, finder: StationFinder, user_key: str) -> StationRecord | None:
    """The last station shown to the worker, if it is still in the directory."""
    raw = await store.get(_offered_key(user_key))
    return finder.get(int(raw)) if raw and raw.isdigit() else None


class Understood(Filter):
    """Free text that one of the intents means, other than the words it says already; gives
    `says`. Never matches a message that is itself the result of understanding."""

    async def check(self, message: Message, data: dict[str, Any]) -> bool | dict[str, Any]:
        if data.get("understood_from") is not None:
            return False
        text = (message.text or "").strip()
        if not text or text.startswith("/"):
            return False
        if text.lower() in _LABELS:  # the menu's own words go to whoever answers them
            return False
        intent = understand(text)
        if intent is None or not intent.says or text.lower() == intent.says.lower():
            return False
        return {"says": intent.says}

    def possible(self, shape: Shape) -> bool:
        return shape[1]


def router_for(root: Router) -> tuple[Router, Router]:
    """(the `SAY` buttons' router, tried in any state; the free-text router, users in no dialog),
    both handing what they understood back to `root`."""
    buttons = Router("say")
    words = Router("intents", filters=[InState(None)])

    @buttons.message(Data(SAY))
    async def pressed(
        payload: str, message: Message, state: DialogState, **data: Any
    ) -> HandlerResult:
        if not payload or len(payload) > MAX_SAY:
            return None
        # A menu choice leaves any form, as a command does; then it is read like typed words
        # (a choice may be "找工会"). The label carries no button data: no loop back here.
        await state.clear()
        said = replace(message, text=payload, data=None)
        return await root.dispatch(
            said, {**data, "message": said, "state": state, "raw_state": None}
        )

    @words.message(KindIs("text"), Understood())
    async def understood(says: str, message: Message, **data: Any) -> HandlerResult:
        said = replace(message, text=says)
        return await root.dispatch(said, {**data, "message": said, "understood_from": message})

    return buttons, words


human = Router("human")


@human.message(Command("human"))
async def reach_people(t: Translator) -> Text:
    """人工 / 找工会: how to reach the union's people, and the two ways to leave a case."""
    return Text(
        t(
            "想找工会的工作人员：\n"
            "· 打电话：职工服务热线 {hotline}；法律问题也可以打法律援助热线 12348\n"
            "· 在这里留言：选“反馈问题”或“法律援助”，说清情况，当地工会会联系您\n"
            "· 当面找：附近驿站的工作人员"
        ).format(hotline=HOTLINE),
        buttons=(
            (
                Button(t("反馈问题"), data=f"{SAY}反馈问题"),
                Button(t("法律援助"), data=f"{SAY}法律援助"),
            ),
        ),
    )
