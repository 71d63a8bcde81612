"""`/admin/v1`: bearer tokens of staff; 401 problem+json in Chinese otherwise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

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
    assert await ok.json() == {
        "id": info.id,
        "name": "王芳",
        "role": "staff",
        "union_ids": [ids["HH-XC"]],
        "held_union_ids": [ids["HH-XC"]],
    }

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


async def test_tokens_expire_and_rotate(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    client = await admin_client(backend, aiohttp_client)
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    info, token = await ctx.directory.add_staff("王芳", ["HH-XC"])
    days = ctx.settings.staff_token_days
    assert days > 0

    def me(t: str) -> Any:
        return client.get("/admin/v1/me", headers={"Authorization": f"Bearer {t}"})

    ctx.clock.advance(timedelta(days=days - 1))
    assert (await me(token)).status == 200
    ctx.clock.advance(timedelta(days=2))
    expired = await me(token)
    assert expired.status == 401 and "过期" in (await expired.json())["detail"]

    fresh, until = await ctx.directory.rotate_token(info.id)
    assert until is not None and until > ctx.clock.now()
    assert (await me(fresh)).status == 200
    ctx.clock.advance(timedelta(days=1))
    assert (await me(fresh)).status == 200
    old = await me(token)  # the rotated-away token is simply unknown now
    assert old.status == 401 and "过期" not in (await old.json())["detail"]
