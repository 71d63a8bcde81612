"""Settings from the environment and `.env` (see `.env.example` for every one of them)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_file_encoding="utf-8")

    # Storage
    database_url: str = "sqlite+aiosqlite:///yizhan.db"
    # PostgreSQL only: keep every table in this schema (several deployments, or test runs,
    # sharing one database); created on upgrade.
    database_schema: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "yz:"

    # HTTP server
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_048_576
    log_level: str = "INFO"
    # How often each process looks for station changes made by another process.
    station_refresh_seconds: float = 0.5

    # Outbox (messages to chats and workers): delivery tuning.
    outbox_lease_seconds: float = 60.0  # well above a sender's HTTP timeout (10 s)
    outbox_base_delay: float = 2.0  # first retry after about this many seconds, then doubling
    outbox_max_delay: float = 900.0
    outbox_max_attempts: int = 25
    outbox_poll_seconds: float = 1.0  # how often to look for rows another process queued
    outbox_concurrency: int = 4  # deliveries in flight at once per process
    # A send still running after this many seconds is cut and retried later (its lease is
    # renewed while it runs, so it may outlast OUTBOX_LEASE_SECONDS).
    outbox_send_timeout: float = 300.0

    # Reverse proxies (CIDRs, comma separated) whose X-Forwarded-For / X-Real-IP say who the
    # client is; empty: the connection's peer is the client, and those headers are ignored.
    trusted_proxies: str = ""

    # Mini-program API request limits per one-minute window (counted in the shared store).
    miniprogram_rate_per_ip: int = 600
    miniprogram_rate_per_user: int = 120

    # Staff web console (/console/): hours a sign-in lasts (sessions live in the shared store).
    console_session_hours: float = 12.0
    # Days a staff member's /admin/v1 bearer token works (`yizhan staff token` makes a new one).
    staff_token_days: float = 90.0
    # Where people reach this server (https://yizhan.example.org): links in staff cards and
    # set-password links; empty: cards say where to go without a link.
    public_url: str = ""
    # Map tiles of the console's station and coverage maps ({z}/{x}/{y}; the default, Amap's
    # street map, is drawn in GCJ-02, so markers are shifted to it; use wgs84 for OSM tiles).
    console_tile_url: str = (
        "https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}"
    )
    console_tile_coord: str = "gcj02"  # gcj02 | wgs84 | bd09: the system the tiles are drawn in

    # Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"

    # WeChat Official Account and mini-program
    wechat_token: SecretStr | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_appid: str | None = None
    wechat_secret: SecretStr | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    miniprogram_appid: str | None = None
    miniprogram_secret: SecretStr | None = None
    # Subscribe messages (订阅消息) to mini-program users: template ids from the admin console
    # (unset: those messages are given up, not sent), and which template field shows which value
    # as `key=field,…` (keys and defaults are listed in bot/wechat/_subscribe.py).
    miniprogram_template_enrollment: str | None = None
    miniprogram_template_enrollment_fields: str = (
        "status=phrase1,member_number=character_string2,union=thing3,reason=thing4"
    )
    miniprogram_template_case: str | None = None
    miniprogram_template_case_fields: str = "number=character_string1,status=phrase2,note=thing3"
    # Which version of the mini-program a tap on the message opens: formal | trial | developer
    miniprogram_state: str = "formal"

    # WeCom (企业微信) group robots for union staff chats.
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    # Seconds to hold a robot after its rate-limit answer (45009); the limit is per minute.
    wecom_freq_wait: float = 60.0

    # Personal data: Fernet keys, comma separated, newest first (rotation).
    pii_key: SecretStr | None = None

    # Geocoding of import rows that have an address but no coordinates.
    geocoder: str = "none"  # none | baidu | nominatim
    geocoder_key: SecretStr | None = None
    geocoder_api_base: str | None = None  # e.g. http://127.0.0.1:9000 for a local fake

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        from .proxies import trusted_networks  # aiohttp only when settings are checked

        trusted_networks(value)  # a bad entry is refused at start-up, with its name
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the URLs people usually write and pick the async driver for them."""
        for plain, driver in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
