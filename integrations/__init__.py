"""Clients of outside services: the Telegram Bot API, the WeChat server API, WeCom group robots
and geocoders. This layer sits below the adapters (`bot/`, `miniprogram_api/`) and the domains
(`locations` asks the geocoders) and above `core`; it imports only `core` and third-party
libraries.

Every client takes an injected `httpx.AsyncClient` (a test passes one over
`httpx.MockTransport`; the process shares one) and a `base_url` (a `*_API_BASE` setting, so a
test can point it at a loopback fake); none builds, owns or closes an httpx client. Each module
has one exception tree, drawn in its docstring; httpx and vendor errors are translated at the
boundary, and no secret (bot token, appsecret, robot key, map key) appears in an exception's
text or in httpx's own request log lines (its loggers redact, from this package's import on). Turning these errors into the outbox's `RetryLater` / `GiveUp` is the adapters' job.

- `telegram`: `TelegramClient(http, token, base_url=…)`, its `RateLimiter`;
  `TelegramError` → `TelegramRetry` | `TelegramRejected` → `TelegramFileTooLarge`.
- `wechat`: `WeChatApi(base_url, http, store, appid=…, secret=…)` with its shared
  `AccessTokens`; `WeChatError` → `WeChatNotConfigured` | `WeChatUnavailable` | `WeChatApiError`
  (→ `InvalidCredential` | `InvalidCode` | `OutOfWindow`).
- `wecom`: `WeComRobot(http, base_url=…, freq_wait=…).send_text(key, content)`;
  `WeComError` → `WeComRetry` | `WeComRejected`.
- `geocoding`: `BaiduGeocoder(http, key, base_url=…)`, `NominatimGeocoder(http, base_url=…)`,
  `AmapGeocoder(http, key, base_url=…)`, `TencentGeocoder(http, key, base_url=…)`;
  `GeocodingError` → `GeocoderUnavailable` (→ `GeocoderTimedOut`) | `GeocoderKeyRejected` |
  `GeocoderQuotaExceeded` | `GeocoderFailed`.
- `objectstore`: the media store's bytes (`core.media.BlobStore`): `LocalObjectStore(root)`,
  `S3ObjectStore(bucket, prefix, endpoint_url=…, …)` (boto3, in a worker thread),
  `object_store_from_url(MEDIA_URL, …)`; errors are `core.media.BlobStoreError` / `BlobMissing`.
"""

from core.logging import redact_client_logs

from .geocoding import (
    AMAP_API_BASE,
    BAIDU_API_BASE,
    NOMINATIM_API_BASE,
    TENCENT_MAP_API_BASE,
    AmapGeocoder,
    BaiduGeocoder,
    GeocodeHit,
    GeocoderFailed,
    GeocoderKeyRejected,
    GeocoderQuotaExceeded,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeocodingError,
    NominatimGeocoder,
    TencentGeocoder,
)
from .objectstore import LocalObjectStore, S3ObjectStore, object_store_from_url
from .telegram import (
    RateLimiter,
    TelegramClient,
    TelegramError,
    TelegramFileTooLarge,
    TelegramRejected,
    TelegramRetry,
)
from .wechat import (
    AccessTokens,
    ContentCheck,
    InvalidCode,
    InvalidCredential,
    MiniSession,
    OutOfWindow,
    Verdict,
    WeChatApi,
    WeChatApiError,
    WeChatError,
    WeChatNotConfigured,
    WeChatUnavailable,
)
from .wecom import WeComError, WeComRejected, WeComRetry, WeComRobot

__all__ = [
    "AMAP_API_BASE",
    "BAIDU_API_BASE",
    "NOMINATIM_API_BASE",
    "TENCENT_MAP_API_BASE",
    "AccessTokens",
    "AmapGeocoder",
    "BaiduGeocoder",
    "ContentCheck",
    "GeocodeHit",
    "GeocoderFailed",
    "GeocoderKeyRejected",
    "GeocoderQuotaExceeded",
    "GeocoderTimedOut",
    "GeocoderUnavailable",
    "GeocodingError",
    "InvalidCode",
    "InvalidCredential",
    "LocalObjectStore",
    "MiniSession",
    "NominatimGeocoder",
    "OutOfWindow",
    "RateLimiter",
    "S3ObjectStore",
    "TelegramClient",
    "TelegramError",
    "TelegramFileTooLarge",
    "TelegramRejected",
    "TelegramRetry",
    "TencentGeocoder",
    "Verdict",
    "WeChatApi",
    "WeChatApiError",
    "WeChatError",
    "WeChatNotConfigured",
    "WeChatUnavailable",
    "WeComError",
    "WeComRejected",
    "WeComRetry",
    "WeComRobot",
    "object_store_from_url",
]

redact_client_logs()
