"""HTTP plumbing shared by every surface: problem+json errors (RFC 9457), the error middleware,
metrics middleware, and JSON helpers.

Errors raised by handlers: `Problem` (an answer the client should see); anything else becomes a
500 problem with a generic Chinese message, logged with its traceback.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry, Counter, Histogram

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
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return Problem(
            500, "服务器开小差了", "请稍后再试；急事请拨打工会服务热线 12351。"
        ).response()


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
