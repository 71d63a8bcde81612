"""`integrations.WeComRobot` over `httpx.MockTransport`: the body it posts, 45009 with the
robot's wait, 5xx, a removed robot, and the robot key never in an error's text."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from integrations import WeComRejected, WeComRetry, WeComRobot
from integrations.wecom import MAX_BYTES

KEY = "robot-key-0123456789-secret"


def robot(handler: Callable[[httpx.Request], httpx.Response]) -> WeComRobot:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WeComRobot(http, base_url="https://wecom.test/", freq_wait=7.0)


async def test_a_text_goes_to_the_robots_webhook() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    assert await robot(handler).send_text(KEY, "新求助\n请处理") == {"errcode": 0}
    [request] = seen
    assert request.url.path == "/cgi-bin/webhook/send" and request.url.params["key"] == KEY
    assert json.loads(request.content) == {"msgtype": "text", "text": {"content": "新求助\n请处理"}}


async def test_a_long_text_is_cut_to_the_robots_limit() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, json={"errcode": 0})

    await robot(handler).send_text(KEY, "长" * 2000)
    content = json.loads(seen[0])["text"]["content"]
    assert len(content.encode()) <= MAX_BYTES and content.endswith("…")


@pytest.mark.parametrize(
    ("answer", "retry_after"),
    [
        (httpx.Response(200, json={"errcode": 45009, "errmsg": "api freq out of limit"}), 7.0),
        (httpx.Response(200, json={"errcode": -1, "errmsg": "system busy"}), None),
        (httpx.Response(503, text="busy"), None),
        (httpx.Response(200, text="<html>not json</html>"), None),
    ],
)
async def test_worth_trying_later(answer: httpx.Response, retry_after: float | None) -> None:
    with pytest.raises(WeComRetry) as caught:
        await robot(lambda _: answer).send_text(KEY, "x")
    assert caught.value.retry_after == retry_after
    assert KEY not in str(caught.value)


async def test_network_errors_are_retry_without_the_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout(f"timed out for {request.url}", request=request)

    with pytest.raises(WeComRetry) as caught:
        await robot(handler).send_text(KEY, "x")
    assert KEY not in str(caught.value) and caught.value.__cause__ is None


async def test_a_removed_robot_is_rejected_for_good() -> None:
    body = {"errcode": 93000, "errmsg": f"invalid webhook url, hint: key={KEY}"}
    with pytest.raises(WeComRejected) as caught:
        await robot(lambda _: httpx.Response(200, json=body)).send_text(KEY, "x")
    assert caught.value.errcode == 93000 and "93000" in str(caught.value)
    assert KEY not in str(caught.value)
