"""Reading typed requests: service words with their everyday synonyms, and place names.

Workers type what they need, not catalogue names: "上厕所", "微波炉", "换电", "下雨了".
Longer phrases are matched first and consumed, so "电动车充电" means e-bike charging and not
also phone charging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from locations import BY_CODE, SERVICES, Point, find_places

# Everyday words → service code. Catalogue labels ("热饭", "如厕指引", …) are added below.
SYNONYMS: dict[str, str] = {
    # toilet
    "厕所": "toilet_guidance",
    "上厕所": "toilet_guidance",
    "卫生间": "toilet_guidance",
    "洗手间": "toilet_guidance",
    "如厕": "toilet_guidance",
    "茅房": "toilet_guidance",
    "toilet": "toilet_guidance",
    "restroom": "toilet_guidance",
    "wc": "toilet_guidance",
    # meals
    "热饭": "meal_heating",
    "微波炉": "meal_heating",
    "加热": "meal_heating",
    "热一下饭": "meal_heating",
    "microwave": "meal_heating",
    "优惠餐": "discount_meals",
    "吃饭": "discount_meals",
    "便宜饭": "discount_meals",
    # water
    "喝水": "drinking_water",
    "饮水": "drinking_water",
    "热水": "drinking_water",
    "开水": "drinking_water",
    "接水": "drinking_water",
    "渴": "drinking_water",
    "water": "drinking_water",
    # charging: e-bike phrases are longer, so they win over plain "充电"
    "换电": "ebike_charging",
    "换电池": "ebike_charging",
    "电动车充电": "ebike_charging",
    "电瓶车充电": "ebike_charging",
    "充换电": "ebike_charging",
    "电瓶": "ebike_charging",
    "电动车": "ebike_charging",
    "充电": "phone_charging",
    "手机没电": "phone_charging",
    "充电宝": "phone_charging",
    "charge": "phone_charging",
    "charging": "phone_charging",
    # first aid
    "药": "first_aid",
    "药品": "first_aid",
    "创可贴": "first_aid",
    "急救": "first_aid",
    "中暑": "first_aid",
    "受伤": "first_aid",
    "medicine": "first_aid",
    # rain
    "下雨": "rain_gear",
    "雨伞": "rain_gear",
    "雨衣": "rain_gear",
    "雨具": "rain_gear",
    "借伞": "rain_gear",
    "umbrella": "rain_gear",
    "rain": "rain_gear",
    # the rest
    "休息": "rest",
    "歇脚": "rest",
    "歇会": "rest",
    "歇一会": "rest",
    "rest": "rest",
    "冰箱": "fridge_or_ice",
    "冰块": "fridge_or_ice",
    "降温": "fridge_or_ice",
    "理发": "haircut",
    "剪头": "haircut",
    "剪头发": "haircut",
    "haircut": "haircut",
    "修车": "repair_tools",
    "打气": "repair_tools",
    "补胎": "repair_tools",
    "工具": "repair_tools",
    "针线": "sewing_kit",
    "缝扣子": "sewing_kit",
}
for _service in SERVICES:
    SYNONYMS.setdefault(_service.label, _service.code)
# Joining the union and legal aid are dialogs, not station filters (see the menu router).
for _word in ("一键入会", "法律援助指引"):
    SYNONYMS.pop(_word, None)

_ORDERED = sorted(SYNONYMS, key=len, reverse=True)
_ASCII_WORD = re.compile(r"[a-z]+")

# Words that ask for stations without naming a service.
NEARBY_WORDS = (
    "附近驿站",
    "附近的驿站",
    "最近的驿站",
    "找驿站",
    "驿站",
    "附近",
    "nearby",
    "station",
    "stations",
)


def services_in(text: str) -> list[str]:
    """Service codes the text asks for, in the order of the catalogue."""
    rest = text.lower()
    found: set[str] = set()
    ascii_words = set(_ASCII_WORD.findall(rest))
    for word in _ORDERED:
        if word.isascii():
            if word in ascii_words:
                found.add(SYNONYMS[word])
        elif word in rest:
            found.add(SYNONYMS[word])
            rest = rest.replace(word, " ")
    return [s.code for s in SERVICES if s.code in found]


def asks_nearby(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in NEARBY_WORDS)


@dataclass(frozen=True, slots=True)
class PlaceHit:
    name: str
    point: Point  # WGS-84


def find_place(text: str) -> PlaceHit | None:
    """The most specific league, city or county named in `text` ("呼和浩特 赛罕区" → 赛罕区),
    searched from its seat; None when the text names no place."""
    hits = find_places(text)
    if not hits:
        return None
    best = hits[0]  # most specific first
    name = best.name if best.level == "league" else f"{best.league}{best.name}"
    return PlaceHit(name, best.point)


def service_label(code: str, language: str) -> str:
    service = BY_CODE[code]
    return service.label_en if language == "en" else service.label
