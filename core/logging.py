"""Logging set-up. Phone and ID numbers are masked in every log line, whoever wrote it, and
secrets are cut out of every line, traceback included: outside-service clients (httpx logs each
request's URL at INFO) carry them in query strings (`secret=`, `js_code=`, `access_token=`,
the WeCom robot's `key=`) and in the Telegram Bot API path (`/bot<token>/`).

Two formats (`LOG_FORMAT`): `text`, one readable line per record, and `json`, one JSON object
per line (`time`, `level`, `logger`, `message`, `request_id`, `exc_info`, and any `extra=`
fields) for a log collector. `request_id` is the HTTP request the line was written for (set by
`core.http.request_id_middleware`, echoed as `X-Request-ID`), null outside a request. Masking
and redaction apply to the finished line in both formats.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import IO

from pythonjsonlogger.json import JsonFormatter

# The HTTP request a log line is written for; set by `core.http.request_id_middleware`.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

# 18-digit resident ID (last may be X) and mainland mobile numbers, not inside longer digit runs.
_ID_NUMBER = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{3}[\dXx])(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_pii(text: str) -> str:
    """`13812345678` → `138****5678`; `150102199001011234` → `1501**********1234`."""
    text = _ID_NUMBER.sub(lambda m: f"{m[1]}{'*' * 10}{m[2]}", text)
    return _MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)


# Query parameters whose value is a credential. Matched only right after ? or &, so `EventKey=`
# or `station_code=` elsewhere in a line stay readable.
_SECRET_PARAMS = "secret|appsecret|js_code|code|access_token|refresh_token|key|token|password"
_QUERY_SECRET = re.compile(rf"(?i)([?&](?:{_SECRET_PARAMS})=)[^&\s'\"<>#]*")
# A Bot API token in a URL path: /bot123456789:AAH…/sendMessage
_BOT_TOKEN = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
REDACTED = "<redacted>"


def redact_secrets(text: str) -> str:
    """`…/token?appid=wx1&secret=abc` → `…/token?appid=wx1&secret=<redacted>`;
    `/bot123:AAH…/getMe` → `/bot<redacted>/getMe`."""
    text = _QUERY_SECRET.sub(rf"\1{REDACTED}", text)
    return _BOT_TOKEN.sub(f"/bot{REDACTED}", text)


class RedactingFormatter(logging.Formatter):
    """Redacts the finished line, so secrets in arguments, exception messages and tracebacks
    (an httpx error names the URL it failed on) are all caught."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_secrets(super().format(record))


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line; PII is masked and secrets redacted in the whole line, so
    `extra=` fields and tracebacks (`exc_info`, one string) are covered too."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(redact_secrets(super().format(record)))


class RequestIdFilter(logging.Filter):
    """Stamps each record with the request id of the HTTP request it was written in."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class SecretRedactingFilter(logging.Filter):
    """Redacts a record where it is made, for the loggers of the HTTP client library (which
    writes each request's URL): every handler then sees it redacted, not only ours — a log
    collector's, an embedding process's, pytest's."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# The loggers of the outbound HTTP client library: they name every URL they fetch.
CLIENT_LOGGERS = ("httpx", "httpcore")


def redact_client_logs() -> None:
    """Put `SecretRedactingFilter` on the client library's loggers (once; idempotent)."""
    for name in CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretRedactingFilter) for f in logger.filters):
            logger.addFilter(SecretRedactingFilter())


class PiiMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def _json_formatter() -> JsonFormatter:
    return RedactingJsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,  # Chinese stays readable
    )


def configure_logging(
    level: str = "INFO", *, stream: IO[str] | None = None, fmt: str = "text"
) -> None:
    """Log to `stream` (stderr) at `level`, as `fmt` (text | json), masked and redacted."""
    handler = logging.StreamHandler(stream)
    if fmt == "json":
        handler.setFormatter(_json_formatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(PiiMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    redact_client_logs()
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG: outbox payloads (a worker's
    # legal-aid story on its way to a staff chat) would reach the log with LOG_LEVEL=DEBUG.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
