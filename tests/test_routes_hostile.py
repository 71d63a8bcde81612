"""Every HTTP route, found by walking the app's router (sub-applications too), is fed random and
hostile requests — any method, path parameters, query strings, headers and bodies (bytes, JSON of
any shape, deep nesting, forms) — by hypothesis, without credentials: nothing answers 5xx, and
nothing is written to the database. The Telegram webhook, with its secret, is fed update-like JSON
of every shape and always answers 200, so Telegram never re-sends an update forever."""

from __future__ import annotations

import asyncio
import hashlib
import json
import string
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select

from handlers import SERVICES_KEY, Services
from tests.fakes.telegram import WEBHOOK_HEADERS, FakeTelegram, telegram_settings
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.stations import HOHHOT, add_stations, station
from tests.unions import load_unions
from yizhan.app import create_app

T = TypeVar("T")
RANDOM = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same requests every run: a failure here is reproducible
)


PER_ROUTE = settings(RANDOM, max_examples=40)


def routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, path template) of every route, sub-applications included."""
    found: list[tuple[str, str]] = []
    for resource in app.router.resources():
        info = resource.get_info()
        if "app" in info:
            found += routes(info["app"])
        elif isinstance(resource, web.StaticResource):
            found += [("GET", resource.canonical + "/{filename}")]
        else:
            found += [(route.method, resource.canonical) for route in resource]
    return found


@pytest.fixture
async def api(
    fake_wechat: FakeWeChat,
    fake_telegram: FakeTelegram,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
) -> TestClient:
    ctx = backend(
        **wechat_settings(fake_wechat),
        **telegram_settings(fake_telegram),
        miniprogram_rate_per_ip=100_000,  # reach the handlers, not only the limiter
        trusted_proxies="127.0.0.1",
    )
    client: TestClient = await aiohttp_client(create_app(ctx))
    await load_unions(ctx)
    await ctx.directory.add_staff("王芳", ["HH-XC"])
    await add_stations(ctx, station("A", *HOHHOT))
    return client


async def _ask(
    api: TestClient,
    method: str,
    path: str,
    query: dict[str, str],
    head: dict[str, str],
    body: bytes | None,
) -> tuple[int, str]:
    resp = await api.request(method, path, params=query, headers=head, data=body)
    return resp.status, (await resp.read()).decode(errors="replace")[:500]


def bridge() -> Callable[[Coroutine[Any, Any, T]], T]:
    """Hypothesis runs its examples synchronously, in a worker thread here; each example's
    request runs on the test's own event loop (where the app lives), which waits meanwhile."""
    loop = asyncio.get_running_loop()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    return run


