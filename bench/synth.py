"""Synthetic stations for benchmarks: StationRecord lists made directly (no database).

Clustered like the real thing: most stations in and around the 12 league/city seats of Inner
Mongolia, the rest scattered over the region. Three services have fixed shares so filters of
different selectivity can be measured: drinking_water 30 %, meal_heating 5 %, haircut 0.5 %.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from locations import Point, StationRecord

# Approximate WGS-84 centres of the 12 league/city seats, with a weight (bigger cities, more
# stations) and a spread in degrees.
CITIES: list[tuple[str, float, float, float]] = [
    ("呼和浩特", 40.842, 111.749, 6),
    ("包头", 40.657, 109.840, 6),
    ("鄂尔多斯", 39.608, 109.781, 4),
    ("赤峰", 42.258, 118.888, 4),
    ("通辽", 43.652, 122.243, 3),
    ("呼伦贝尔", 49.211, 119.766, 2),
    ("乌兰察布", 41.034, 113.133, 2),
    ("巴彦淖尔", 40.743, 107.388, 2),
    ("乌海", 39.655, 106.794, 2),
    ("兴安盟", 46.083, 122.038, 1),
    ("锡林郭勒", 43.933, 116.048, 1),
    ("阿拉善", 38.851, 105.729, 1),
]
BOX = (37.4, 53.3, 97.2, 126.1)  # lat min/max, lng min/max of the region
SHARES = {"drinking_water": 0.30, "meal_heating": 0.05, "haircut": 0.005}
OTHER = ("rest", "toilet_guidance", "phone_charging", "policy_info", "first_aid", "rain_gear")
HOURS = (
    ("24/7", 0.20),
    ("Mo-Fr 08:00-20:00; PH off", 0.25),
    ("Mo-Su 07:00-22:00", 0.20),
    ("Mo-Sa 08:30-18:00", 0.15),
    ("Mo-Fr 09:00-17:00; Sa 09:00-12:00; PH off", 0.10),
    ("Mo-Su 06:00-23:00", 0.05),
    ("Mo-Su 20:00-02:00", 0.05),
)


def positions(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """80 % around the cities (most within a few km of the centre), 20 % anywhere."""
    weights = np.array([c[3] for c in CITIES], float)
    city = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    spread = rng.choice([0.03, 0.08, 0.3], size=n, p=[0.5, 0.35, 0.15])
    lat = np.array([c[1] for c in CITIES])[city] + rng.normal(size=n) * spread
    lng = np.array([c[2] for c in CITIES])[city] + rng.normal(size=n) * spread * 1.3
    rural = rng.random(n) < 0.2
    lat[rural] = rng.uniform(BOX[0], BOX[1], rural.sum())
    lng[rural] = rng.uniform(BOX[2], BOX[3], rural.sum())
    return lat, lng


def stations(n: int, seed: int = 1) -> list[StationRecord]:
    return list(iter_stations(n, seed))


def iter_stations(n: int, seed: int = 1) -> Iterator[StationRecord]:
    """The same stations one at a time (a server never holds them all as objects)."""
    rng = np.random.default_rng(seed)
    lat, lng = positions(rng, n)
    offered = {code: rng.random(n) < share for code, share in SHARES.items()}
    others = rng.random((n, len(OTHER))) < 0.6
    hours = rng.choice(len(HOURS), size=n, p=[h[1] for h in HOURS])
    for i in range(n):
        services = tuple(c for c in SHARES if offered[c][i]) + tuple(
            c for j, c in enumerate(OTHER) if others[i, j]
        )
        yield StationRecord(
            id=i + 1,
            code=f"SYN-{i + 1:07d}",
            name=f"合成测试驿站{i + 1:07d}号",
            address=f"内蒙古合成测试地址{i % 997}路{i + 1}号",
            league="合成盟市",
            county="合成旗县",
            point=Point(float(lat[i]), float(lng[i])),
            kind="standard",
            build_mode="self",
            host_type="",
            opening_hours=HOURS[hours[i]][0],
            services=services,
            most_beautiful=False,
            smart_24h=False,
            phone=f"0471-{i % 10_000_000:07d}",
        )


def queries(n: int, seed: int = 2) -> list[Point]:
    """Clustered queries: workers in and around the city centres."""
    rng = np.random.default_rng(seed)
    weights = np.array([c[3] for c in CITIES], float)
    city = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    lat = np.array([c[1] for c in CITIES])[city] + rng.normal(size=n) * 0.05
    lng = np.array([c[2] for c in CITIES])[city] + rng.normal(size=n) * 0.065
    return [Point(float(a), float(b)) for a, b in zip(lat, lng, strict=True)]
