"""Every code set the API speaks, with its labels: `GET /api/v1/codes` (all of them) and
`GET /api/v1/codes/{code_set}`. The same tables put a `*_label` next to each code in answers.

Labels are Chinese, or English for `Accept-Language: en` (the service catalogue carries its own
English names; the rest come from the gettext catalogue).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from core.http import Problem
from locations import BY_CODE, SERVICES
from membership import OCCUPATIONS
from referrals import FEEDBACK_CATEGORIES, LEGAL_CATEGORIES, status_label

from ._cache import CATALOGUE_MAX_AGE, cached_json
from ._lang import Labels, labels_for, language
from ._routes import api_route

STATION_KINDS = {"standard": "标准驿站", "micro": "微型驿站", "mobile": "流动驿站"}
BUILD_MODES = {"self": "自建", "joint": "共建"}
STATION_STATUSES = {"active": "正常开放", "suspended": "暂停服务"}
CASE_KINDS = {"feedback": "驿站反馈", "legal_aid": "法律援助"}
CASE_STATUSES = {s: status_label(s) for s in ("new", "claimed", "resolved", "duplicate")}
ENROLLMENT_STATUSES = {"submitted": "审核中", "approved": "已入会", "rejected": "未通过"}


class CodeSet(StrEnum):
    SERVICES = "services"
    FEEDBACK_CATEGORIES = "feedback_categories"
    LEGAL_CATEGORIES = "legal_categories"
    OCCUPATIONS = "occupations"
    CASE_KINDS = "case_kinds"
    CASE_STATUSES = "case_statuses"
    ENROLLMENT_STATUSES = "enrollment_statuses"
    STATION_KINDS = "station_kinds"
    BUILD_MODES = "build_modes"
    STATION_STATUSES = "station_statuses"


TABLES: dict[CodeSet, dict[str, str]] = {
    CodeSet.SERVICES: {s.code: s.label for s in SERVICES},
    CodeSet.FEEDBACK_CATEGORIES: FEEDBACK_CATEGORIES,
    CodeSet.LEGAL_CATEGORIES: LEGAL_CATEGORIES,
    CodeSet.OCCUPATIONS: OCCUPATIONS,
    CodeSet.CASE_KINDS: CASE_KINDS,
    CodeSet.CASE_STATUSES: CASE_STATUSES,
    CodeSet.ENROLLMENT_STATUSES: ENROLLMENT_STATUSES,
    CodeSet.STATION_KINDS: STATION_KINDS,
    CodeSet.BUILD_MODES: BUILD_MODES,
    CodeSet.STATION_STATUSES: STATION_STATUSES,
}


def label(code_set: CodeSet, code: str, t: Labels, lang: str = "zh") -> str:
    """The label of `code` in `code_set` (the code itself when unknown)."""
    if code_set is CodeSet.SERVICES and lang == "en" and code in BY_CODE:
        return BY_CODE[code].label_en
    zh = TABLES[code_set].get(code)
    return t(zh) if zh is not None else code


class CodeOut(BaseModel):
    code: str
    label: str


class CodeSetOut(BaseModel):
    code_set: CodeSet
    codes: list[CodeOut]


class AllCodesOut(BaseModel):
    code_sets: dict[str, list[CodeOut]] = Field(description="代码集名称 → 代码和显示名称")


class CodeSetPath(BaseModel):
    code_set: CodeSet = Field(description="代码集名称")


def _codes(request: web.Request, code_set: CodeSet) -> list[dict[str, Any]]:
    t, lang = labels_for(request), language(request)
    return [{"code": c, "label": label(code_set, c, t, lang)} for c in TABLES[code_set]]


async def all_codes(request: web.Request) -> web.Response:
    body = {"code_sets": {s.value: _codes(request, s) for s in CodeSet}}
    return cached_json(request, body, max_age=CATALOGUE_MAX_AGE)


async def one_set(request: web.Request) -> web.Response:
    try:
        code_set = CodeSet(request.match_info["code_set"])
    except ValueError:
        raise Problem(
            404, "没有这个代码集", f"可用的有：{'、'.join(s.value for s in CodeSet)}。"
        ) from None
    body = {"code_set": code_set.value, "codes": _codes(request, code_set)}
    return cached_json(request, body, max_age=CATALOGUE_MAX_AGE)


def setup(app: web.Application) -> None:
    api_route(
        app,
        "GET",
        "/api/v1/codes",
        all_codes,
        response=AllCodesOut,
        headers=("ETag", "Cache-Control"),
        tags=("codes",),
        summary="所有代码集及其显示名称（服务项目、类别、职业、状态……）",
    )
    api_route(
        app,
        "GET",
        "/api/v1/codes/{code_set}",
        one_set,
        path=CodeSetPath,
        response=CodeSetOut,
        headers=("ETag", "Cache-Control"),
        errors=(404,),
        tags=("codes",),
        summary="一个代码集：代码和显示名称",
    )
