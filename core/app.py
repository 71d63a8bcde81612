"""The aiohttp application factory: one server with every HTTP surface.

This module is the composition root: the one place in `core/` that looks upward, by name, to
mount the surfaces (`SURFACES`). Each surface module has `setup(app: web.Application) -> None`
that adds its routes and start-up hooks, reading shared services from `app[CONTEXT]`.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .context import CONTEXT, AppContext
from .http import HttpMetrics, json_response, problem_middleware

SURFACES: tuple[str, ...] = (
    "core.outbox",
    "bot.staff",
    "bot.wechat",
    "miniprogram_api",
    "admin_api",
    "bot.telegram",
)


def create_app(context: AppContext, *, surfaces: tuple[str, ...] = SURFACES) -> web.Application:
    metrics = HttpMetrics(context.registry)
    app = web.Application(
        middlewares=[metrics.middleware(), problem_middleware],  # outermost first
        client_max_size=context.settings.max_body_bytes,
    )
    app[CONTEXT] = context
    app.cleanup_ctx.append(_lifespan)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    for dotted in surfaces:
        importlib.import_module(dotted).setup(app)
    return app


async def _lifespan(app: web.Application) -> AsyncIterator[None]:
    context = app[CONTEXT]
    await context.start()
    yield
    await context.close()


async def healthz(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    db_ok, store_ok = await context.db.ping(), await context.store.ping()
    body = {
        "status": "ok" if db_ok and store_ok else "degraded",
        "database": db_ok,
        "store": store_ok,
        "stations": len(context.finder.index),
    }
    return json_response(body, status=200 if db_ok and store_ok else 503)


async def metrics_endpoint(request: web.Request) -> web.Response:
    registry = request.app[CONTEXT].registry
    response = web.Response(body=generate_latest(registry))
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response
