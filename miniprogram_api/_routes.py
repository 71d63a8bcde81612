"""Routes of `/api/v1` with the pydantic models that validate them, so the OpenAPI document is
generated from exactly what the handlers check.

A surface module adds a route with `api_route(app, "POST", "/api/v1/…", handler, body=Model,
response=Model, auth=True, summary="…")` (`path=Model` for `{…}` parts, `query=Model`); handlers read validated input with `read_body` /
`read_query`. Bad input gets a Chinese 400/422 problem naming each wrong field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.http import Problem, read_json

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    summary: str
    path_params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    auth: bool = False
    # Extra documented error statuses besides the ones every route can give (400/422/429/500).
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    # The status of a success (201 for a create; a create that can be replayed lists 200 too).
    success: tuple[int, ...] = (200,)
    # A request body that is not JSON (an upload), as an OpenAPI requestBody object.
    raw_body: dict[str, Any] | None = None
    # The content type of a success that is not JSON (an image).
    binary: str | None = None
    # Success headers beyond the rate-limit ones every answer carries (e.g. ETag).
    headers: tuple[str, ...] = ()
    # The operation's name in the document (links name their target by it).
    operation_id: str = ""
    # OpenAPI links from a success: {name: {"operationId": …, "parameters": {…}}}.
    links: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ApiRoutes:
    specs: list[RouteSpec] = field(default_factory=list)
    document: dict[str, Any] | None = None


API_ROUTES = web.AppKey("miniprogram_api_routes", ApiRoutes)


def routes_of(app: web.Application) -> ApiRoutes:
    if API_ROUTES not in app:
        app[API_ROUTES] = ApiRoutes()
    return app[API_ROUTES]


def api_route(
    app: web.Application,
    method: str,
    path_template: str,
    handler: Handler,
    *,
    summary: str,
    path: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    auth: bool = False,
    errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
    success: int | tuple[int, ...] = 200,
    raw_body: dict[str, Any] | None = None,
    binary: str | None = None,
    headers: tuple[str, ...] = (),
    operation_id: str = "",
    links: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Add the route to the app and to the OpenAPI document."""
    app.router.add_route(method, path_template, handler)
    routes_of(app).specs.append(
        RouteSpec(
            method.upper(),
            path_template,
            summary,
            path,
            query,
            body,
            response,
            auth,
            errors,
            tags,
            (success,) if isinstance(success, int) else success,
            raw_body,
            binary,
            headers,
            operation_id or handler.__name__,
            links or {},
        )
    )


def _members(model: type[BaseModel]) -> list[type[BaseModel]]:
    """The models a field's label may come from: a root model's union members, or the model."""
    if getattr(model, "__pydantic_root_model__", False):
        found: list[type[BaseModel]] = []
        pending = [model.model_fields["root"].annotation]
        while pending:
            item = pending.pop()
            if isinstance(item, type) and issubclass(item, BaseModel):
                found.append(item)
            else:
                pending.extend(get_args(item))
        return found
    return [model]


def _field_label(model: type[BaseModel], name: str) -> str:
    for member in _members(model):
        info = member.model_fields.get(name)
        if info is not None and info.title:
            return info.title
    return name


def _message(error: Any) -> str:
    ctx = error.get("ctx", {})
    if ctx.get("error"):
        return str(ctx["error"])
    if error["type"] == "string_too_short":
        return f"太短了，至少 {ctx.get('min_length')} 个字"
    if error["type"] == "string_too_long":
        return f"太长了，最多 {ctx.get('max_length')} 个字"
    if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
        return "kind 应为 feedback（驿站反馈）或 legal_aid（法律援助）"
    return _MESSAGES.get(error["type"], "格式不对")


def invalid_input(model: type[BaseModel], exc: ValidationError, what: str) -> Problem:
    """A 422 naming, in Chinese, every field that was wrong."""
    problems = []
    tagged = getattr(model, "__pydantic_root_model__", False)
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        if tagged and len(loc) > 1:
            loc = loc[1:]  # the union member's tag ("feedback"), not a field
        name = ".".join(loc) if loc else ("kind" if tagged else "")
        top = loc[0] if loc else name
        problems.append({"name": name, "reason": f"{_field_label(model, top)}：{_message(error)}"})
    return Problem(
        422, f"{what}有误", "；".join(p["reason"] for p in problems), invalid_params=problems
    )


_MESSAGES = {
    "missing": "没有填写",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "enum": "不在可选范围内",
    "literal_error": "不在可选范围内",
    "extra_forbidden": "不认识这一项",
    "greater_than_equal": "太小了",
    "greater_than": "太小了",
    "less_than_equal": "太大了",
    "string_pattern_mismatch": "格式不对",
}


async def read_body(request: web.Request, model: type[M]) -> M:
    """The JSON body validated against `model` (400 when it is not JSON, 422 when it does not
    fit)."""
    data = await read_json(request)  # 400 when not JSON or nested too deep
    if not isinstance(data, dict):
        raise Problem(400, "请求有误", "请求内容应为一个 JSON 对象。")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(model, exc, "提交的内容") from None


def read_query(request: web.Request, model: type[M], *, lists: tuple[str, ...] = ()) -> M:
    raw: dict[str, Any] = {k: v for k, v in request.query.items() if k not in lists}
    for name in lists:
        raw[name] = request.query.getall(name, [])
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise invalid_input(model, exc, "查询参数") from None
