"""Checking what a worker types: name, mobile number, resident ID number (GB 11643-1999).

Each check returns the normalised value or raises `InvalidField` naming the field with a
Chinese message the worker can act on.
"""

from __future__ import annotations

import re
from datetime import date

from ._occupations import OCCUPATIONS, occupation_code


class InvalidField(ValueError):
    """One field is wrong; `field` is its name, the message says how to fix it, in Chinese."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


# Han characters (basic and extension A), Mongolian script, and the "·" in transliterated names
# (阿拉坦·巴根); Latin letters and spaces for names written in pinyin or other scripts.
_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\u1800-\u18af·•．. A-Za-z]+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
MIN_AGE = 16  # the legal working age; younger people cannot join a trade union


def clean_name(raw: str) -> str:
    name = re.sub(r"\s+", " ", raw.strip()).replace("•", "·").replace("．", "·")
    # "张 三" (a Telegram first and last name joined) is 张三; "Li Lei" keeps its space.
    name = re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", name)
    if not name:
        raise InvalidField("name", "请填写您的姓名。")
    if len(name) < 2 or len(name) > 30:
        raise InvalidField("name", "姓名应为 2–30 个字，请填写身份证上的姓名。")
    if not _NAME.match(name) or name.startswith("·") or name.endswith("·"):
        raise InvalidField(
            "name", "姓名只能包含汉字、蒙古文、字母，少数民族姓名可用“·”分隔，不要带数字或符号。"
        )
    return name


def clean_mobile(raw: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", raw.strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MOBILE.match(digits):
        raise InvalidField("phone", "手机号应为 11 位数字、以 1 开头，例如 138 1234 5678。")
    return digits


def id_check_char(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def clean_id_number(raw: str, *, today: date) -> str:
    number = re.sub(r"\s", "", raw.strip()).upper()
    if not _ID.match(number):
        raise InvalidField("id_number", "身份证号应为 18 位，前 17 位是数字，最后一位是数字或 X。")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidField("id_number", "身份证号里的出生日期不存在，请核对第 7–14 位。") from None
    if birth.year < 1900 or birth > today:
        raise InvalidField("id_number", "身份证号里的出生日期不对，请核对第 7–14 位。")
    if id_check_char(number[:17]) != number[17]:
        raise InvalidField("id_number", "身份证号校验不通过，可能有一位输错了，请逐位核对。")
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if age < MIN_AGE:
        raise InvalidField("id_number", f"入会需年满 {MIN_AGE} 周岁。")
    return number


def clean_occupation(raw: str) -> str:
    code = occupation_code(raw)
    if code is None:
        choices = "、".join(OCCUPATIONS.values())
        raise InvalidField("occupation", f"请从这些职业中选择：{choices}。")
    return code


def clean_employer(raw: str) -> str:
    employer = re.sub(r"\s+", " ", raw.strip())
    if not employer:
        raise InvalidField(
            "employer", "请填写工作单位或平台，例如“美团”“顺丰速运”；没有就写“个人”。"
        )
    if len(employer) > 100:
        raise InvalidField("employer", "工作单位或平台名称太长了，请写 100 字以内。")
    return employer
