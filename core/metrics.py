"""`GET /metrics` (Prometheus): who may read it, and the numbers an operator watches.

Access (`METRICS_TOKEN`). The numbers say how busy each union is and how far behind delivery
runs, which is nobody else's business, so the endpoint is never open to the internet:
- with a token set, a scrape must send `Authorization: Bearer <token>` (compared in constant
  time; wrong tokens count towards the per-address guessing limit, `core.guard`);
- without one, only a direct local scrape is answered: the connection's own peer is loopback
  and no proxy header (`X-Forwarded-For`, `X-Real-IP`, `Forwarded`) is present, which a reverse
  proxy always adds. Everyone else gets 404, as if there were no such page.
A token rather than a second port: one listener per process to run, health-check and put in a
unit file, the same in compose, systemd and behind a load balancer, and Prometheus sends bearer
tokens natively (`authorization: {credentials_file: …}`).

Numbers. Besides the HTTP counters (`core.http.HttpMetrics`), gauges are refreshed from the
database at scrape time by probes (`Probe`, an async callable), so every process reports the
same shared truth (outbox rows, open cases) and nothing is counted twice across processes:
- `yizhan_outbox_rows{kind,status}` pending / sending / dead rows, and
  `yizhan_outbox_oldest_pending_seconds` (0 when nothing waits);
- `yizhan_outbox_delivery_failures_total{kind,reason}` counted in this process as its senders
  fail (`retry`: will be tried again, `rejected`: given up for good, `error`: unexpected);
- the composition root adds probes for stations and cases (`yizhan/observe.py`).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from sqlalchemy import func, select

from .db import Database
from .guard import AuthFailures
from .http import Problem
from .outbox import GiveUp, OutboxMessage, OutboxStatus, RetryLater, Sender, utcnow

log = logging.getLogger(__name__)
Probe = Callable[[], Awaitable[None]]
_PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


class MetricsPage:
    """The `/metrics` handler: access check, probes refreshed, the registry rendered."""

    def __init__(
        self, registry: CollectorRegistry, token: str | None, probes: Sequence[Probe] = ()
    ) -> None:
        self.registry, self._token, self.probes = registry, token or None, list(probes)

    async def handle(self, request: web.Request) -> web.Response:
        await self._allow(request)
        for probe in self.probes:
            try:
                await probe()
            except Exception:  # a database blink must not hide the other numbers
                log.warning(
                    "metrics: a probe failed; its gauges keep their last values", exc_info=True
                )
        response = web.Response(body=generate_latest(self.registry))
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return response

    async def _allow(self, request: web.Request) -> None:
        if self._token is None:
            if not _direct_local(request):
                raise web.HTTPNotFound()
            return
        failures = AuthFailures.of(request, "metrics_token")
        await failures.check()
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), self._token.encode()
        ):
            await failures.record()
            raise Problem(
                401,
                "未通过身份验证",
                "读取监控指标需要 METRICS_TOKEN（Authorization: Bearer …）。",
                headers={"WWW-Authenticate": 'Bearer realm="yizhan-metrics"'},
            )


def _direct_local(request: web.Request) -> bool:
    if any(name in request.headers for name in _PROXY_HEADERS):
        return False
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    host = peer[0] if isinstance(peer, tuple | list) and peer else None
    if not isinstance(host, str):
        return False
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


# -- the outbox ---------------------------------------------------------------------------------


class OutboxGauges:
    """Rows waiting and how long the oldest has waited, read from the shared table."""

    def __init__(self, registry: CollectorRegistry, db: Database) -> None:
        self.db = db
        self.rows = Gauge(
            "yizhan_outbox_rows",
            "Outbox rows not yet sent, by kind and status (pending, sending, dead)",
            ["kind", "status"],
            registry=registry,
        )
        self.oldest = Gauge(
            "yizhan_outbox_oldest_pending_seconds",
            "Age of the oldest pending or sending outbox row (0 when none waits)",
            registry=registry,
        )

    async def __call__(self) -> None:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        waiting = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
        async with self.db.session() as session:
            grouped: Any = (
                await session.execute(
                    select(table.c.kind, table.c.status, func.count())
                    .where(table.c.status != OutboxStatus.SENT.value)
                    .group_by(table.c.kind, table.c.status)
                )
            ).all()
            oldest = (
                await session.execute(
                    select(func.min(table.c.created_at)).where(table.c.status.in_(waiting))
                )
            ).scalar()
        self.rows.clear()
        for kind, status, count in grouped:
            self.rows.labels(str(kind), str(status)).set(int(count))
        self.oldest.set(_age(oldest))


def _age(since: datetime | str | None) -> float:
    if since is None:
        return 0.0
    if isinstance(since, str):  # SQLite hands an aggregate back as text
        since = datetime.fromisoformat(since)
    if since.tzinfo is None:
        since = since.replace(tzinfo=utcnow().tzinfo)
    return max(0.0, (utcnow() - since).total_seconds())


def count_failures(senders: dict[str, Sender], registry: CollectorRegistry) -> None:
    """Wrap every registered outbox sender (in place) so its failures are counted by kind and
    reason in `yizhan_outbox_delivery_failures_total`; what it raises is unchanged."""
    failures = Counter(
        "yizhan_outbox_delivery_failures",
        "Outbox deliveries that failed in this process, by kind and reason",
        ["kind", "reason"],
        registry=registry,
    )
    for kind, sender in list(senders.items()):
        senders[kind] = _counted(kind, sender, failures)


def _counted(kind: str, sender: Sender, failures: Counter) -> Sender:
    retry, rejected, error = (failures.labels(kind, r) for r in ("retry", "rejected", "error"))

    async def send(message: OutboxMessage) -> dict[str, object] | None:
        try:
            return await sender(message)
        except RetryLater:
            retry.inc()
            raise
        except GiveUp:
            rejected.inc()
            raise
        except Exception:
            error.inc()
            raise

    return send
