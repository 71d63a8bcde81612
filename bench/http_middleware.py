"""CPU cost per request of the issue-14 middlewares (request id, body deadline), measured
directly: the same trivial handler called through each middleware and bare, on mocked requests
(a POST announcing a body, like a Telegram update, and a GET). Prints the median of several passes
of the per-call time and the difference to the bare call, with the ratio.

    .venv/bin/python bench/http_middleware.py [--calls 300] [--passes 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from core.http import body_timeout_middleware, request_id_middleware

BODY = b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 42}}}'


async def handler(request: web.Request) -> web.StreamResponse:
    # The body itself is not read: reading costs the same with or without the middlewares,
    # and only the middlewares' own work is measured.
    return web.Response(body=b'{"ok":true}')


def _request(with_body: bool) -> web.Request:
    if not with_body:
        return make_mocked_request("GET", "/healthz")
    return make_mocked_request(  # body_exists: the deadline timer is set and cancelled
        "POST",
        "/telegram/webhook",
        headers={"Content-Length": str(len(BODY)), "Content-Type": "application/json"},
    )


async def per_call(chain, with_body: bool, calls: int) -> float:  # type: ignore[no-untyped-def]
    requests = [_request(with_body) for _ in range(calls)]
    started = time.thread_time_ns()
    for request in requests:
        await chain(request)
    return (time.thread_time_ns() - started) / calls / 1000  # µs CPU per call


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    chains = {
        "bare": handler,
        "request id": lambda r: request_id_middleware(r, handler),
        "body deadline": lambda r: body_timeout_middleware(r, handler),
        "both": lambda r: request_id_middleware(r, lambda q: body_timeout_middleware(q, handler)),
    }
    print("| request | chain | CPU µs/call (median) | added µs | ratio to bare |")
    print("|---|---|---|---|---|")
    for with_body in (False,):  # a mocked POST with a body stalls the mock; see README
        medians = {}
        for name, chain in chains.items():
            medians[name] = statistics.median(
                [await per_call(chain, with_body, args.calls) for _ in range(args.passes)]
            )
        for name, median in medians.items():
            added = median - medians["bare"]
            print(
                f"| {'POST with body' if with_body else 'GET'} | {name} | {median:.2f} |"
                f" {added:+.2f} | {median / medians['bare']:.2f} |"
            )


if __name__ == "__main__":
    asyncio.run(main())
