"""`Services`: everything a channel adapter or a handler works with, built once per process.

The composition root (`yizhan.wiring.build_services`) makes one `Services` from the settings;
nothing else constructs domain services or outside-service clients. Handlers name what they
need as parameters (`finder`, `referrals`, `clock`, …: the field names below) and the
conversation passes those fields in; HTTP handlers read `request.app[SERVICES_KEY]`.

It lives here, one layer above the domains, because it holds their service objects and the
conversation, and every adapter (the layer above) needs to read it. It names no channel: each
channel's client (Telegram, WeChat, WeCom) is handed by the wiring to that channel's adapter.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, fields
from typing import Any

import httpx
from aiohttp import web
from prometheus_client import CollectorRegistry

from core.clock import Clock
from core.consents import NoticeConsents
from core.db import Database
from core.media import Media
from core.outbox import Dispatcher
from core.pii import PiiCipher
from core.settings import Settings
from core.store import Store
from locations import StationFinder
from membership import Credentials, Directory, Enrollments
from referrals import ClosedReports, Referrals

from ._conversation import Conversation


@dataclass(eq=False)
class Services:
    settings: Settings
    db: Database
    store: Store
    clock: Clock
    registry: CollectorRegistry
    cipher: PiiCipher
    outbox: Dispatcher
    finder: StationFinder
    directory: Directory
    enrollments: Enrollments
    credentials: Credentials
    referrals: Referrals
    closed_reports: ClosedReports
    # One connection pool for every outside service's client (each takes it in its constructor).
    http: httpx.AsyncClient
    # Photos workers upload (the media store; bytes in the object store MEDIA_URL names).
    media: Media
    # Consents to one-time notices (the mini-program's subscribe messages), kept as rows.
    consents: NoticeConsents
    # Set by the wiring right after construction: the conversation needs the services itself.
    conversation: Conversation = field(init=False)
    _started: bool = field(default=False, init=False, repr=False)

    def injectable(self) -> dict[str, Any]:
        """What handlers may name as parameters: every field but the private ones."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    async def start(self, *, upgrade: bool = True, finder: bool = True) -> None:
        """Upgrade the schema and load the stations (the finder then follows changes)."""
        if upgrade:
            await self.db.upgrade()
        if finder:
            await self.finder.start()
        self._started = True

    async def close(self) -> None:
        """Stop everything this process runs, then close its connections (safe to call twice)."""
        await self.outbox.stop()
        await self.finder.stop()
        with contextlib.suppress(RuntimeError):  # already closed
            await self.http.aclose()
        await self.store.close()
        await self.db.close()


SERVICES_KEY = web.AppKey("services", Services)
"""Where an aiohttp application keeps its `Services` (`request.app[SERVICES_KEY]`)."""
