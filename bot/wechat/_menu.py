"""The Official Account's custom menu (自定义菜单), made from the conversation's own words.

Official Account chats have no reply keyboard and no commands: this menu plays their part. A
`click` button's key is the label the conversation answers (the callback hands a click's key
over as the worker's text, see `_webhook._event`), so the menu cannot drift from the handlers:
`tests/test_wechat_menu.py` presses every button through the callback. "发送位置" opens
WeChat's location picker (`location_select`); the picked place then arrives as a location
message, which the conversation answers, while the picker's own event only records the
position. `yizhan wechat menu` sends it with WeChat's `menu/create`.

WeChat's limits: 1–3 top buttons of at most 16 bytes (4 Chinese characters), 1–5 sub-buttons
each of at most 60 bytes, keys of at most 128 bytes.
"""

from __future__ import annotations

from typing import Any

LOCATION_KEY = "send_location"

# (top button, its sub-buttons): each a label the conversation answers, or "发送位置".
MENU: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("找驿站", ("发送位置", "附近驿站", "厕所", "热饭", "充电")),
    ("入会", ("一键入会", "我的会员")),
    ("求助", ("反馈问题", "法律援助", "我的求助", "找工会", "帮助")),
)
TOP_NAME_BYTES, SUB_NAME_BYTES, KEY_BYTES = 16, 60, 128


def _button(label: str) -> dict[str, str]:
    if label == "发送位置":
        return {"type": "location_select", "name": label, "key": LOCATION_KEY}
    return {"type": "click", "name": label, "key": label}


def official_menu() -> dict[str, Any]:
    """The body of `cgi-bin/menu/create`."""
    return {
        "button": [
            {"name": top, "sub_button": [_button(label) for label in subs]} for top, subs in MENU
        ]
    }


def click_keys(menu: dict[str, Any]) -> list[str]:
    """Every `click` key of a menu body, in order (what a click hands the conversation)."""
    return [
        sub["key"]
        for top in menu["button"]
        for sub in top.get("sub_button", [top])
        if sub.get("type") == "click"
    ]
