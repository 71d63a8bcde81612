"""The two WeChat accounts this server speaks for, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from core.settings import Settings
from core.store import Store

from ._api import WeChatApi

# WeChat answers within a second or two; the passive-reply deadline is 5 s, so never wait longer.
HTTP_TIMEOUT = httpx.Timeout(4.0, connect=2.0)


@dataclass
class WeChatClients:
    """`official` is the Official Account (公众号), `mini` the mini-program (小程序)."""

    official: WeChatApi
    mini: WeChatApi

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient, store: Store
    ) -> WeChatClients:
        secret = settings.wechat_secret.get_secret_value() if settings.wechat_secret else None
        mini_secret = (
            settings.miniprogram_secret.get_secret_value() if settings.miniprogram_secret else None
        )
        return cls(
            official=WeChatApi(
                settings.wechat_api_base, http, store, appid=settings.wechat_appid, secret=secret
            ),
            mini=WeChatApi(
                settings.wechat_api_base,
                http,
                store,
                appid=settings.miniprogram_appid,
                secret=mini_secret,
            ),
        )
