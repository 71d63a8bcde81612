"""WeChat: the Official Account channel (`GET|POST /wechat`) and the WeChat server API client
shared with the mini-program API (`wechat_clients(app).official` / `.mini`)."""

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
from ._clients import WeChatClients, wechat_clients

__all__ = [
    "AccessTokens",
    "ContentCheck",
    "InvalidCode",
    "InvalidCredential",
    "MiniSession",
    "OutOfWindow",
    "Verdict",
    "WeChatApi",
    "WeChatApiError",
    "WeChatClients",
    "WeChatError",
    "WeChatNotConfigured",
    "WeChatUnavailable",
    "wechat_clients",
]
