"""The occupations a worker picks from when joining (codes are stable; labels are what they see)."""

from __future__ import annotations

OCCUPATIONS: dict[str, str] = {
    "courier": "快递员",
    "food_delivery": "外卖骑手",
    "truck_driver": "货车司机",
    "ride_hailing": "网约车司机",
    "sanitation": "环卫工人",
    "construction": "建筑工人",
    "municipal": "市政维护",
    "greening": "园林绿化",
    "traffic_auxiliary": "交通协管",
    "other": "其他",
}

# Other words people and import files use for the same jobs.
_ALIASES: dict[str, str] = {
    "快递": "courier",
    "快递小哥": "courier",
    "外卖": "food_delivery",
    "骑手": "food_delivery",
    "外卖员": "food_delivery",
    "送餐员": "food_delivery",
    "货车": "truck_driver",
    "卡车司机": "truck_driver",
    "网约车": "ride_hailing",
    "环卫": "sanitation",
    "建筑": "construction",
    "市政": "municipal",
    "绿化": "greening",
    "交通协管员": "traffic_auxiliary",
}


def occupation_code(text: str) -> str | None:
    """A code for a code, a label or a common alias; None when unknown."""
    text = text.strip()
    if text in OCCUPATIONS:
        return text
    for code, label in OCCUPATIONS.items():
        if text == label:
            return code
    return _ALIASES.get(text)
