"""HTTP plumbing shared by every surface: problem+json errors (RFC 9457), the error middleware,
metrics middleware, and JSON helpers.

Errors raised by handlers: `Problem` (an answer the client should see); anything else becomes a
500 problem with a generic Chinese message, logged with its traceback. A client that goes away
mid-request is logged at INFO, without a traceback: nothing went wrong on our side.

Every JSON request body is read with `read_json`: size (the app's `client_max_size`, or a
smaller `max_bytes`), time to arrive, and nesting depth are limited, and what breaks a limit is
a 4xx problem, never a `RecursionError` or a handler waiting forever on a trickling client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram

from .logging import REQUEST_ID

log = logging.getLogger(__name__)
PROBLEM_TYPE = "application/problem+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Problem(Exception):
    """An HTTP error with a Chinese title and detail a worker or staff member can act on."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> web.Response:
        body: dict[str, Any] = {"type": "about:blank", "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        return web.Response(
            status=self.status,
            text=json.dumps(body, ensure_ascii=False),
            content_type=PROBLEM_TYPE,
            headers=self.headers,
        )


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
    )


_STANDARD_TITLES = {
    400: "请求有误",
    401: "未通过身份验证",
    403: "没有权限",
    404: "没有找到",
    405: "不支持这种请求方式",
    408: "请求超时",
    413: "内容太大了",
    415: "内容格式不支持",
    429: "请求太频繁，请稍后再试",
}


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        title = _STANDARD_TITLES.get(exc.status, exc.reason)
        return Problem(
            exc.status,
            title,
            headers={k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")},
        ).response()
    except ConnectionResetError:
        if not _client_gone(request):
            log.exception("unhandled error on %s %s", request.method, request.path)
            return _server_error()
        # The client hung up mid-body (a phone that lost its signal): nobody will read an
        # answer, and nothing failed here. aiohttp drops the response without complaint.
        log.info("client went away during %s %s", request.method, request.path)
        return Problem(400, "请求没有发完", "连接中途断开了，请重新提交。").response()
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _server_error()


def _client_gone(request: web.Request) -> bool:
    # A connection reset from the database or an outside service is our failure, not the
    # client's: only the request's own closed connection counts as "went away".
    transport = request.transport
    return transport is None or transport.is_closing()


def _server_error() -> web.Response:
    return Problem(500, "服务器开小差了", "请稍后再试；急事请拨打工会服务热线 12351。").response()


# A JSON body nests no deeper than this: every form the APIs take is 3 levels or fewer, and a
# parser or validator walking 100,000 levels would overflow the stack.
MAX_JSON_DEPTH = 32
# Seconds a body may take to arrive: a client trickling bytes holds a connection and a handler.
BODY_TIMEOUT = 30.0


async def read_json(
    request: web.Request,
    *,
    max_bytes: int | None = None,
    max_depth: int = MAX_JSON_DEPTH,
    timeout: float | None = None,
) -> Any:
    """The request body parsed as JSON; None when there is no body.

    400 when it is not JSON or nests deeper than `max_depth`, 413 when it is bigger than
    `max_bytes` (or the app's `client_max_size`), 408 when it takes over `timeout` seconds
    (default `BODY_TIMEOUT`)."""
    if max_bytes is not None and (request.content_length or 0) > max_bytes:
        raise Problem(413, "内容太大了", f"请求内容不能超过 {max_bytes} 字节。")
    try:
        async with asyncio.timeout(BODY_TIMEOUT if timeout is None else timeout):
            raw = await request.read()
    except TimeoutError:
        raise Problem(408, "请求超时", "内容传得太慢，请检查网络后重新提交。") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise Problem(413, "内容太大了", f"请求内容不能超过 {max_bytes} 字节。")
    return parse_json(raw, max_depth=max_depth)


def parse_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`raw` parsed as JSON (None when empty), or a 400 problem. orjson, not `json`: it stops
    at 1,024 levels with an error where `json` raises RecursionError; the depth check then
    holds the answer to `max_depth`."""
    if not raw.strip():
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Problem(400, "请求有误", "请求内容不是有效的 JSON。") from None
    if _deeper_than(data, max_depth):
        raise Problem(400, "请求有误", f"请求内容的 JSON 嵌套太深（最多 {max_depth} 层）。")
    return data


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects in `value` nest more than `limit` levels (without recursion)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy in front may hand in (Caddy, nginx `$request_id`); anything else is replaced,
# so a client cannot write odd text into every log line of its request.
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id for every log line written while it runs (`LOG_FORMAT=json`
    puts it in `request_id`), answered back as `X-Request-ID`."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _GOOD_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    token = REQUEST_ID.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        REQUEST_ID.reset(token)
    if not response.prepared:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


@web.middleware
async def body_timeout_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request's body must have arrived within `BODY_TIMEOUT` seconds, whichever way its
    handler reads it (`read`, `json`, `post`): a client still trickling bytes by then has its
    handler cut off with 408, so no handler waits on it forever. The handler reads as usual
    (nothing is read ahead, so `can_read_body` and streaming uploads are unchanged)."""
    if not request.body_exists:
        return await handler(request)
    task = asyncio.current_task()
    assert task is not None
    cut = False

    def deadline() -> None:
        nonlocal cut
        if not request.content.at_eof():  # bytes still missing (or never read: see below)
            cut = True
            task.cancel()

    timer = asyncio.get_running_loop().call_later(BODY_TIMEOUT, deadline)
    try:
        return await handler(request)
    except asyncio.CancelledError:
        if not cut:
            raise
        task.uncancel()
        raise Problem(408, "请求超时", "内容传得太慢，请检查网络后重新提交。") from None
    finally:
        timer.cancel()


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "yizhan_http_requests", "HTTP requests", ["route", "status"], registry=registry
        )
        self.latency = Histogram(
            "yizhan_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}

    def _series(self, route: str, status: int) -> tuple[Any, Any]:
        """The labelled counter and histogram of a route and status, looked up once each
        (`labels()` takes a lock and builds the key on every call)."""
        key = (route, status)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = (
                self.requests.labels(route, str(status)),
                self.latency.labels(route),
            )
        return found

    def middleware(self) -> Middleware:
        @web.middleware
        async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            route = request.match_info.route.resource
            name = route.canonical if route is not None else "unmatched"
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            finally:
                count, latency = self._series(name, status)
                count.inc()
                latency.observe(time.perf_counter() - started)

        return measure
