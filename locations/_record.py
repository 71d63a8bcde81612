"""`StationRecord`: one station as search and replies see it."""

from __future__ import annotations

from dataclasses import dataclass

from ._coords import Point


@dataclass(frozen=True, slots=True)
class StationRecord:
    """What search and replies need of a station; a snapshot, not a database row."""

    id: int
    code: str
    name: str
    address: str
    league: str
    county: str
    point: Point
    kind: str
    build_mode: str
    host_type: str
    opening_hours: str
    services: tuple[str, ...]
    most_beautiful: bool
    smart_24h: bool
    phone: str
    status: str = "active"
    area_m2: float | None = None
    opening_hours_text: str = ""  # the union's own words; "" when they wrote OSM syntax
    extras: tuple[str, ...] = ()  # amenities beyond the catalogue (WiFi, 空调, …)
    # False: the union gave no hours. Never shown as open; `opening_hours` is then "".
    hours_known: bool = True
    owner_union: str = ""  # 所属工会 as the union's list names it
