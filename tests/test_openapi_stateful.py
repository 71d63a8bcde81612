"""Schemathesis in its stateful mode: it follows the document's links — log in → enroll →
report → case detail — with the token and ids each answer gives, against a live server, and
checks every answer (no 5xx, documented status and body, a created case can be read back).

The fake WeChat here takes any log-in and phone code, so the chains reach the steps behind
them. Each log-in is a new user and each phone code a new number, whatever the code: hypothesis
replays a chain's choices and expects the same answers, which a user or a number left behind by
an earlier chain (already applied, phone taken) would change."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from membership import POLICY_VERSION
from tests.test_openapi import LiveApi
from tests.unions import load_unions


class AnyCode(dict[str, tuple[str, str]]):
    """Every `wx.login` code is good: a new user each time."""

    def __init__(self) -> None:
        super().__init__()
        self._next = itertools.count(1)

    def __contains__(self, code: object) -> bool:
        return True

    def __getitem__(self, code: str) -> tuple[str, str]:
        return f"o-walker-{next(self._next)}", "session-key"


class Forgetful(set[str]):
    """Log-in codes that can be used again: a replayed example must meet the same answers."""

    def add(self, code: str) -> None:
        pass


class AnyPhone(dict[str, str]):
    """Every phone code stands for a new (made-up, well-formed) mobile number."""

    def __init__(self) -> None:
        super().__init__()
        self._next = itertools.count(1)

    def get(self, code: str, default: Any = None) -> str:  # type: ignore[override]
        return f"139{next(self._next):08d}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    with LiveApi(tmp_path_factory.mktemp("stateful") / "yizhan.db") as api:
        assert api._fake is not None
        api._fake.codes = AnyCode()
        api._fake._used_codes = Forgetful()
        api._fake.phones = AnyPhone()
        api.run(load_unions(api.context))  # applications need a union to go to
        yield api


APPLICANT = {
    "name": "李娜",
    "occupation": "courier",
    "employer": "中通快递",
    "league": "呼和浩特市",
    "county": "新城区",
    "id_number": "",
    "id_consent": False,
    "consent": True,
    "consent_version": POLICY_VERSION,
}


def _count(metrics: str, route: str, status: int) -> float:
    wanted = f'yizhan_http_requests_total{{route="{route}",status="{status}"}}'
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(wanted)
    )


def test_links_login_enroll_case_detail(live: LiveApi) -> None:
    document = httpx.get(f"{live.base_url}/api/v1/openapi.json", timeout=10).json()
    login = document["paths"]["/api/v1/auth/login"]["post"]["responses"]["200"]["links"]
    assert {"enroll", "submitCase", "myCases"} <= set(login)
    case = document["paths"]["/api/v1/cases"]["post"]["responses"]["201"]["links"]
    assert case["getCase"]["parameters"]["case_id"] == "$response.body#/id"

    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=live.base_url)

    @schema.hook("map_body")
    def realistic_report(context: Any, body: Any) -> Any:
        # A report as the mini-program sends one: of a station that exists, with a photo only
        # when one was uploaded (uploads are not part of these chains).
        operation = context.operation
        if operation is not None and operation.path == "/api/v1/membership":
            # An application a person would send (what else the domain refuses is tested in
            # test_membership_*): the fuzzer keeps the phone code and the employer.
            return {**body, **APPLICANT} if isinstance(body, dict) else body
        if operation is None or operation.path != "/api/v1/cases" or not isinstance(body, dict):
            return body
        body = {k: v for k, v in body.items() if k != "photo"}
        if body.get("kind") == "feedback":
            body["station_id"] = live.station_ids[0]
        return body

    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[valid-type,misc]
        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            # Every check, stateful ones included (a created case can be read back, and not by
            # another user), but which schema-valid input a domain accepts (a real name, a
            # known occupation) is the domain's business.
            excluded = [positive_data_acceptance]
            if case.operation.path in ("/api/v1/membership", "/api/v1/cases"):
                # The hook above rewrites these bodies (an applicant's details; no photo, a real
                # station), which can make a negative one valid; what these forms refuse is
                # tested field by field in test_openapi_answers.
                excluded.append(negative_data_rejection)
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded,
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    # The server keeps what each step made (cases, applications), so the rules a chain can take
    # depend on earlier chains; hypothesis now and then notices that as "flaky generation" and
    # stops. That is the harness, not a finding (a finding is a FailureGroup, raised at once):
    # start again, a few times at most, also until a chain has read a case back.
    for attempt in range(5):
        try:
            Machine.run(
                settings=settings(
                    max_examples=200,
                    stateful_step_count=8,
                    deadline=None,
                    database=None,
                    derandomize=False,
                    # No shrinking: replaying a chain against a server that kept what it made
                    # draws differently (reported as flaky generation, not the failure).
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except FlakyStrategyDefinition:
            if attempt == 4:
                raise
            continue
        if _walked(live):
            break
    # The chains were walked to their end: cases made by a logged-in user and read back.
    assert _walked(live)


def _walked(live: LiveApi) -> bool:
    metrics = httpx.get(f"{live.base_url}/metrics", timeout=10).text
    return all(
        _count(metrics, route, status) > 0
        for route, status in (
            ("/api/v1/auth/login", 200),
            ("/api/v1/cases", 201),
            ("/api/v1/cases/{case_id}", 200),
            ("/api/v1/membership", 201),
            ("/api/v1/membership/me", 200),
        )
    )
