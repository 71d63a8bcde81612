"""WeCom (企业微信) group robot: `POST {base}/cgi-bin/webhook/send?key=KEY`, JSON text message.

A robot takes about 20 messages a minute; beyond that it answers errcode 45009 and we wait a
minute. An unknown or deleted robot (93000) will never work: the outbox marks the row dead.
Exceptions leave as `core.outbox.RetryLater` / `GiveUp`; httpx errors never leave this module.
"""

from __future__ import annotations

from typing import Any

import httpx

from core.outbox import GiveUp, OutboxMessage, RetryLater

FREQ_LIMIT = 45009
INVALID_KEYS = frozenset({93000, 93004, 40058})  # invalid webhook url, robot removed, bad key
MAX_BYTES = 2048  # the robot's limit on text content


def _body(payload: dict[str, Any]) -> dict[str, Any]:
    if "msgtype" in payload:  # already in the robot's format
        return payload
    text = str(payload.get("text", ""))
    if payload.get("footer"):
        text = f"{text}\n{payload['footer']}"
    data = text.encode()
    if len(data) > MAX_BYTES:
        text = data[: MAX_BYTES - 3].decode(errors="ignore") + "…"
    return {"msgtype": "text", "text": {"content": text}}


class WeComRobot:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str = "https://qyapi.weixin.qq.com",
        freq_wait: float = 60.0,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._freq_wait = freq_wait  # the robot's limit is per minute

    async def send(self, key: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(
                f"{self._base}/cgi-bin/webhook/send",
                params={"key": key},
                json=_body(payload),
                timeout=10.0,
            )
        except httpx.HTTPError as exc:  # the key is in the URL: do not log the request
            raise RetryLater(f"wecom: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryLater(f"wecom: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise RetryLater(f"wecom: HTTP {response.status_code}, not JSON") from None
        code = int(body.get("errcode", -1))
        if code == 0:
            return {"errcode": 0}
        if code == FREQ_LIMIT:
            raise RetryLater("wecom: 45009 api freq out of limit", retry_after=self._freq_wait)
        if code in INVALID_KEYS:
            raise GiveUp(f"wecom: {code} {body.get('errmsg', '')}")
        if code == -1:
            raise RetryLater("wecom: -1 system busy")
        raise GiveUp(f"wecom: {code} {body.get('errmsg', '')}")

    async def __call__(self, message: OutboxMessage) -> dict[str, Any]:
        return await self.send(message.recipient, message.payload)
