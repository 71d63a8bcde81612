"""Reading what riders write: service words with their everyday synonyms, place names, and the
intents of the table below (joining the union, a closed station, legal aid, a person to talk
to, …), on every channel and from voice input alike.

Workers type what they need, not catalogue names: "上厕所", "微波炉", "换电", "下雨了".
Longer phrases are matched first and consumed, so "电动车充电" means e-bike charging and not
also phone charging. Matching is robust to typos, homophones from voice input, full-width
characters, emoji and mixed Chinese/English: see `_fuzzy.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from locations import BY_CODE, SERVICES, Point, find_places

from ._fuzzy import PhraseTable, read, word_near

# Everyday words → service code. Catalogue labels ("热饭", "如厕指引", …) are added below.
SYNONYMS: dict[str, str] = {
    # toilet
    "厕所": "toilet_guidance",
    "上厕所": "toilet_guidance",
    "卫生间": "toilet_guidance",
    "洗手间": "toilet_guidance",
    "如厕": "toilet_guidance",
    "茅房": "toilet_guidance",
    "茅厕": "toilet_guidance",
    "解手": "toilet_guidance",
    "方便一下": "toilet_guidance",
    "尿尿": "toilet_guidance",
    "toilet": "toilet_guidance",
    "restroom": "toilet_guidance",
    "wc": "toilet_guidance",
    # meals
    "热饭": "meal_heating",
    "微波炉": "meal_heating",
    "加热": "meal_heating",
    "热一下饭": "meal_heating",
    "热乎饭": "meal_heating",
    "热热饭": "meal_heating",
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
    "口渴": "drinking_water",
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
    "创口贴": "first_aid",
    "碘伏": "first_aid",
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
    "坐一会": "rest",
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
_SERVICE_SOUNDS = PhraseTable((word, code) for word, code in SYNONYMS.items())


@dataclass(frozen=True, slots=True)
class Intent:
    """A row of the intent table: what riders mean by any of `phrases`.

    `says` is what the conversation is handed instead of the rider's words: a menu label or a
    command its dialogs answer ("" for the station search, which reads the words itself).
    `unless`: service codes that win when asked for in the same text ("受伤了，有创可贴吗").
    `but_not`: phrases that mean something else ("几点关门" asks for hours, not a report)."""

    name: str
    says: str
    phrases: tuple[str, ...]
    unless: frozenset[str] = frozenset()
    but_not: tuple[str, ...] = ()


NEARBY = "nearby"


def words(listed: str) -> tuple[str, ...]:
    """Phrases written as a Chinese list: "关门、锁门、closed"."""
    return tuple(w.strip() for w in listed.split("、") if w.strip())


# Most specific first: the first intent of this table found in a text wins ("附近驿站关门了" is
# a report; "找工会讨薪" is legal aid). Station requests rank below the dialogs, greetings last.
INTENTS: tuple[Intent, ...] = (
    Intent(
        "closed",
        "/closed",
        words(
            "关门、关了、锁门、锁着、上锁、门锁、没开门、不开门、门没开、没开、还没开、打不开、进不去、闭门、关板、不营业、停业、歇业、没人开门、黑着灯、冇开、closed、locked、shut"
        ),
        but_not=words(
            "开没开、几点关门、几点开门、几点开、什么时候关门、什么时候开门、啥时候关门、啥时候开门、关门吗、开门吗、开着吗、关门时间、开门时间"
        ),
    ),
    Intent(
        "legal",
        "/legal traffic_accident",
        words("车祸、撞车、被撞、撞了、追尾、交通事故、出事故、剐蹭、刮蹭、accident、crash"),
    ),
    Intent(
        "legal",
        "/legal work_injury",
        words(
            "受伤、工伤、伤了、摔伤、摔了、摔倒、碰伤、磕伤、砸伤、烫伤、扭伤、骨折、流血、伤着、injured、injury、hurt"
        ),
        unless=frozenset({"first_aid"}),
    ),
    Intent(
        "legal",
        "/legal unpaid_wages",
        words(
            "欠薪、欠工资、拖欠、工资、工钱、薪水、薪资、不发钱、不给钱、不结账、结不了账、克扣、讨薪、血汗钱、老板跑了、跑路、unpaid、wage、wages、salary"
        ),
    ),
    Intent(
        "legal",
        "/legal account_penalty",
        words("罚款、罚钱、被罚、扣钱、封号、账号被封、冻结、扣分、处罚、penalty"),
    ),
    Intent(
        "legal",
        "/legal social_insurance",
        words("社保、五险、医保、养老保险、保险、insurance"),
    ),
    Intent(
        "legal",
        "/legal labour_contract",
        words("合同、辞退、开除、解雇、被裁、裁员、炒鱿鱼、被炒、contract、fired"),
    ),
    Intent(
        "legal",
        "/legal",
        words("法律、法援、律师、维权、打官司、仲裁、起诉、告老板、lawyer、legal、law"),
    ),
    Intent(
        "member",
        "我的会员",
        words(
            "我的会员、会员号、会员信息、查会员、会员卡、入会进度、入会审核、入会结果、审核结果、入会了吗、是会员吗、membership、member"
        ),
    ),
    Intent(
        "my_cases",
        "我的求助",
        words(
            "我的求助、求助进度、查进度、进度、办得怎么样、处理得怎么样、有结果了吗、我的反馈、回复了吗、my cases、progress"
        ),
    ),
    Intent(
        "join",
        "一键入会",
        words(
            "入会、入个会、怎么入会、我要入会、我想入会、申请入会、加入工会、参加工会、进工会、入工会、加工会、当会员、成为会员、办会员、工会会员、join union、join the union、join、union"
        ),
    ),
    Intent(
        "human",
        "/human",
        words(
            "人工、客服、真人、活人、找工会、联系工会、工会电话、工会的人、工作人员、找人、热线、电话多少、human、agent、real person、staff"
        ),
    ),
    Intent(
        "feedback",
        "反馈问题",
        words(
            "反馈、投诉、举报、提意见、意见、建议、差评、表扬、不干净、卫生差、太脏、设施坏、complaint、complain、feedback、report"
        ),
    ),
    Intent(
        "nearby",
        "",
        words(
            "附近驿站、附近的驿站、最近的驿站、找驿站、驿站、附近、最近驿站、休息站、休息点、服务站、几点开门、几点关门、开门吗、开着吗、营业时间、开门时间、关门时间、nearby、near me、nearest、closest、station、stations"
        ),
    ),
    Intent(
        "help",
        "帮助",
        words(
            "帮助、怎么用、咋用、如何使用、使用说明、说明、功能、菜单、能干啥、能做什么、能干什么、干啥的、有啥用、help、menu、how to use"
        ),
    ),
    Intent(
        "hello",
        "/start",
        words("你好、您好、在吗、在不在、有人吗、哈喽、嗨、早上好、hi、hello、hey"),
    ),
)
_INTENT_TABLE = PhraseTable(
    (phrase, index) for index, intent in enumerate(INTENTS) for phrase in intent.phrases
)
_NEARBY_INDEX = next(i for i, intent in enumerate(INTENTS) if intent.name == NEARBY)
_NEARBY_TABLE = PhraseTable((p, _NEARBY_INDEX) for p in INTENTS[_NEARBY_INDEX].phrases)
# Kept for callers that list the nearby words.
NEARBY_WORDS = INTENTS[_NEARBY_INDEX].phrases


def services_in(text: str) -> list[str]:
    """Service codes the text asks for, in the order of the catalogue. Words as written
    first; when none is there, words that sound the same ("测所", "冲电")."""
    reading = read(text)
    rest = reading.norm
    found: set[str] = set()
    for word in _ORDERED:
        if word.isascii():
            if any(word_near(w, word) for w in reading.words):
                found.add(SYNONYMS[word])
        elif word in rest:
            found.add(SYNONYMS[word])
            rest = rest.replace(word, " ")
    if not found:
        found = _SERVICE_SOUNDS.by_sound(reading)
    return [s.code for s in SERVICES if s.code in found]


def asks_nearby(text: str) -> bool:
    reading = read(text)
    return bool(_NEARBY_TABLE.certain(reading) or _NEARBY_TABLE.fuzzy(reading))


@lru_cache(maxsize=4096)  # riders write the same few things; the table never changes
def understand(text: str) -> Intent | None:
    """The intent of the table a rider's free text most likely means, None when nothing fits.

    Certain matches (as written, or by sound) are looked at first; a request for services or
    a place counts as the station search. Only when nothing is certain are long phrases
    allowed one syllable off."""
    reading = read(text)
    if not reading.norm:
        return None
    services = frozenset(services_in(text))
    found = _INTENT_TABLE.certain(reading)
    picked = _pick({i for i in found if i < _NEARBY_INDEX}, services, reading.compact)
    if picked is not None:  # a dialog: no need to look for places
        return picked
    stations = bool(services) or find_place(text) is not None
    if stations:
        found.add(_NEARBY_INDEX)
    picked = _pick(found, services, reading.compact)
    if picked is None and not stations:
        picked = _pick(_INTENT_TABLE.fuzzy(reading), services, reading.compact)
    return picked


def _pick(found: set[int], services: frozenset[str], compact: str) -> Intent | None:
    for index in sorted(found):
        intent = INTENTS[index]
        if intent.unless & services:
            continue
        if any(phrase in compact for phrase in intent.but_not):
            continue
        return intent
    return None


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
