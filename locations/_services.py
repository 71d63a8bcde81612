"""The service catalogue: the notice's "15项+" with stable codes (DESIGN.md) and Chinese labels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    label: str  # what users see
    label_en: str
    basic: bool  # one of the 15 basic services (the others are the notice's extras)


SERVICES: tuple[Service, ...] = (
    Service("policy_info", "政策宣传", "Policy info", True),
    Service("rest", "休息", "Rest", True),
    Service("drinking_water", "饮水", "Drinking water", True),
    Service("meal_heating", "热饭", "Meal heating", True),
    Service("toilet_guidance", "如厕指引", "Toilet", True),
    Service("phone_charging", "手机充电", "Phone charging", True),
    Service("fridge_or_ice", "冰箱或制冰机", "Fridge / ice", True),
    Service("haircut", "理发", "Haircut", True),
    Service("first_aid", "应急药品", "First aid", True),
    Service("repair_tools", "小维修工具", "Repair tools", True),
    Service("sewing_kit", "针线包", "Sewing kit", True),
    Service("rain_gear", "雨具", "Rain gear", True),
    Service("union_enrollment", "一键入会", "Join the union", True),
    Service("mutual_aid", "爱心互献", "Mutual aid", True),
    Service("legal_aid_guidance", "法律援助指引", "Legal aid guidance", True),
    Service("discount_meals", "优惠餐", "Discount meals", False),
    Service("ebike_charging", "电动车充换电", "E-bike charging", False),
)

BY_CODE: dict[str, Service] = {s.code: s for s in SERVICES}
BASIC_CODES: tuple[str, ...] = tuple(s.code for s in SERVICES if s.basic)
_BY_LABEL: dict[str, str] = {s.label: s.code for s in SERVICES}
# A bit per service, for fast "offers every asked service" checks in the spatial index.
SERVICE_BIT: dict[str, int] = {s.code: 1 << i for i, s in enumerate(SERVICES)}


def service_code(token: str) -> str | None:
    """The code for a code or a Chinese label (as written in import files); None if unknown."""
    token = token.strip()
    if token in BY_CODE:
        return token
    return _BY_LABEL.get(token)


def service_mask(codes: Iterable[str]) -> int:
    mask = 0
    for code in codes:
        mask |= SERVICE_BIT[code]
    return mask
