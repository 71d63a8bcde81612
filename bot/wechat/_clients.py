"""The two WeChat accounts this server speaks for, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from aiohttp import web

from core.context import CONTEXT, AppContext
from integrations import WeChatApi
from integrations.wechat import HTTP_TIMEOUT


@dataclass
class WeChatClients:
    """`official` is the Official Account (公众号), `mini` the mini-program (小程序)."""

    official: WeChatApi
    mini: WeChatApi
    http: httpx.AsyncClient

    @classmethod
    def from_context(cls, context: AppContext) -> WeChatClients:
        settings = context.settings
        http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        secret = settings.wechat_secret.get_secret_value() if settings.wechat_secret else None
        mini_secret = (
            settings.miniprogram_secret.get_secret_value() if settings.miniprogram_secret else None
        )
        return cls(
            official=WeChatApi(
                settings.wechat_api_base,
                http,
                context.store,
                appid=settings.wechat_appid,
                secret=secret,
            ),
            mini=WeChatApi(
                settings.wechat_api_base,
                http,
                context.store,
                appid=settings.miniprogram_appid,
                secret=mini_secret,
            ),
            http=http,
        )

    async def close(self) -> None:
        await self.http.aclose()


COMPONENT = "wechat"


def wechat_clients(app: web.Application) -> WeChatClients:
    """The app's WeChat clients, created on first use and closed when the app stops. Every
    surface (the Official Account, the mini-program API) calls this and gets the same ones."""
    context = app[CONTEXT]
    clients = context.components.get(COMPONENT)
    if clients is None:
        clients = WeChatClients.from_context(context)
        context.components[COMPONENT] = clients

        async def _close(_app: web.Application) -> None:
            await clients.close()
            context.components.pop(COMPONENT, None)

        app.on_cleanup.append(_close)
    assert isinstance(clients, WeChatClients)
    return clients
