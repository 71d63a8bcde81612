"""Failed credential attempts, limited per client address: admin bearer tokens, the Telegram
webhook secret, the metrics token. Without a limit a secret can be guessed as fast as the
network allows.

Failures are counted in the shared store (every process sees the same count) under the
client's address (`request.remote`, which the trusted-proxy middleware has already set to the
real client behind `TRUSTED_PROXIES`), per scope, for `window` seconds from the first failure.
Once an address has `limit` failures in a scope, its further attempts in that scope are refused
with 429 and `Retry-After` *before* the credential is compared, right or wrong: a guesser
learns nothing more until the window ends. Successful attempts are never counted, so a client
with the right credential is refused only after someone at its address guessed `limit` times.

The composition root puts an `AuthGuard` in the app (`app[GUARD]`); without one nothing is
limited (a surface mounted alone in a unit test).
"""

from __future__ import annotations

import logging
import math

from aiohttp import web

from .http import Problem
from .store import Store, StoreError

log = logging.getLogger(__name__)


class AuthGuard:
    def __init__(self, store: Store, *, limit: int = 20, window: float = 600.0) -> None:
        self.store, self.limit, self.window = store, limit, window

    @staticmethod
    def _key(scope: str, address: str) -> str:
        return f"authfail:{scope}:{address}"

    async def check(self, scope: str, address: str) -> None:
        """429 when `address` already failed `limit` times in `scope` within the window."""
        if self.limit <= 0:
            return
        key = self._key(scope, address)
        try:
            count = int(await self.store.get(key) or 0)
            if count < self.limit:
                return
            wait = await self.store.ttl(key) or self.window
        except StoreError:
            log.warning("auth-failure store unavailable; not limiting %s", scope)
            return
        seconds = max(1, math.ceil(wait))
        raise Problem(
            429,
            "尝试次数太多",
            f"身份验证失败次数太多，请 {seconds} 秒后再试。",
            headers={"Retry-After": str(seconds)},
        )

    async def failed(self, scope: str, address: str) -> int:
        """Count one failure; how many `address` has now in `scope` (0 if the store is down)."""
        try:
            count = await self.store.incr(self._key(scope, address), ttl=self.window)
        except StoreError:
            return 0
        if count == self.limit:
            log.warning(
                "auth: %s failed %d times from %s; refusing it for now", scope, count, address
            )
        return count


GUARD = web.AppKey("auth_guard", AuthGuard)


class AuthFailures:
    """The guard bound to one request's client address and a scope."""

    def __init__(self, guard: AuthGuard | None, scope: str, address: str) -> None:
        self._guard, self.scope, self.address = guard, scope, address

    @classmethod
    def of(cls, request: web.Request, scope: str) -> AuthFailures:
        return cls(request.config_dict.get(GUARD), scope, request.remote or "-")

    async def check(self) -> None:
        if self._guard is not None:
            await self._guard.check(self.scope, self.address)

    async def record(self) -> None:
        if self._guard is not None:
            await self._guard.failed(self.scope, self.address)
