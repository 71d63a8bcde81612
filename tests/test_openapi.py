"""The mini-program API's OpenAPI document: valid OpenAPI 3.1, generated from the request models,
and honoured by the running server — schemathesis fuzzes every operation against a real local
server and finds no 5xx and no answer (status, content type, headers, body) the document does
not allow.

The server runs in its own thread and event loop, because schemathesis calls it with a blocking
HTTP client; it uses SQLite and the in-process store, with a fake WeChat behind it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from core import Database, FrozenClock, MemoryStore, Settings
from tests.conftest import WORKDAY_MORNING
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.stations import HOHHOT, add_stations, station
from yizhan.app import create_app
from yizhan.wiring import build_services

LAT, LNG = HOHHOT


class LiveApi:
    """The wired app served on 127.0.0.1 from a background thread."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._fake: FakeWeChat | None = None
        self.station_ids: list[int] = []

    def run(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self) -> None:
        self._fake = await FakeWeChat().start()
        self._fake.codes = {f"code-{i}": (f"o-{i}", "KEY") for i in range(5)}
        url = f"sqlite+aiosqlite:///{self.db_path}"
        # Fuzzing sends hundreds of requests from one address; limits are tested elsewhere.
        settings = Settings(
            database_url=url,
            redis_url=None,
            miniprogram_rate_per_ip=10**9,
            miniprogram_rate_per_user=10**9,
            media_url=f"file://{self.db_path.parent / 'media'}",
            **wechat_settings(self._fake),
        )
        context = build_services(
            settings, db=Database(url), store=MemoryStore(), clock=FrozenClock(WORKDAY_MORNING)
        )
        self._runner = web.AppRunner(create_app(context))
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        await add_stations(
            context,
            station("A", LAT + 0.001, LNG, services=["rest", "drinking_water"]),
            station(
                "B",
                LAT + 0.01,
                LNG,
                opening_hours="Mo-Fr 08:00-18:00",
                most_beautiful=True,
                phone="0471-1234567",
            ),
            station("C", LAT - 0.2, LNG + 0.3, opening_hours="Sa,Su 09:00-12:00"),
        )
        self.station_ids = [s.id for s in context.finder.index.stations]
        self.context = context

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._fake is not None:
            await self._fake.close()

    def __enter__(self) -> LiveApi:
        self.thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *_: object) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    with LiveApi(tmp_path_factory.mktemp("openapi") / "yizhan.db") as api:
        yield api


@pytest.fixture(scope="module")
def document(live_api: LiveApi) -> dict[str, Any]:
    resp = httpx.get(f"{live_api.base_url}/api/v1/openapi.json", timeout=10)
    assert resp.status_code == 200
    doc: dict[str, Any] = resp.json()
    return doc


@pytest.fixture(scope="module")
def api_schema(live_api: LiveApi, document: dict[str, Any]) -> Any:
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=live_api.base_url)
    return schema


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    errors = [e.message for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []
    assert document["openapi"] == "3.1.0"
    for path in (
        "/api/v1/stations/nearby",
        "/api/v1/stations/{station_id}",
        "/api/v1/services",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
    ):
        assert path in document["paths"], path


def test_document_comes_from_the_request_models(document: dict[str, Any]) -> None:
    from miniprogram_api._auth import LoginRequest
    from miniprogram_api._stations import NearbyQuery

    nearby = document["paths"]["/api/v1/stations/nearby"]["get"]
    params = {p["name"]: p for p in nearby["parameters"]}
    assert set(params) == set(NearbyQuery.model_fields)
    assert params["lat"]["required"] and params["lat"]["schema"]["maximum"] == 90
    assert params["coord"]["schema"]["default"] == "gcj02"
    assert "ebike_charging" in params["service"]["schema"]["items"]["enum"]
    login = document["paths"]["/api/v1/auth/login"]["post"]
    body_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert (
        body["properties"]["code"]["maxLength"]
        == LoginRequest.model_fields["code"].metadata[1].max_length
    )
    # Every operation documents the rate limit and its Retry-After header.
    for operations in document["paths"].values():
        for op in operations.values():
            assert "Retry-After" in op["responses"]["429"]["headers"]
    assert nearby["responses"]["422"]["content"]["application/problem+json"]


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _takes_input(document: dict[str, Any], operation: Any) -> bool:
    op = document["paths"][operation.path][operation.method.lower()]
    return bool(op.get("parameters") or op.get("requestBody"))


def test_fuzz_no_server_errors_and_answers_match_the_document(
    api_schema: Any, document: dict[str, Any]
) -> None:
    operations = _operations(api_schema)
    assert len(operations) >= 5
    # Schema-valid input must be accepted; invalid input must get a documented 4xx.
    for mode, examples in ((GenerationMode.POSITIVE, 30), (GenerationMode.NEGATIVE, 20)):
        for operation in operations:
            if mode is GenerationMode.NEGATIVE and not _takes_input(document, operation):
                continue  # nothing to make invalid

            @given(case=operation.as_strategy(mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Any) -> None:
                # Every default check: not a 5xx, documented status, content type, headers,
                # body, and positive/negative data accepted/rejected.
                case.call_and_validate()

            call()


def test_fuzz_logged_in_no_server_errors_and_answers_match_the_document(
    live_api: LiveApi, api_schema: Any, document: dict[str, Any]
) -> None:
    """The same for a logged-in user, on every operation that needs one (but log-out)."""
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    login = httpx.post(f"{live_api.base_url}/api/v1/auth/login", json={"code": "code-0"})
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    secured = [
        op
        for op in _operations(api_schema)
        if document["paths"][op.path][op.method.lower()].get("security")
        and not op.path.endswith("/logout")
    ]
    assert secured
    for operation in secured:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            # Which schema-valid input a domain accepts (a real phone code, …) is the domain's
            # business; here: no 5xx, and whatever comes back is what the document promises.
            case.call_and_validate(
                headers=headers,
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        call()
