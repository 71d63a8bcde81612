"""`yizhan serve --demo` gives a newcomer the staff side too: into an empty directory it loads
the demo unions (region, leagues, counties) and a region admin whose one-time link sets the
console password for the login `demo`; a directory that has unions or staff is left alone."""

from __future__ import annotations

from collections.abc import Callable

from handlers import SERVICES_KEY, Services
from tests.conftest import AiohttpClient
from tests.console_web import PASSWORD, csrf_in, sign_in
from tests.unions import load_unions
from yizhan.app import create_app
from yizhan.commands.membership import load_demo_directory


async def test_the_demo_admin_sets_a_password_and_sees_a_county_case(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    client = await aiohttp_client(create_app(backend()))
    ctx = client.app[SERVICES_KEY]
    path = await load_demo_directory(ctx)
    assert path is not None and path.startswith("/console/password/")
    names = {u.name for u in await ctx.directory.all_unions()}
    assert {"内蒙古自治区总工会", "呼和浩特市总工会", "呼和浩特市新城区总工会"} <= names
    assert await load_demo_directory(ctx) is None  # once only: never a second admin

    form = await client.get(path)
    html = await form.text()
    assert form.status == 200 and "demo" in html
    done = await client.post(
        path, data={"csrf": csrf_in(html), "password": PASSWORD, "again": PASSWORD}
    )
    assert done.status == 200
    assert await sign_in(client, "demo") == 303
    # The admin of the region's union sees what is below it: the unions page lists a county.
    unions = await client.get("/console/unions")
    assert unions.status == 200 and "新城区总工会" in await unions.text()


async def test_a_real_directory_is_left_alone(backend: Callable[..., Services]) -> None:
    ctx = backend()
    await ctx.start()
    try:
        await load_unions(ctx)
        before = {u.name for u in await ctx.directory.all_unions()}
        assert await load_demo_directory(ctx) is None
        assert {u.name for u in await ctx.directory.all_unions()} == before
        assert await ctx.directory.list_staff() == []
    finally:
        await ctx.close()
