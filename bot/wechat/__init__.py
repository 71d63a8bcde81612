"""WeChat: the Official Account channel (`GET|POST /wechat`), its outbox senders, and the two
accounts' API clients (`WeChatClients.official` / `.mini`, built once per process by the
composition root, `yizhan.wiring.Channels`, and shared with the mini-program API). The API
client itself is `integrations.WeChatApi`.

Outbox kinds (payload: `core.notices.Notice.to_payload()`): "wechat" (`OUTBOX_KIND`; recipient:
an Official Account openid; a customer-service text within 48 hours of the worker's last
message) and "miniprogram" (`SUBSCRIBE_KIND`; recipient: a mini-program openid; a subscribe
message from the notice's template and data, see `_subscribe.py`).

The account's custom menu is `official_menu()` (`_menu.py`), sent by `yizhan wechat menu`."""

from ._clients import WeChatClients
from ._menu import LOCATION_KEY, click_keys, official_menu
from ._render import render
from ._security import CallbackRejected, SafeMode, check_query, parse_xml, sign
from ._subscribe import SUBSCRIBE_KIND, SubscribeSender, TemplateConfigError
from ._webhook import (
    ACCOUNT,
    OUTBOX_KIND,
    OfficialAccount,
    customer_service_sender,
    register_senders,
    setup,
)

__all__ = [
    "ACCOUNT",
    "LOCATION_KEY",
    "OUTBOX_KIND",
    "SUBSCRIBE_KIND",
    "CallbackRejected",
    "OfficialAccount",
    "SafeMode",
    "SubscribeSender",
    "TemplateConfigError",
    "WeChatClients",
    "check_query",
    "click_keys",
    "customer_service_sender",
    "official_menu",
    "parse_xml",
    "register_senders",
    "render",
    "setup",
    "sign",
]
