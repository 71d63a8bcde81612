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
# A bit per service, for fast "offers every asked service" checks in the spatial index.
SERVICE_BIT: dict[str, int] = {s.code: 1 << i for i, s in enumerate(SERVICES)}


# What clerks write for each service. A word that could mean two services (充电: a phone or an
# e-bike?) is in AMBIGUOUS instead, so the import asks rather than guesses.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "policy_info": ("政策咨询", "政策宣讲", "普法宣传", "宣传资料"),
    "rest": ("休息区", "休息室", "歇脚", "休憩", "避暑", "取暖", "纳凉"),
    "drinking_water": ("热水", "开水", "饮用水", "喝水", "饮水机", "茶水", "冷热水", "免费饮水"),
    "meal_heating": ("微波炉", "加热", "热餐", "餐食加热", "加热饭菜", "热饭菜"),
    "toilet_guidance": ("如厕", "厕所", "卫生间", "洗手间", "公厕", "如厕指引服务"),
    "phone_charging": ("充电宝", "手机充电器", "充电器", "共享充电宝"),
    "fridge_or_ice": ("冰箱", "制冰机", "冰柜", "冷藏"),
    "haircut": ("爱心理发", "义剪", "免费理发"),
    "first_aid": ("药箱", "急救箱", "医药箱", "常用药品", "药品", "急救包", "应急药箱"),
    "repair_tools": ("维修工具", "工具箱", "打气筒", "充气", "维修"),
    "sewing_kit": ("针线", "针线盒"),
    "rain_gear": ("雨伞", "雨衣", "爱心雨伞"),
    "union_enrollment": ("入会", "工会入会", "入会服务"),
    "mutual_aid": ("爱心互助", "互助"),
    "legal_aid_guidance": ("法律援助", "法律咨询", "维权", "维权服务", "法律服务"),
    "discount_meals": ("爱心餐", "优惠餐饮", "特价餐", "爱心午餐"),
    "ebike_charging": (
        "电动车充电",
        "换电",
        "电瓶车充电",
        "电动自行车充电",
        "充换电",
        "电动车换电",
    ),
}
AMBIGUOUS: dict[str, str] = {
    "充电": "“充电”是手机充电还是电动车充电？请写“手机充电”或“电动车充电”",
}
# Amenities outside the catalogue that stations commonly list: kept as extras, not refused.
KNOWN_EXTRAS = frozenset(
    {
        "wifi",
        "无线网",
        "无线网络",
        "空调",
        "图书角",
        "书籍",
        "阅读",
        "书架",
        "报刊",
        "电视",
        "血压计",
        "体重秤",
        "老花镜",
        "洗手池",
        "纸巾",
        "沙发",
        "桌椅",
        "座椅",
        "暖气",
        "防暑降温",
        "防暑药品",
        "储物柜",
        "快递柜",
        "按摩椅",
        "打印",
        "复印",
    }
)
_BY_WORD: dict[str, str] = {
    word.lower(): code for code, words in SYNONYMS.items() for word in words
} | {s.label: s.code for s in SERVICES}


def service_code(token: str) -> str | None:
    """The code for a code, a Chinese label or a synonym (as in import files); None if unknown."""
    token = token.strip()
    if token in BY_CODE:
        return token
    return _BY_WORD.get(token.lower())


def accepted_names() -> str:
    """The service names an import takes, for an error message."""
    return "、".join(s.label for s in SERVICES)


def service_mask(codes: Iterable[str]) -> int:
    mask = 0
    for code in codes:
        mask |= SERVICE_BIT[code]
    return mask
