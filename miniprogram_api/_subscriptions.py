"""`/api/v1/subscriptions`: consent to subscribe messages (订阅消息).

The page asks `GET` for the template ids to pass to `wx.requestSubscribeMessage`, then posts
what the user answered (`{"results": {template_id: "accept" | "reject" | "ban" | "filter"}}`,
the object WeChat hands back). Each answer is kept (`core.consents`); WeChat allows one message
per acceptance, so `available` counts acceptances not used yet.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from core.http import Problem, json_response
from handlers import SERVICES_KEY

from ._auth import require_user
from ._routes import api_route, read_body

CHANNEL = "miniprogram"
Result = Literal["accept", "reject", "ban", "filter"]


class TemplateOut(BaseModel):
    kind: Literal["case", "enrollment"] = Field(description="case 求助进展 · enrollment 入会结果")
    template_id: str = Field(description="传给 wx.requestSubscribeMessage 的 tmplIds")
    available: int = Field(description="已同意、还没用掉的消息条数")


class TemplatesOut(BaseModel):
    templates: list[TemplateOut]


class ConsentIn(BaseModel):
    results: dict[str, Result] = Field(
        min_length=1,
        max_length=10,
        description="wx.requestSubscribeMessage 的结果：模板 ID → accept / reject / ban / filter",
    )


def _templates(request: web.Request) -> dict[str, str]:
    """template id → kind, for the templates configured in the settings."""
    settings = request.app[SERVICES_KEY].settings
    configured = {
        settings.miniprogram_template_case: "case",
        settings.miniprogram_template_enrollment: "enrollment",
    }
    return {t: kind for t, kind in configured.items() if t}


async def _answer(request: web.Request, openid: str, status: int = 200) -> web.Response:
    consents = request.app[SERVICES_KEY].consents
    templates = [
        {
            "kind": kind,
            "template_id": template,
            "available": await consents.available(CHANNEL, openid, kind),
        }
        for template, kind in _templates(request).items()
    ]
    return json_response({"templates": templates}, status=status)


async def templates(request: web.Request) -> web.Response:
    user = await require_user(request)
    return await _answer(request, user.openid)


async def record(request: web.Request) -> web.Response:
    user = await require_user(request)
    body = await read_body(request, ConsentIn)
    known = _templates(request)
    unknown = [t for t in body.results if t not in known]
    if unknown:
        raise Problem(
            422,
            "提交的内容有误",
            "这些模板不是本小程序的订阅消息：" + "、".join(unknown[:3]),
            invalid_params=[{"name": "results", "reason": "results：模板 ID 不认识"}],
        )
    answers: list[tuple[str, str, str]] = [
        (known[t], t, str(result)) for t, result in body.results.items()
    ]
    await request.app[SERVICES_KEY].consents.record(CHANNEL, user.openid, answers)
    return await _answer(request, user.openid, status=201)


def setup(app: web.Application) -> None:
    tags = ("subscriptions",)
    api_route(
        app,
        "GET",
        "/api/v1/subscriptions",
        templates,
        response=TemplatesOut,
        auth=True,
        errors=(401,),
        tags=tags,
        summary="订阅消息模板 ID，以及每种已同意还没用掉的条数",
    )
    api_route(
        app,
        "POST",
        "/api/v1/subscriptions",
        record,
        body=ConsentIn,
        response=TemplatesOut,
        success=201,
        auth=True,
        errors=(401,),
        tags=tags,
        summary="记录用户对订阅消息的选择（wx.requestSubscribeMessage 的结果）",
    )
