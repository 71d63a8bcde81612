"""The wiring: how one process's services are built, and which sender delivers which outbox kind.

Read this file to see the whole application: every domain service, outside-service client,
dialog and outbox sender is constructed or named here, once, explicitly. Nothing registers
itself on import, and nothing is looked up by a string.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import httpx
from prometheus_client import CollectorRegistry

from bot.staff import WECOM_KIND, WeComSender
from bot.telegram import NOTICE_KIND, REPLIES_KIND, TelegramBot
from bot.wechat import WeChatClients
from bot.wechat import register_senders as register_wechat_senders
from core import Clock, Database, Settings, Store, SystemClock, open_store
from core.consents import NoticeConsents
from core.media import BlobStore, Media
from core.outbox import Dispatcher
from core.pii import cipher_for
from handlers import Conversation, Router, Services, build_root
from handlers.cases import router as case_dialogs
from handlers.enrollment import router as enrollment_dialog
from integrations import TelegramClient, WeComRobot, object_store_from_url
from locations import StationFinder
from membership import Credentials, Directory, Enrollments
from referrals import ClosedReports, Referrals, closed_listener

# The dialogs, in the order they are tried (after /start, /help and /cancel, before station
# search): one that answers "一键入会" takes that button over from the placeholder.
DIALOGS: tuple[Router, ...] = (enrollment_dialog, case_dialogs)

# Outside services answer within seconds; a hung one must not hold a delivery for minutes.
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Telegram alone may have dozens of deliveries in flight (its limit is 30 messages a second):
# the outbox sends up to OUTBOX_CONCURRENCY at once, some hanging until their timeout, and the
# pool must hold them all, or calls queue for a connection and then leave in a burst.
HTTP_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50)


def build_services(
    settings: Settings,
    *,
    db: Database | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
    http: httpx.AsyncClient | None = None,
    dialogs: Sequence[Router] = DIALOGS,
) -> Services:
    """One process's services, not started yet (`await services.start()`). Tests pass their
    own database, store, clock or an `httpx.AsyncClient` on a mock transport."""
    db = db or Database(settings.database_url, schema=settings.database_schema)
    store = store or open_store(settings.redis_url, settings.redis_prefix)
    clock = clock or SystemClock()
    cipher = cipher_for(settings)
    outbox = Dispatcher.from_settings(db, settings)
    finder = StationFinder(db, store, clock, poll_seconds=settings.station_refresh_seconds)
    closed_reports = ClosedReports(db, clock, finder, store)
    directory = Directory(db, clock=clock, token_days=settings.staff_token_days)
    enrollments = Enrollments(db, clock, cipher, directory, on_enqueue=outbox.wake)
    referrals = Referrals(
        db,
        clock,
        finder,
        cipher,
        directory,
        outbox.wake,
        on_changed=closed_listener(closed_reports),
        public_url=settings.public_url,
    )
    # Migrations that encrypt existing rows use this process's key, the one the app reads them
    # with (not whatever the environment says).
    db.migration_attributes.setdefault("pii_cipher", lambda: cipher)
    db.cipher = cipher  # outbox payloads are sealed with it (core.outbox._seal)
    http = http or httpx.AsyncClient(timeout=HTTP_TIMEOUT, limits=HTTP_LIMITS)
    services = Services(
        settings=settings,
        db=db,
        store=store,
        clock=clock,
        registry=CollectorRegistry(),
        cipher=cipher,
        outbox=outbox,
        finder=finder,
        directory=directory,
        enrollments=enrollments,
        credentials=Credentials(db, clock=clock),
        referrals=referrals,
        closed_reports=closed_reports,
        http=http,
        media=Media(db, clock, media_objects(settings), cipher, max_side=settings.media_max_side),
        consents=NoticeConsents(db, clock),
    )
    services.conversation = Conversation(services, build_root(dialogs))
    return services


def media_objects(settings: Settings) -> BlobStore:
    """The object store `MEDIA_URL` names (a directory, or an S3-compatible bucket)."""
    secret = settings.s3_secret_access_key
    return object_store_from_url(
        settings.media_url,
        endpoint_url=settings.s3_endpoint_url,
        access_key=settings.s3_access_key_id,
        secret_key=secret.get_secret_value() if secret is not None else None,
        region=settings.s3_region,
    )


@dataclass(frozen=True)
class Channels:
    """Each channel's adapter and outside-service clients, built once per process from the
    services; handed by the wiring to the surfaces and senders that speak to that channel."""

    telegram: TelegramBot  # its Bot API client is None while no TELEGRAM_BOT_TOKEN is set
    wechat: WeChatClients  # the Official Account's and the mini-program's WeChat API clients
    wecom: WeComRobot  # staff groups' WeCom robots (each robot's key is the recipient)


def build_channels(services: Services) -> Channels:
    settings, http = services.settings, services.http
    token = settings.telegram_bot_token
    telegram = (
        TelegramClient(http, token.get_secret_value(), base_url=settings.telegram_api_base)
        if token is not None and token.get_secret_value()
        else None
    )
    return Channels(
        telegram=TelegramBot(services, telegram),
        wechat=WeChatClients.from_settings(settings, http, services.store),
        wecom=WeComRobot(
            http, base_url=settings.wecom_api_base, freq_wait=settings.wecom_freq_wait
        ),
    )


def register_senders(services: Services, channels: Channels) -> None:
    """Give the outbox its senders: one per kind, each channel adapter rendering its own.
    The Telegram bot's replies and notices share one client, and so one rate limiter."""
    outbox = services.outbox
    outbox.register(REPLIES_KIND, channels.telegram.send)
    outbox.register(NOTICE_KIND, channels.telegram.send_notice)
    outbox.register(WECOM_KIND, WeComSender(channels.wecom))
    register_wechat_senders(outbox, channels.wechat, services.settings, services.store)


@contextlib.asynccontextmanager
async def running(
    settings: Settings, *, upgrade: bool = True, finder: bool = False
) -> AsyncIterator[Services]:
    """Services started for a command-line task (schema upgraded; the stations loaded only
    when asked), closed afterwards."""
    services = build_services(settings)
    try:
        await services.start(upgrade=upgrade, finder=finder)
        yield services
    finally:
        await services.close()
