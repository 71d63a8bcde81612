"""`/admin/v1/enrollments…`: staff review of enrollments (filled in with the enrollment domain)."""

from __future__ import annotations

from aiohttp import web

from core.http import json_response

from ._auth import require_staff


async def whoami(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    return json_response({"id": staff.id, "name": staff.name, "union_ids": sorted(staff.union_ids)})


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/v1/me", whoami)
