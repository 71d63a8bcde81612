"""What `/metrics` reports beyond HTTP and the outbox: the station index and the cases, read at
scrape time (the probes `core.metrics.MetricsPage` runs), plus the wiring of it all.

- `yizhan_stations_indexed` active stations this process searches, `yizhan_stations_listed`
  (active and suspended), `yizhan_station_index_age_seconds` since this process last swapped in
  a new index (seen at scrape time, so to within one scrape interval), and
  `yizhan_station_index_build_seconds`, how long the last build took.
- `yizhan_cases_open{union,kind}` new or claimed cases per responsible union (its key),
  `yizhan_cases_sla_breached{union}` legal-aid requests still unclaimed past their deadline
  now, and `yizhan_cases_sla_breaches{outcome}` deadlines missed so far (escalated / missed).
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import func, select

from core.metrics import MetricsPage, OutboxGauges, count_failures
from handlers import Services
from membership import Union
from referrals import Case, CaseEvent, CaseStatus

OPEN = (CaseStatus.NEW.value, CaseStatus.CLAIMED.value)
BREACHES = {"escalated": "escalated", "sla_missed": "missed"}  # case event → outcome label


class StationGauges:
    def __init__(self, registry: CollectorRegistry, services: Services) -> None:
        self.finder = services.finder
        self.indexed = Gauge(
            "yizhan_stations_indexed", "Active stations in this process's index", registry=registry
        )
        self.listed = Gauge(
            "yizhan_stations_listed", "Stations known (active or suspended)", registry=registry
        )
        self.age = Gauge(
            "yizhan_station_index_age_seconds",
            "Seconds since this process swapped in its current station index",
            registry=registry,
        )
        self.build = Gauge(
            "yizhan_station_index_build_seconds",
            "How long building the current station index took",
            registry=registry,
        )
        self._seen: object = None
        self._since = time.monotonic()

    async def __call__(self) -> None:
        index = self.finder.index
        if index is not self._seen:  # a new index was swapped in since the last scrape
            self._seen, self._since = index, time.monotonic()
        self.indexed.set(len(index))
        self.listed.set(len(index.stations))
        self.age.set(time.monotonic() - self._since)
        self.build.set(self.finder.last_build_seconds)


class CaseGauges:
    def __init__(self, registry: CollectorRegistry, services: Services) -> None:
        self.db, self.clock = services.db, services.clock
        self.open = Gauge(
            "yizhan_cases_open",
            "Cases new or claimed, by responsible union and kind",
            ["union", "kind"],
            registry=registry,
        )
        self.breached = Gauge(
            "yizhan_cases_sla_breached",
            "Legal-aid requests unclaimed past their deadline, by responsible union",
            ["union"],
            registry=registry,
        )
        self.breaches = Gauge(
            "yizhan_cases_sla_breaches",
            "Deadlines missed so far: escalated to the union above, or missed with none above",
            ["outcome"],
            registry=registry,
        )

    async def __call__(self) -> None:
        cases: Any = Case.__table__  # type: ignore[attr-defined]
        unions: Any = Union.__table__  # type: ignore[attr-defined]
        events: Any = CaseEvent.__table__  # type: ignore[attr-defined]
        union = func.coalesce(unions.c.key, "-")  # the union's stable import key
        joined = cases.outerjoin(unions, unions.c.id == cases.c.union_id)
        now = self.clock.now()
        async with self.db.session() as session:
            opened: Any = (
                await session.execute(
                    select(union, cases.c.kind, func.count())
                    .select_from(joined)
                    .where(cases.c.status.in_(OPEN))
                    .group_by(union, cases.c.kind)
                )
            ).all()
            late: Any = (
                await session.execute(
                    select(union, func.count())
                    .select_from(joined)
                    .where(
                        cases.c.status == CaseStatus.NEW.value,
                        cases.c.sla_due_at.is_not(None),
                        cases.c.sla_due_at <= now,
                    )
                    .group_by(union)
                )
            ).all()
            missed: Any = (
                await session.execute(
                    select(events.c.action, func.count())
                    .where(events.c.action.in_(list(BREACHES)))
                    .group_by(events.c.action)
                )
            ).all()
        self.open.clear()
        for key, kind, count in opened:
            self.open.labels(str(key), str(kind)).set(int(count))
        self.breached.clear()
        for key, count in late:
            self.breached.labels(str(key)).set(int(count))
        counted = {str(action): int(count) for action, count in missed}
        for action, outcome in BREACHES.items():
            self.breaches.labels(outcome).set(counted.get(action, 0))


def setup_metrics(app: web.Application, services: Services) -> MetricsPage:
    """Mount `GET /metrics` with every probe, and count outbox failures by kind (call after
    the senders are registered)."""
    registry = services.registry
    token = services.settings.metrics_token
    page = MetricsPage(
        registry,
        token.get_secret_value() if token is not None else None,
        [
            OutboxGauges(registry, services.db),
            StationGauges(registry, services),
            CaseGauges(registry, services),
        ],
    )
    count_failures(services.outbox.senders, registry)
    app.router.add_get("/metrics", page.handle)
    return page
