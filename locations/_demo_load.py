"""Loading the synthetic demo set into an empty registry (`yizhan serve --demo`, `yizhan chat`)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import Database
from core.store import Store

from ._demo import demo_stations
from ._finder import signal_stations_changed
from ._models import Station
from ._registry import upsert_stations

DEMO_SEED = 2025


async def load_demo_if_empty(db: Database, store: Store) -> int:
    """Load the synthetic demo set when no station exists yet; returns how many were loaded."""
    async with db.session() as session:
        if (await session.execute(select(func.count()).select_from(Station))).scalar_one():
            return 0
    stations = demo_stations(seed=DEMO_SEED)
    await upsert_stations(db, stations, source="demo")
    await signal_stations_changed(db, store)  # every process reloads (StationFinder)
    return len(stations)
