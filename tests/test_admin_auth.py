"""`/admin/v1`: bearer tokens of staff; 401 problem+json in Chinese otherwise."""

from __future__ import annotations

from collections.abc import Callable

from handlers import SERVICES_KEY, Services
from tests.conftest import AiohttpClient, AppClient
from tests.unions import load_unions
from yizhan.app import create_app


async def admin_client(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> AppClient:
    return await aiohttp_client(create_app(backend()))


async def test_staff_token_and_refusals(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    client = await admin_client(backend, aiohttp_client)
    ctx = client.app[SERVICES_KEY]
    ids = await load_unions(ctx)
    info, token = await ctx.directory.add_staff("王芳", ["HH-XC"])

    ok = await client.get("/admin/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert ok.status == 200
    assert await ok.json() == {"id": info.id, "name": "王芳", "union_ids": [ids["HH-XC"]]}

    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": f"Bearer {token}x"}):
        resp = await client.get("/admin/v1/me", headers=headers)
        assert resp.status == 401
        assert resp.content_type == "application/problem+json"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        body = await resp.json()
        assert body["title"] == "未通过身份验证" and "令牌" in body["detail"]

    await ctx.directory.deactivate_staff(info.id)
    gone = await client.get("/admin/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status == 401
