"""`AppContext`: the process's shared services, built once and handed to every surface.

Handlers get what they need from here (or, in the conversation layer, by parameter name) instead
of importing globals, so tests can build a context with in-memory stores and a frozen clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CollectorRegistry

from .clock import Clock, SystemClock
from .db import Database
from .pii import cipher_for
from .settings import Settings
from .store import Store, open_store

if TYPE_CHECKING:
    from locations import StationFinder


@dataclass
class AppContext:
    settings: Settings
    db: Database
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    # Components added by domains and surfaces at start-up, by name ("telegram", "cases", …).
    components: dict[str, Any] = field(default_factory=dict)
    _finder: StationFinder | None = None

    def __post_init__(self) -> None:
        # Migrations that encrypt existing rows use this context's key, the one the app reads
        # them with (not whatever the environment says). Lazy: without rows to encrypt, no key
        # is derived and no "PII_KEY 未设置" warning is logged.
        self.db.migration_attributes.setdefault("pii_cipher", lambda: cipher_for(self.settings))

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> AppContext:
        return cls(
            settings=settings,
            db=Database(settings.database_url, schema=settings.database_schema),
            store=open_store(settings.redis_url, settings.redis_prefix),
            clock=clock or SystemClock(),
        )

    @property
    def finder(self) -> StationFinder:
        if self._finder is None:
            from locations import StationFinder

            self._finder = StationFinder(
                self.db, self.store, self.clock, poll_seconds=self.settings.station_refresh_seconds
            )
        return self._finder

    async def start(self, *, upgrade: bool = True) -> None:
        if upgrade:
            await self.db.upgrade()
        await self.finder.start()

    async def close(self) -> None:
        if self._finder is not None:
            await self._finder.stop()
        await self.store.close()
        await self.db.close()


CONTEXT = web.AppKey("context", AppContext)
