"""Logging set-up. Phone and ID numbers are masked in every log line, whoever wrote it, and
secrets are cut out of every line, traceback included: outside-service clients (httpx logs each
request's URL at INFO) carry them in query strings (`secret=`, `js_code=`, `access_token=`,
the WeCom robot's `key=`) and in the Telegram Bot API path (`/bot<token>/`)."""

from __future__ import annotations

import logging
import re
from typing import IO

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


class PiiMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str = "INFO", *, stream: IO[str] | None = None) -> None:
    """Log to `stream` (stderr) at `level`, masked and redacted."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PiiMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG: outbox payloads (a worker's
    # legal-aid story on its way to a staff chat) would reach the log with LOG_LEVEL=DEBUG.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
