"""`ETag` and `Cache-Control` for station data: a client that sends `If-None-Match` with the
tag it has gets `304 Not Modified` and no body (a rider on a weak signal re-opening the map)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web

STATION_MAX_AGE = 60  # "open now" changes by the minute
CATALOGUE_MAX_AGE = 3600  # code lists change with a release


def cached_json(request: web.Request, data: Any, *, max_age: int = STATION_MAX_AGE) -> web.Response:
    body = json.dumps(data, ensure_ascii=False).encode()
    # Weak: the same JSON, not necessarily the same bytes on the wire (compression).
    tag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={max_age}"}
    wanted = request.headers.get("If-None-Match", "")
    if tag in (t.strip() for t in wanted.split(",")) or wanted.strip() == "*":
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)