async def fingerprint(ctx: Services) -> str:
    """A digest of every row of every table: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    metadata = MetaData(schema=ctx.db.schema)
    async with ctx.db.engine.connect() as conn:
        await conn.run_sync(metadata.reflect)
        for table in sorted(metadata.tables.values(), key=lambda t: t.name):
            if table.name == "alembic_version":
                continue
            rows = (await conn.execute(select(table))).all()
            digest.update(table.name.encode())
            for row in sorted(repr(tuple(r)) for r in rows):
                digest.update(row.encode())
    return digest.hexdigest()


text = st.text(max_size=40)
ascii_value = st.text(alphabet=string.printable.strip() + " ", max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
path_parts = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.text(min_size=1, max_size=20).map(lambda t: quote(t, safe="")),
    st.sampled_from(
        ["0", "1", "-1", "999999999999", "approve", "reject", "..%2F..", "%00", "a" * 300]
    ),
)
queries = st.dictionaries(
    st.sampled_from(["lat", "lng", "coord", "service", "open_now", "limit", "status", "page", "q"])
    | st.text(min_size=1, max_size=10),
    st.one_of(
        text, st.sampled_from(["nan", "inf", "-1e309", "91", "gcj02", "true", "", "1" * 400])
    ),
    max_size=5,
)
headers = st.dictionaries(
    st.sampled_from(
        [
            "Authorization",
            "Content-Type",
            "X-Forwarded-For",
            "X-Real-IP",
            "Forwarded",
            "X-Telegram-Bot-Api-Secret-Token",
            "X-Request-ID",
            "Cookie",
            "Accept-Language",
            "Origin",
        ]
    ),
    st.one_of(
        ascii_value,
        st.sampled_from(
            [
                "Bearer ",
                "Bearer " + "x" * 500,
                "Basic Zm9vOmJhcg==",
                "application/json",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "text/xml",
                "1.2.3.4, 999.1.1.1, ::1",
                "yz_console=forged; csrf=1",
            ]
        ),
    ),
    max_size=4,
)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 20_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 5_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=4).map(
        lambda d: "&".join(f"{quote(k)}={quote(v)}" for k, v in d.items()).encode()
    ),
    st.sampled_from([b"<xml><a>&lol;</a></xml>", b"\xff\xfe", b"null", b'"string"', b"1e999"]),
)
ANY_METHOD = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


async def test_no_route_answers_5xx_or_writes_to_unauthenticated_hostile_input(
    api: TestClient,
) -> None:
    ctx = api.app[SERVICES_KEY]
    table = routes(api.app)
    assert len(table) >= 30  # the walk found the surfaces, sub-applications included
    before = await fingerprint(ctx)
    seen: set[str] = set()
    on_loop = bridge()

    @PER_ROUTE
    @given(
        other_method=st.none() | st.sampled_from(ANY_METHOD),
        parts=st.lists(path_parts, min_size=3, max_size=3),
        query=queries,
        head=headers,
        body=bodies,
    )
    def one(
        route: tuple[str, str],
        other_method: str | None,
        parts: list[str],
        query: dict[str, str],
        head: dict[str, str],
        body: bytes | None,
    ) -> None:
        method, template = route
        path = template
        for part in parts:
            start = path.find("{")
            if start == -1:
                break
            path = path[:start] + part + path[path.index("}", start) + 1 :]
        seen.add(template)
        status, answer = on_loop(_ask(api, other_method or method, path, query, head, body))
        assert status < 500, (method, path, query, head, body, status, answer)

    for route in table:  # each route gets its own examples
        await asyncio.to_thread(one, route)
    assert await fingerprint(ctx) == before  # nothing written, by any of them
    assert seen == {t for _, t in table}


update_like = st.fixed_dictionaries(
    {"update_id": st.one_of(st.integers(1, 2**40), json_values)},
    optional={
        key: st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "message_id": json_values,
                    "chat": st.one_of(json_values, st.fixed_dictionaries({"id": json_values})),
                    "from": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {"id": json_values}, optional={"language_code": json_values}
                        ),
                    ),
                    "text": json_values,
                    "data": json_values,
                    "id": json_values,
                    "location": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {"latitude": json_values, "longitude": json_values},
                            optional={"live_period": json_values},
                        ),
                    ),
                    "contact": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {"phone_number": json_values}, optional={"user_id": json_values}
                        ),
                    ),
                    "message": json_values,
                },
            ),
        )
        for key in ("message", "edited_message", "callback_query")
    },
)


async def test_the_webhook_answers_every_update_shape_with_200(api: TestClient) -> None:
    outcomes: set[str] = set()
    on_loop = bridge()

    @RANDOM
    @given(update=update_like)
    def one(update: dict[str, Any]) -> None:
        body = json.dumps(update).encode()
        status, answer = on_loop(_ask(api, "POST", "/telegram/webhook", {}, WEBHOOK_HEADERS, body))
        assert status == 200, (update, status, answer)
        outcomes.add(json.loads(answer)["outcome"])

    await asyncio.to_thread(one)
    assert {"rejected", "ignored"} <= outcomes  # both the checker and the bot were reached
