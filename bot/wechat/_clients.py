"""The two WeChat accounts this server speaks for, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from core.settings import Settings
from core.store import Store
from integrations import WeChatApi


@dataclass(frozen=True)
class WeChatClients:
    """`official` is the Official Account (公众号), `mini` the mini-program (小程序). Both share
    the process's HTTP client; each call sets WeChat's own short timeout."""

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
