"""WeChat: the Official Account channel (`GET|POST /wechat`) and the WeChat server API client
shared with the mini-program API (`WeChatClients.official` / `.mini`, built by the
composition root (`yizhan.wiring.Channels`) and handed to the surfaces and senders that use them).

Other packages may queue a message to a worker who wrote to the Official Account in the last
48 hours with `core.outbox.enqueue(session, OUTBOX_KIND, openid, {"text": …}, dedupe_key)`, and
a subscribe message to a mini-program user with `enqueue(session, SUBSCRIBE_KIND, openid,
{"template": …, "data": …, "page": …}, dedupe_key)` (payload and templates: `_subscribe.py`)."""

from ._api import (
    AccessTokens,
    ContentCheck,
    InvalidCode,
    InvalidCredential,
    MiniSession,
    OutOfWindow,
    Verdict,
    WeChatApi,
    WeChatApiError,
    WeChatError,
    WeChatNotConfigured,
    WeChatUnavailable,
)
from ._clients import WeChatClients
from ._render import render
from ._security import CallbackRejected, SafeMode, check_query, parse_xml, sign
from ._subscribe import SUBSCRIBE_KIND, SubscribeSender, TemplateConfigError
from ._webhook import ACCOUNT, OUTBOX_KIND, OfficialAccount, register_senders, setup

__all__ = [
    "ACCOUNT",
    "OUTBOX_KIND",
    "SUBSCRIBE_KIND",
    "AccessTokens",
    "CallbackRejected",
    "ContentCheck",
    "InvalidCode",
    "InvalidCredential",
    "MiniSession",
    "OfficialAccount",
    "OutOfWindow",
    "SafeMode",
    "SubscribeSender",
    "TemplateConfigError",
    "Verdict",
    "WeChatApi",
    "WeChatApiError",
    "WeChatClients",
    "WeChatError",
    "WeChatNotConfigured",
    "WeChatUnavailable",
    "check_query",
    "parse_xml",
    "register_senders",
    "render",
    "setup",
    "sign",
]
