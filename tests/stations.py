"""Small hand-made station sets for tests (positions in WGS-84)."""

from __future__ import annotations

from handlers import Services
from locations import StationInput, upsert_stations

# Around Hohhot's Xinhua Square (新华广场), WGS-84.
HOHHOT = (40.8175, 111.6610)


def station(code: str, lat: float, lng: float, **fields: object) -> StationInput:
    defaults: dict[str, object] = {
        "name": f"测试驿站{code}",
        "address": "呼和浩特市新城区",
        "league": "呼和浩特市",
        "county": "新城区",
        "services": ["rest", "drinking_water", "toilet_guidance"],
        "opening_hours": "24/7",
    }
    defaults.update(fields)
    return StationInput(code=code, lat=lat, lng=lng, **defaults)  # type: ignore[arg-type]


async def add_stations(context: Services, *items: StationInput) -> None:
    await upsert_stations(context.db, list(items), source="test")
    await context.finder.stations_changed()
