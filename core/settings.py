"""Settings from the environment and `.env` (see `.env.example` for every one of them)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
    outbox_concurrency: int = 48  # sends on the wire at once per process (one per chat)
    # A send still running after this many seconds is cut and retried later (its lease is
    # renewed while it runs, so it may outlast OUTBOX_LEASE_SECONDS).
    outbox_send_timeout: float = 300.0
    # Days a dead message keeps its (sealed) contents for staff to inspect; then only the row,
    # its dedupe key and the last error stay.
    outbox_dead_retention_days: float = 30.0

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
    # Amap (高德) and Tencent (腾讯) geocoders: GEOCODER=amap | tencent with their own keys.
    amap_key: SecretStr | None = None
    amap_api_base: str = "https://restapi.amap.com"
    tencent_map_key: SecretStr | None = None
    tencent_map_api_base: str = "https://apis.map.qq.com"
    # Requests per second to the geocoder; unset: the provider's default quota (amap 3,
    # tencent 5, baidu 3, public nominatim 1).
    geocoder_qps: float | None = None

    # Operations (issue 14): log format, /metrics access, guessing limits, slow clients.
    log_format: str = "text"  # text | json (one JSON object per line, with request ids)
    # Bearer token Prometheus must send to /metrics; unset: only direct local scrapes (a
    # loopback peer with no proxy headers) get an answer, anyone else 404.
    metrics_token: SecretStr | None = None
    # Wrong admin tokens / webhook secrets / metrics tokens allowed per client address in a
    # window before further attempts get 429 (0: no limit).
    auth_fail_limit: int = 20
    auth_fail_window_seconds: float = 600.0
    # Seconds a connection may sit idle, or take to send a request's headers, before it is
    # closed (slow-header clients); bodies have 30 s to arrive (core.http.BODY_TIMEOUT).
    http_idle_timeout: float = 75.0

    @field_validator("port")
    @classmethod
    def _port_range(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError("端口应在 1 到 65535 之间")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"应为 {' | '.join(LOG_LEVELS)} 之一")
        return value.upper()

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError("应为 text 或 json")
        return value.lower()

    # Photos workers upload (media store): where they are kept — file:///absolute/dir,
    # file:./relative-dir or s3://bucket/prefix (any S3-compatible store; S3_ENDPOINT_URL for
    # one that is not AWS) — the largest upload accepted, and the longer side kept.
    media_url: str = "file:./media"
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_region: str | None = None
    media_max_bytes: int = 10 * 1024 * 1024
    media_max_side: int = 1600
    # WeChat's media security check (mediaCheckAsync v2) on mini-program uploads: needs the
    # mini-program's appid/secret and PUBLIC_URL (WeChat downloads the photo from there).
    media_security_check: bool = True
    # Token of the mini-program's message push (消息推送, plain-text JSON mode), where WeChat
    # sends the check's verdict (POST /api/v1/wechat/push); unset: that route answers 404.
    miniprogram_push_token: SecretStr | None = None
    # Mini-program API: the farthest a nearby station may be when the client names no
    # max_distance_m (beyond it the answer is the nearest ones that open soonest).
    nearby_max_distance_m: float = 10_000.0

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        from .proxies import trusted_networks  # aiohttp only when settings are checked

        trusted_networks(value)  # a bad entry is refused at start-up, with its name
        return value

    @field_validator("geocoder")
    @classmethod
    def _geocoder_known(cls, value: str) -> str:
        kind = value.strip().lower()
        if kind not in ("", "none", "amap", "tencent", "baidu", "nominatim"):
            raise ValueError(
                f"GEOCODER“{value}”不认识，可选 amap、tencent、baidu、nominatim 或 none"
            )
        return kind or "none"

    @model_validator(mode="after")
    def _geocoder_key_given(self) -> Settings:
        """A geocoder that needs a key has one (GEOCODER_KEY serves any of them)."""
        keys = {
            "amap": ("AMAP_KEY", self.amap_key or self.geocoder_key),
            "tencent": ("TENCENT_MAP_KEY", self.tencent_map_key or self.geocoder_key),
            "baidu": ("GEOCODER_KEY", self.geocoder_key),
        }
        if self.geocoder in keys and not keys[self.geocoder][1]:
            name = keys[self.geocoder][0]
            raise ValueError(f"GEOCODER={self.geocoder} 需要密钥 {name}，目前没有配置")
        if self.geocoder_qps is not None and not self.geocoder_qps > 0:
            raise ValueError("GEOCODER_QPS 应是大于 0 的数（每秒请求数）")
        return self

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


_REASONS = {  # pydantic's error types in the words an operator reads
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "missing": "必须设置",
}


def setting_problems(exc: ValidationError) -> list[str]:
    """One line per bad setting, naming it as the environment spells it: `PORT="abc": …`.
    A secret's value is never shown."""
    lines = []
    for error in exc.errors(include_url=False):
        reason = _REASONS.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:  # a rule across settings: its message names them, never the values
            lines.append(f"设置有误：{reason}")
            continue
        name = str(error["loc"][0]).upper()
        field = Settings.model_fields.get(name.lower())
        secret = field is not None and "SecretStr" in str(field.annotation)
        given = "" if secret or "input" not in error else f"={str(error['input'])[:60]!r}"
        lines.append(f"设置有误：{name}{given}：{reason}")
    return lines
