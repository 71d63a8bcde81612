"""The aiohttp application: one server with every HTTP surface, mounted here by name.

`create_app(services)` mounts `/healthz`, `/metrics`, the Telegram webhook, the Official Account
callback, the mini-program API and the staff API, registers the outbox senders, and runs the
outbox dispatcher for the app's lifetime. Each surface reads the services from
`request.app[SERVICES_KEY]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

import admin_api
import console
import miniprogram_api
from bot import telegram, wechat
from core.guard import GUARD, AuthGuard
from core.http import (
    HttpMetrics,
    body_timeout_middleware,
    json_response,
    problem_middleware,
    request_id_middleware,
)
from core.proxies import trusted_proxy_middleware
from handlers import SERVICES_KEY, Services

from .observe import setup_metrics
from .wiring import build_channels, register_senders


def create_app(services: Services) -> web.Application:
    metrics = HttpMetrics(services.registry)
    app = web.Application(
        middlewares=[metrics.middleware(), problem_middleware],  # outermost first
        client_max_size=services.settings.max_body_bytes,
    )
    app[SERVICES_KEY] = services
    app.middlewares.insert(0, trusted_proxy_middleware(services.settings.trusted_proxies))
    app.middlewares.insert(0, request_id_middleware)  # outermost: every log line has the id
    app.middlewares.append(body_timeout_middleware)  # inside the problem middleware
    app[GUARD] = AuthGuard(
        services.store,
        limit=services.settings.auth_fail_limit,
        window=services.settings.auth_fail_window_seconds,
    )
    channels = build_channels(services)
    register_senders(services, channels)

    app.router.add_get("/healthz", healthz)
    setup_metrics(app, services)  # after the senders: it counts their failures
    telegram.setup(app, channels.telegram)
    wechat.setup(app, services)
    miniprogram_api.setup(app, channels.wechat.mini)
    admin_api.setup(app)
    console.setup(app, services)

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        await services.start()
        services.outbox.start()
        yield
        # The outbox first: a delivery in flight must finish before the clients close.
        await services.outbox.stop()
        await channels.telegram.close()
        await services.close()

    app.cleanup_ctx.insert(0, lifespan)  # started first, so stopped last
    return app


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    db_ok, store_ok = await services.db.ping(), await services.store.ping()
    body = {
        "status": "ok" if db_ok and store_ok else "degraded",
        "database": db_ok,
        "store": store_ok,
        "stations": len(services.finder.index),
    }
    return json_response(body, status=200 if db_ok and store_ok else 503)
