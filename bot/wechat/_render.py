"""Conversation replies as one WeChat text message.

A passive reply is a single message, and Official Account chats have no inline buttons, so:
- `Text` → its text; link buttons → `<a href>` links (WeChat text supports them); buttons that
  send data back → numbered choices ("回复数字：1 下一个驿站 …"): the worker answers "1" and
  `choice_data` turns it back into the button's data.
- `Place` → a "📍" line whose link opens the station in the mini-program (when its appid is
  set) or on Tencent Maps, in GCJ-02 as Chinese map apps expect.
- Reply keyboards are left out: in WeChat the account's own menu plays that part.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import quote, urlencode

from handlers import Place, Reply, Text
from locations import CoordSystem, from_wgs84

# The mini-program page that shows one station (the front end's route).
STATION_PAGE = "pages/station/detail?id={id}"
# WeChat cuts text messages at 2048 bytes; keep room for the XML around it.
MAX_BYTES = 2000
CHOICES_TTL = 30 * 60.0


def _attr(value: str) -> str:
    return value.replace('"', "%22").replace("<", "%3C").replace(">", "%3E")


def map_url(place: Place) -> str:
    lat, lng = from_wgs84(place.point, CoordSystem.GCJ02)
    return "https://apis.map.qq.com/uri/v1/marker?" + urlencode(
        {
            "marker": f"coord:{lat:.6f},{lng:.6f};title:{place.title};addr:{place.address}",
            "referer": "yizhan",
        },
        quote_via=quote,
        safe=":;,",
    )


def place_line(place: Place, mini_appid: str | None) -> str:
    url = map_url(place)
    if mini_appid and place.station_id is not None:
        path = STATION_PAGE.format(id=place.station_id)
        return (
            f'📍 <a data-miniprogram-appid="{_attr(mini_appid)}" '
            f'data-miniprogram-path="{_attr(path)}" href="{_attr(url)}">{place.title}</a>'
            f"（点击在小程序里查看、导航）"
        )
    return f'📍 <a href="{_attr(url)}">{place.title}</a>（点击在地图上查看、导航）'


def render(
    replies: Sequence[Reply], *, mini_appid: str | None = None, links: bool = True
) -> tuple[str, list[str]]:
    """(text of the one message, data of the numbered choices in order)."""
    blocks: list[str] = []
    choices: list[str] = []
    for reply in replies:
        if isinstance(reply, Place):
            blocks.append(place_line(reply, mini_appid))
            continue
        assert isinstance(reply, Text)
        lines = [reply.text]
        anchors, numbered = [], []
        for row in reply.buttons:
            for button in row:
                if button.url is not None:
                    anchors.append(f'<a href="{_attr(button.url)}">{button.label}</a>')
                elif button.data is not None:
                    choices.append(button.data)
                    numbered.append(f"{len(choices)} {button.label}")
        if anchors and links:
            lines.append("导航：" + "  ".join(anchors))
        if numbered:
            lines.append("回复数字：" + "　".join(numbered))
        blocks.append("\n".join(lines))
    text = "\n\n".join(b for b in blocks if b).replace("]]>", "] ]>")
    if len(text.encode()) > MAX_BYTES and links:
        # The map links are the longest part; the 📍 line still links the station.
        return render(replies, mini_appid=mini_appid, links=False)
    if len(text.encode()) > MAX_BYTES:
        text = text.encode()[: MAX_BYTES - 3].decode(errors="ignore") + "…"
    return text, choices


def encode_choices(choices: list[str]) -> str:
    return json.dumps(choices, ensure_ascii=False)


# Voice input writes small numbers as words and ends with a full stop ("一。").
_SPOKEN = {
    "一": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_TRAILING = " \t\n。.！!？?，,、~～"


def choice_data(raw: str | None, answer: str) -> str | None:
    """The button data a numeric answer stands for, if the last reply offered choices."""
    answer = answer.strip().strip(_TRAILING)
    answer = _SPOKEN.get(answer, answer)
    if not raw or not answer.isdigit():
        return None
    try:
        choices = json.loads(raw)
    except ValueError:
        return None
    index = int(answer) - 1
    if isinstance(choices, list) and 0 <= index < len(choices):
        return str(choices[index])
    return None
