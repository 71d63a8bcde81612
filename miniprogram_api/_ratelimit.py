"""Per-IP and per-user request limits for `/api/v1`, counted in the shared store so every
server process sees the same numbers. Over the limit: 429 with `Retry-After`. Every answer
carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (the IETF draft's names)
for the tightest limit that applies.

Fixed one-minute windows: simple, one `INCR` per key per request, and a burst at a window edge
is at most twice the limit, which is fine for protecting the WeChat quotas behind us. Mobile
carriers put many phones behind one address, so the per-IP limit is the looser one.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from aiohttp import web

from core.http import Problem
from core.proxies import client_address, trusted_networks
from core.store import StoreError
from handlers import SERVICES_KEY

from ._auth import bearer_openid
from ._routes import Handler

log = logging.getLogger(__name__)
PREFIX = "/api/v1/"


@dataclass(frozen=True)
class RateLimits:
    per_ip: int = 600
    per_user: int = 120
    window_s: int = 60


async def _count(request: web.Request, key: str, window: int) -> tuple[int, float]:
    """This window's count for `key` (this request included) and the seconds left in it."""
    store = request.app[SERVICES_KEY].store
    count = await store.incr(key, ttl=window)
    return count, await store.ttl(key) or float(window)


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(PREFIX):
        return await handler(request)
    context = request.app[SERVICES_KEY]
    settings = context.settings
    limits = RateLimits(settings.miniprogram_rate_per_ip, settings.miniprogram_rate_per_user)
    window = int(context.clock.now().timestamp()) // limits.window_s
    client = client_address(request, trusted_networks(settings.trusted_proxies))
    checks = [(f"rl:ip:{client}:{window}", limits.per_ip)]
    openid = bearer_openid(request)
    if openid is not None:
        checks.append((f"rl:user:{openid}:{window}", limits.per_user))
    # The headers describe the tightest limit that applies (the user's when logged in).
    shown: dict[str, str] = {}
    try:
        for key, limit in checks:
            count, wait = await _count(request, key, limits.window_s)
            reset = max(1, math.ceil(wait))
            shown = {
                "RateLimit-Limit": str(limit),
                "RateLimit-Remaining": str(max(0, limit - count)),
                "RateLimit-Reset": str(reset),
            }
            if count > limit:
                raise Problem(
                    429,
                    "请求太频繁，请稍后再试",
                    f"请 {reset} 秒后再试。",
                    headers={"Retry-After": str(reset), **shown},
                )
    except StoreError:
        # Losing the counters must not lock every worker out of the station map.
        log.warning("rate-limit store unavailable; letting the request through")
    try:
        response = await handler(request)
    except Problem as problem:
        problem.headers = {**shown, **problem.headers}
        raise
    except web.HTTPException as exc:
        exc.headers.update(shown)
        raise
    response.headers.update(shown)
    return response
