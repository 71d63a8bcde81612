"""`/metrics`: closed to the internet (a token, or else only a direct local scrape), and the
numbers an operator watches — outbox backlog and age, failures by kind, stations indexed and
index age, open cases per union and deadlines missed — true to what the database holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from core.metrics import count_failures
from core.outbox import GiveUp, OutboxMessage, RetryLater, enqueue
from handlers import SERVICES_KEY, Services
from referrals import NewCase
from tests.conftest import WORKDAY_MORNING
from tests.stations import HOHHOT, add_stations, station
from tests.test_outbox_kill import SAIHAN, XINCHENG, _directory
from yizhan.app import create_app

TOKEN = "metrics-token-for-tests"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _app(
    backend: Callable[..., Services], aiohttp_client: Any, **settings: Any
) -> TestClient:
    client: TestClient = await aiohttp_client(create_app(backend(**settings)))
    return client


async def test_without_a_token_only_a_direct_local_scrape_is_answered(
    backend: Callable[..., Services], aiohttp_client: Any
) -> None:
    client = await _app(backend, aiohttp_client, trusted_proxies="127.0.0.1")
    assert (await client.get("/metrics")).status == 200  # Prometheus beside the process
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        # Through the reverse proxy, from anywhere: as if there were no such page.
        resp = await client.get("/metrics", headers={header: "127.0.0.1"})
        assert resp.status == 404, header
        assert "yizhan_" not in await resp.text()


async def test_with_a_token_a_scrape_must_bring_it_and_guessing_is_limited(
    backend: Callable[..., Services], aiohttp_client: Any
) -> None:
    client = await _app(
        backend,
        aiohttp_client,
        metrics_token=SecretStr(TOKEN),
        auth_fail_limit=3,
        trusted_proxies="127.0.0.1",
    )
    assert (await client.get("/metrics")).status == 401  # even locally
    right = {"Authorization": f"Bearer {TOKEN}"}
    resp = await client.get("/metrics", headers={**right, "X-Forwarded-For": "198.51.100.7"})
    assert resp.status == 200 and "yizhan_outbox_oldest_pending_seconds" in await resp.text()
    guesser = {"X-Forwarded-For": "203.0.113.5"}
    statuses = [
        (await client.get("/metrics", headers={"Authorization": f"Bearer x{n}", **guesser})).status
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert (await client.get("/metrics", headers={**right, **guesser})).status == 429
    resp = await client.get("/metrics", headers={**right, "X-Forwarded-For": "198.51.100.7"})
    assert resp.status == 200  # the real scraper, elsewhere, is not locked out


async def test_the_numbers_follow_the_database(
    backend: Callable[..., Services], aiohttp_client: Any
) -> None:
    client = await _app(backend, aiohttp_client)
    ctx = client.app[SERVICES_KEY]
    ctx.outbox.senders.clear()  # nothing delivers here: rows stay pending
    await _directory(ctx)
    lat, lng = HOHHOT
    await add_stations(ctx, station("A", lat, lng), station("B", lat + 0.01, lng))
    for n, point in enumerate((XINCHENG, XINCHENG, SAIHAN)):
        got = await ctx.referrals.submit(
            NewCase(
                kind="legal_aid",
                category="unpaid_wages",
                channel="telegram",
                worker_ref=f"tg-{n}",
                description="老板拖欠工资",
                point=point,
                source_ref=f"m-{n}",
            )
        )
        assert got.created
    async with ctx.db.transaction() as session:
        await enqueue(session, "wecom", "robot-x", {"text": "hi"}, "k1")

    got = samples(await (await client.get("/metrics")).text())
    assert got[("yizhan_stations_indexed", ())] == 2
    assert 0 <= got[("yizhan_station_index_age_seconds", ())] < 60
    assert got[("yizhan_cases_open", (("kind", "legal_aid"), ("union", "xincheng")))] == 2
    assert got[("yizhan_cases_open", (("kind", "legal_aid"), ("union", "saihan")))] == 1
    assert ("yizhan_cases_sla_breached", (("union", "xincheng"),)) not in got  # not yet late
    # Each case's card to each of its union's two chats, and the one row enqueued above.
    pending = {k[1]: v for k, v in got.items() if k[0] == "yizhan_outbox_rows"}
    assert pending[(("kind", "wecom"), ("status", "pending"))] == 4
    assert pending[(("kind", "telegram"), ("status", "pending"))] == 3
    assert got[("yizhan_outbox_oldest_pending_seconds", ())] >= 0

    ctx.clock.set(WORKDAY_MORNING + timedelta(days=3))  # past every 4-working-hour deadline
    got = samples(await (await client.get("/metrics")).text())
    assert got[("yizhan_cases_sla_breached", (("union", "xincheng"),))] == 2
    assert got[("yizhan_cases_sla_breached", (("union", "saihan"),))] == 1


async def test_delivery_failures_are_counted_by_kind_and_reason() -> None:
    registry = CollectorRegistry()

    async def flaky(row: OutboxMessage) -> dict[str, Any] | None:
        raise {"a": RetryLater("429"), "b": GiveUp("blocked"), "c": ValueError("?")}[row.recipient]

    async def fine(row: OutboxMessage) -> dict[str, Any] | None:
        return {"ok": True}

    senders = {"telegram": flaky, "wecom": fine}
    count_failures(senders, registry)
    for recipient, error in (
        ("a", RetryLater),
        ("a", RetryLater),
        ("b", GiveUp),
        ("c", ValueError),
    ):
        with pytest.raises(error):
            await senders["telegram"](
                OutboxMessage(kind="telegram", recipient=recipient, dedupe_key="")
            )
    assert await senders["wecom"](OutboxMessage(kind="wecom", recipient="r", dedupe_key="")) == {
        "ok": True
    }
    value = registry.get_sample_value
    labels = {"kind": "telegram"}
    assert value("yizhan_outbox_delivery_failures_total", {**labels, "reason": "retry"}) == 2
    assert value("yizhan_outbox_delivery_failures_total", {**labels, "reason": "rejected"}) == 1
    assert value("yizhan_outbox_delivery_failures_total", {**labels, "reason": "error"}) == 1
    assert value("yizhan_outbox_delivery_failures_total", {"kind": "wecom", "reason": "retry"}) == 0
