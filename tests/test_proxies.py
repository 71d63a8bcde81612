"""`TRUSTED_PROXIES`: only a trusted peer's `X-Forwarded-For` / `X-Real-IP` name the client, and
the mini-program's per-address limit counts clients, not the proxy in front of them."""

from __future__ import annotations

import re
from collections.abc import Callable
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request
from pydantic import ValidationError

from core import Settings
from core.proxies import client_address, trusted_networks
from handlers import Services
from tests.conftest import AiohttpClient
from yizhan.app import create_app

TRUSTED = trusted_networks("10.0.0.0/8, 127.0.0.1")


def _request(peer: str, **headers: str) -> object:
    transport = mock.Mock()
    transport.get_extra_info.return_value = (peer, 40000)
    return make_mocked_request("GET", "/", headers=headers, transport=transport)


def test_only_a_trusted_peer_may_name_the_client() -> None:
    spoofed = {"X-Forwarded-For": "1.2.3.4", "X-Real-IP": "1.2.3.4"}
    assert client_address(_request("203.0.113.9", **spoofed), TRUSTED) == "203.0.113.9"
    assert client_address(_request("10.1.1.1", **spoofed), ()) == "10.1.1.1"  # none trusted
    assert client_address(_request("10.1.1.1", **spoofed), TRUSTED) == "1.2.3.4"
    assert client_address(_request("10.1.1.1", **{"X-Real-IP": "5.6.7.8"}), TRUSTED) == "5.6.7.8"
    assert client_address(_request("10.1.1.1"), TRUSTED) == "10.1.1.1"


def test_the_rightmost_untrusted_hop_is_the_client() -> None:
    # The client wrote "6.6.6.6" itself; our proxies appended the rest.
    chain = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.0.0.2"}
    assert client_address(_request("127.0.0.1", **chain), TRUSTED) == "198.51.100.7"
    # Only proxies: the leftmost is as far as we can see.
    only = {"X-Forwarded-For": "10.0.0.3, 10.0.0.2"}
    assert client_address(_request("127.0.0.1", **only), TRUSTED) == "10.0.0.3"
    # Garbage to the left of the client: the client still counts.
    junk = {"X-Forwarded-For": "not-an-ip, 198.51.100.7"}
    assert client_address(_request("127.0.0.1", **junk), TRUSTED) == "198.51.100.7"
    v6 = {"X-Forwarded-For": "[2001:db8::7]:5000"}
    assert client_address(_request("127.0.0.1", **v6), TRUSTED) == "2001:db8::7"


def test_a_bad_setting_is_refused_naming_the_entry() -> None:
    with pytest.raises(ValidationError, match=re.escape("“10.0.0.300/8”不是有效的 IP 地址或网段")):
        Settings(trusted_proxies="127.0.0.1, 10.0.0.300/8")
    assert Settings(trusted_proxies="").trusted_proxies == ""


async def _hits(client: object, forwarded_for: list[str]) -> list[int]:
    statuses = []
    for address in forwarded_for:
        answer = await client.get(  # type: ignore[attr-defined]
            "/api/v1/openapi.json", headers={"X-Forwarded-For": address}
        )
        statuses.append(answer.status)
    return statuses


async def test_rate_limit_counts_clients_behind_a_trusted_proxy(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    behind = await aiohttp_client(
        create_app(backend(miniprogram_rate_per_ip=2, trusted_proxies="127.0.0.1/32"))
    )
    # Three workers behind the proxy, two requests each: nobody is over the limit …
    workers = ["198.51.100.1", "198.51.100.2", "198.51.100.3"] * 2
    assert await _hits(behind, workers) == [200] * 6
    # … but one of them asking again is.
    assert await _hits(behind, ["198.51.100.1"]) == [429]


async def test_forwarded_for_is_ignored_without_trusted_proxies(
    backend: Callable[..., Services], aiohttp_client: AiohttpClient
) -> None:
    direct = await aiohttp_client(create_app(backend(miniprogram_rate_per_ip=2)))
    # Writing a new X-Forwarded-For each time does not dodge the limit.
    assert await _hits(direct, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [200, 200, 429]
