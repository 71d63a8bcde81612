"""The OpenAPI document is the truth: a walk through every `/api/v1` route — a success and the
errors a client meets — validates each real answer (status, headers, body) against the document
with openapi-core, and checks that every documented operation was walked and every route of the
server is documented."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from handlers import SERVICES_KEY, Services
from membership import POLICY_VERSION
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.photos import encoded, phone_jpeg, upload_form
from tests.stations import HOHHOT, add_stations, station
from tests.unions import load_unions
from yizhan.app import create_app

LAT, LNG = HOHHOT
UNDOCUMENTED = {"/api/v1/openapi.json", "/api/v1/wechat/push"}  # the document; WeChat's push


class Walk:
    """Calls the app and validates every answer against the document it serves."""

    def __init__(self, api: TestClient, document: dict[str, Any]) -> None:
        self.api = api
        self.document = document
        # problem+json is JSON (openapi-core reads only application/json by itself).
        config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
        self.openapi = OpenAPI.from_dict(document, config=config)
        self.seen: dict[tuple[str, str], set[int]] = {}

    async def __call__(
        self,
        method: str,
        path: str,
        template: str,
        expect: int,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        resp = await self.api.request(method, path, params=params, headers=headers, **kwargs)
        body = await resp.read()
        assert resp.status == expect, (method, path, resp.status, body[:300])
        request = MockRequest(
            "http://localhost",
            method,
            path,
            path_pattern=template,
            args={k: str(v) for k, v in (params or {}).items()},
            headers=headers or {},
        )
        response = MockResponse(
            body,
            status_code=resp.status,
            headers=dict(resp.headers),
            content_type=resp.headers.get("Content-Type", "").split(";")[0],
        )
        self.openapi.validate_response(request, response)
        self.seen.setdefault((method.lower(), template), set()).add(resp.status)
        if resp.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(body)
        return body


@pytest.fixture
async def walk(
    fake_wechat: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
    tmp_path: Path,
) -> Walk:
    settings = wechat_settings(fake_wechat) | {
        "media_url": f"file://{tmp_path / 'media'}",
        "media_max_bytes": 200_000,
        "miniprogram_template_case": "tmpl-case",
        "miniprogram_template_enrollment": "tmpl-enroll",
    }
    api: TestClient = await aiohttp_client(create_app(backend(**settings)))
    ctx = api.app[SERVICES_KEY]
    await load_unions(ctx)
    await add_stations(
        ctx,
        station("XC1", 40.8585, 111.6660, name="新城区海东路驿站"),
        station("NEAR", LAT + 0.001, LNG),
    )
    document = await (await api.get("/api/v1/openapi.json")).json()
    return Walk(api, document)


async def test_every_answer_is_what_the_document_says(walk: Walk, fake_wechat: FakeWeChat) -> None:
    stations = walk.api.app[SERVICES_KEY].finder.index.stations
    sid = next(s.id for s in stations if s.code == "XC1")
    # Log in (and the ways a log-in fails).
    await walk("POST", "/api/v1/auth/login", "/api/v1/auth/login", 401, json={"code": "nope"})
    await walk("POST", "/api/v1/auth/login", "/api/v1/auth/login", 422, json={"code": ""})
    await walk("POST", "/api/v1/auth/login", "/api/v1/auth/login", 400, data=b"{not json")
    fake_wechat.codes = {"c1": ("o-1", "k"), "c2": ("o-2", "k")}
    token = (
        await walk("POST", "/api/v1/auth/login", "/api/v1/auth/login", 200, json={"code": "c1"})
    )["token"]
    other = (
        await walk("POST", "/api/v1/auth/login", "/api/v1/auth/login", 200, json={"code": "c2"})
    )["token"]
    me, them = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {other}"}

    # Stations, search, catalogues.
    near = "/api/v1/stations/nearby"
    where = {"lat": LAT, "lng": LNG, "coord": "wgs84", "limit": 1}
    page = await walk("GET", near, near, 200, params=where)
    await walk("GET", near, near, 200, params=where | {"cursor": page["next_cursor"]})
    await walk("GET", near, near, 304, params=where, headers={"If-None-Match": "*"})
    await walk("GET", near, near, 422, params={"lat": 999, "lng": LNG})
    await walk("GET", near, near, 404, params=where | {"cursor": "bm9wZQ"})
    one = "/api/v1/stations/{station_id}"
    await walk("GET", f"/api/v1/stations/{sid}", one, 200)
    await walk("GET", "/api/v1/stations/999999", one, 404)
    await walk("GET", "/api/v1/stations/abc", one, 400)
    search = "/api/v1/stations/search"
    await walk("GET", search, search, 200, params={"q": "xcq"})
    await walk("GET", search, search, 422, params={"q": ""})
    await walk("GET", search, search, 404, params={"q": "xcq", "cursor": "bm9wZQ"})
    await walk("GET", "/api/v1/services", "/api/v1/services", 200)
    await walk("GET", "/api/v1/codes", "/api/v1/codes", 200)
    codes = "/api/v1/codes/{code_set}"
    await walk("GET", "/api/v1/codes/occupations", codes, 200)
    await walk("GET", "/api/v1/codes/planets", codes, 404)

    # Membership.
    options = "/api/v1/membership/options"
    await walk("GET", options, options, 200, params={"lat": LAT, "lng": LNG})
    await walk("GET", options, options, 422, params={"lat": "north"})
    mine = "/api/v1/membership/me"
    await walk("GET", mine, mine, 404, headers=me)
    await walk("GET", mine, mine, 401)
    fake_wechat.phones = {"p1": "13912345678", "p2": "13912345678", "p3": "13700001111"}
    form = {
        "name": "李娜",
        "phone_code": "p1",
        "occupation": "courier",
        "employer": "中通快递",
        "league": "呼和浩特市",
        "county": "新城区",
        "consent": True,
        "consent_version": POLICY_VERSION,
        "id_number": "11010519491231002X",
        "id_consent": True,
    }
    join = "/api/v1/membership"
    await walk("POST", join, join, 201, json=form, headers=me)
    await walk("POST", join, join, 200, json=form | {"phone_code": "p2"}, headers=me)
    await walk("POST", join, join, 409, json=form | {"phone_code": "p3"}, headers=them)
    await walk("POST", join, join, 409, json=form | {"consent_version": "2020-01"}, headers=me)
    await walk("POST", join, join, 422, json=form | {"name": ""}, headers=me)
    await walk("POST", join, join, 400, json=form | {"phone_code": "unknown"}, headers=me)
    await walk("POST", join, join, 401, json=form)
    await walk("GET", mine, mine, 200, headers=me)
    resubmit = {k: v for k, v in form.items() if k != "phone_code"}
    await walk("PUT", mine, mine, 200, json=resubmit | {"employer": "顺丰"}, headers=me)
    await walk("PUT", mine, mine, 404, json=resubmit, headers=them)
    await walk("PUT", mine, mine, 422, json={"name": "李娜"}, headers=me)

    # Photos.
    media = "/api/v1/media"
    photo = await walk("POST", media, media, 201, data=upload_form(phone_jpeg()), headers=me)
    big = upload_form(encoded("PNG", (900, 900)) + b"\0" * 250_000)
    await walk("POST", media, media, 413, data=big, headers=me)
    await walk("POST", media, media, 422, data=upload_form(encoded("GIF")), headers=me)
    await walk("POST", media, media, 415, json={"file": "x"}, headers=me)
    await walk("POST", media, media, 401, data=upload_form(phone_jpeg()))
    empty = FormData()
    empty.add_field("note", b"no photo", filename="note.txt", content_type="text/plain")
    await walk("POST", media, media, 422, data=empty, headers=me)
    shown = "/api/v1/media/{media_id}"
    link, query = photo["url"].split("?")
    params = dict(pair.split("=") for pair in query.split("&"))
    await walk("GET", link, shown, 200, params=params)
    await walk("GET", link, shown, 403, params=params | {"sig": "0" * 32})

    # Cases.
    cases = "/api/v1/cases"
    report = {"kind": "feedback", "category": "broken", "station_id": sid, "photo": photo["id"]}
    case = await walk("POST", cases, cases, 201, json=report | {"request_id": "r1"}, headers=me)
    await walk("POST", cases, cases, 200, json=report | {"request_id": "r1"}, headers=me)
    await walk("POST", cases, cases, 422, json=report, headers=them)  # not their photo
    legal = {"kind": "legal_aid", "category": "unpaid_wages", "description": "欠薪"}
    await walk("POST", cases, cases, 422, json=legal, headers=me)
    await walk("POST", cases, cases, 401, json=legal)
    my_cases = "/api/v1/cases/mine"
    await walk("GET", my_cases, my_cases, 200, params={"limit": 1}, headers=me)
    await walk("GET", my_cases, my_cases, 404, params={"cursor": "bm9wZQ"}, headers=me)
    await walk("GET", my_cases, my_cases, 401)
    detail = "/api/v1/cases/{case_id}"
    await walk("GET", f"/api/v1/cases/{case['id']}", detail, 200, headers=me)
    await walk("GET", f"/api/v1/cases/{case['id']}", detail, 404, headers=them)
    await walk("GET", f"/api/v1/cases/{case['id']}", detail, 401)
    await walk("GET", "/api/v1/cases/abc", detail, 404, headers=me)

    # Subscribe-message consents.
    subs = "/api/v1/subscriptions"
    await walk("GET", subs, subs, 200, headers=me)
    await walk("GET", subs, subs, 401)
    answers = {"results": {"tmpl-case": "accept", "tmpl-enroll": "reject"}}
    got = await walk("POST", subs, subs, 201, json=answers, headers=me)
    assert {t["kind"]: t["available"] for t in got["templates"]} == {"case": 1, "enrollment": 0}
    await walk("POST", subs, subs, 422, json={"results": {"tmpl-other": "accept"}}, headers=me)
    await walk("POST", subs, subs, 422, json={"results": {"tmpl-case": "maybe"}}, headers=me)
    await walk("POST", subs, subs, 401, json=answers)

    out = "/api/v1/auth/logout"
    await walk("POST", out, out, 204, headers=them)
    await walk("POST", out, out, 401, headers=them)

    # Every documented operation was walked, with a success and an error (the catalogues and
    # code lists, which take nothing a client can get wrong, with a success).
    documented = {(method, path) for path, ops in walk.document["paths"].items() for method in ops}
    assert documented == set(walk.seen), documented ^ set(walk.seen)
    no_errors = {("get", "/api/v1/services"), ("get", "/api/v1/codes")}
    for operation, statuses in walk.seen.items():
        assert any(s < 300 for s in statuses), operation
        if operation not in no_errors:
            assert any(s >= 400 for s in statuses), operation
    # And every route the server has under /api/v1 is in the document.
    served = {
        (r.method.lower(), r.resource.canonical)
        for r in walk.api.app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/api/v1/")
        and r.method not in ("HEAD", "OPTIONS")
        and r.resource.canonical not in UNDOCUMENTED
    }
    assert served == documented


async def test_the_walk_catches_an_answer_the_document_does_not_allow(walk: Walk) -> None:
    """The checker fails when it should: a document without the 404, or with a body field the
    server does not send, makes the same calls fail."""
    import copy

    from openapi_core.exceptions import OpenAPIError

    one = "/api/v1/stations/{station_id}"
    narrowed = copy.deepcopy(walk.document)
    del narrowed["paths"][one]["get"]["responses"]["404"]
    with pytest.raises(OpenAPIError):
        await Walk(walk.api, narrowed)("GET", "/api/v1/stations/999999", one, 404)
    stricter = copy.deepcopy(walk.document)
    detail = stricter["components"]["schemas"]["StationDetail"]
    detail["required"] = [*detail["required"], "rating"]
    sid = walk.api.app[SERVICES_KEY].finder.index.stations[0].id
    with pytest.raises(OpenAPIError):
        await Walk(walk.api, stricter)("GET", f"/api/v1/stations/{sid}", one, 200)
