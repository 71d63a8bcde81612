"""WeCom (企业微信) group robot: `POST {base_url}/cgi-bin/webhook/send?key=KEY`, a JSON text message.

`WeComRobot(http, base_url=…, freq_wait=…)` takes the process's shared `httpx.AsyncClient` (a test
passes one over `httpx.MockTransport`); it never builds or closes one itself. One client serves
every robot: the robot's key is the address, given to each `send_text(key, content)`.

A robot takes about 20 messages a minute; beyond that it answers errcode 45009 and must be left
alone for `freq_wait` seconds. An unknown or deleted robot (93000 and friends) will never work.

Exceptions (httpx errors are translated here and never leave this module; the robot's key is the
secret in the URL, so no message carries the URL or an httpx error's text):

    WeComError
    ├── WeComRetry     worth trying later: 45009 (`retry_after`), -1 busy, 5xx, 429, network
    └── WeComRejected  refused for good: invalid or removed robot key (93000, 93004, 40058), any
                       other errcode
"""

from __future__ import annotations

import httpx

FREQ_LIMIT = 45009
BUSY = -1
MAX_BYTES = 2048  # the robot's limit on text content, in UTF-8 bytes


class WeComError(Exception):
    """A robot message did not go out."""


class WeComRetry(WeComError):
    """Worth trying again later; `retry_after` seconds when the robot said how long."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class WeComRejected(WeComError):
    """WeCom refused the message for good; `errcode` is its answer."""

    def __init__(self, reason: str, *, errcode: int) -> None:
        super().__init__(reason)
        self.errcode = errcode


def clip(content: str) -> str:
    """`content` cut to what a robot accepts (longer is refused outright), marked with "…"."""
    data = content.encode()
    if len(data) <= MAX_BYTES:
        return content
    return data[: MAX_BYTES - 3].decode(errors="ignore") + "…"


class WeComRobot:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str = "https://qyapi.weixin.qq.com",
        freq_wait: float = 60.0,
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._freq_wait = freq_wait  # the robot's limit is per minute
        self._timeout = timeout

    async def send_text(self, key: str, content: str) -> dict[str, int]:
        """Post a text message through the robot `key`; `{"errcode": 0}` when it was taken."""
        body = {"msgtype": "text", "text": {"content": clip(content)}}
        try:
            response = await self._http.post(
                f"{self._base}/cgi-bin/webhook/send",
                params={"key": key},
                json=body,
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise WeComRetry(f"wecom: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise WeComRetry(f"wecom: HTTP {response.status_code}")
        try:
            answer = response.json()
            code = int(answer.get("errcode", BUSY))
        except (ValueError, AttributeError, TypeError):
            raise WeComRetry(f"wecom: HTTP {response.status_code}, not a robot answer") from None
        if code == 0:
            return {"errcode": 0}
        errmsg = str(answer.get("errmsg", ""))
        if key:
            errmsg = errmsg.replace(key, "***")  # some answers quote the URL back
        if code == FREQ_LIMIT:
            raise WeComRetry(f"wecom: {code} api freq out of limit", retry_after=self._freq_wait)
        if code == BUSY:
            raise WeComRetry("wecom: -1 system busy")
        raise WeComRejected(f"wecom: {code} {errmsg}".rstrip(), errcode=code)


__all__ = ["MAX_BYTES", "WeComError", "WeComRejected", "WeComRetry", "WeComRobot", "clip"]
