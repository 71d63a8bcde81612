"""Cursor paging for every list of `/api/v1`: `?limit=…&cursor=…`, answered with `next_cursor`
(null on the last page). A cursor is opaque to the client (base64url JSON of where the page
ended), so the server may change what it holds without breaking anyone."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import BaseModel, Field

from core.http import Problem

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"


class PageQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=50, description="每页条数（1–50）")
    cursor: str | None = Field(
        default=None,
        pattern=CURSOR_PATTERN,
        description="上一页答复里的 next_cursor；不填为第一页",
    )


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, kind: str) -> dict[str, Any]:
    """The position a cursor of `kind` holds ({} for the first page). A cursor that is not one
    of ours (another list's, a made-up one) points at no page: 404, saying to start again."""
    if not cursor:
        return {}
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError):
        position = None
    if not isinstance(position, dict) or position.get("k") != kind:
        raise Problem(
            404,
            "没有这一页",
            "cursor 不对：请用上一页答复里的 next_cursor，或不填从第一页开始。",
        )
    return position
