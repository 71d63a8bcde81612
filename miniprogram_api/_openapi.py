"""`GET /api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the pydantic models each
route validates with (see `_routes.api_route`), so the document cannot drift from the code."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.http import PROBLEM_TYPE, json_response

from ._routes import RouteSpec, routes_of

REF = "#/components/schemas/{model}"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; title and detail are Chinese",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "invalid_params": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "reason"],
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}

_ERROR_TEXT = {
    400: "请求有误",
    401: "未登录或登录已过期",
    403: "链接已失效",
    404: "没有找到",
    409: "与现有数据冲突",
    413: "上传的内容太大",
    415: "上传方式不对",
    422: "参数不符合要求",
    429: "请求太频繁（见 Retry-After）",
    503: "依赖的服务暂时不可用",
}


SUCCESS_TEXT = {200: "成功", 201: "已创建", 204: "成功"}
# Every /api/v1 answer tells the client where it stands against the per-minute limits.
RATE_HEADERS: dict[str, Any] = {
    "RateLimit-Limit": {
        "description": "本时间窗内允许的请求数（按用户；未登录时按地址）",
        "schema": {"type": "integer"},
    },
    "RateLimit-Remaining": {"description": "本时间窗内还剩的请求数", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "距时间窗结束的秒数", "schema": {"type": "integer"}},
}
SUCCESS_HEADERS: dict[str, Any] = {
    "ETag": {
        "description": "内容版本；下次带 If-None-Match 可得 304",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"schema": {"type": "string"}},
}


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERROR_TEXT.get(status, "错误"),
        "content": {PROBLEM_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def _parameters(
    model: type[BaseModel], where: str, schemas: dict[type[BaseModel], Any]
) -> list[dict[str, Any]]:
    schema = schemas[model]
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        param: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": {k: v for k, v in prop.items() if k != "description"},
        }
        if "description" in prop:
            param["description"] = prop["description"]
        out.append(param)
    return out


def _operation(spec: RouteSpec, schemas: dict[Any, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": list(spec.tags),
    }
    params: list[dict[str, Any]] = []
    if spec.path_params:
        params += _parameters(spec.path_params, "path", schemas[(spec.path_params, "v")])
    if spec.query:
        params += _parameters(spec.query, "query", schemas[(spec.query, "v")])
    if params:
        op["parameters"] = params
    if spec.body:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": schemas[(spec.body, "v")][spec.body]},
            },
        }
    elif spec.raw_body:
        op["requestBody"] = spec.raw_body
    headers = {name: RATE_HEADERS[name] for name in RATE_HEADERS}
    headers |= {name: SUCCESS_HEADERS[name] for name in spec.headers}
    op["responses"] = {}
    for status in spec.success:
        ok: dict[str, Any] = {"description": SUCCESS_TEXT.get(status, "成功"), "headers": headers}
        if spec.response:
            ok["content"] = {
                "application/json": {"schema": schemas[(spec.response, "s")][spec.response]}
            }
        elif spec.binary:
            # OpenAPI 3.1: raw bytes are a media type without a schema.
            ok["content"] = {spec.binary: {}}
        if spec.links:
            ok["links"] = spec.links
        op["responses"][str(status)] = ok
    if not spec.response and not spec.binary and spec.success == (200,):
        op["responses"] = {"204": {"description": "成功", "headers": headers}}
    if "ETag" in spec.headers:
        op["responses"]["304"] = {"description": "没有变化（If-None-Match 与 ETag 相同）"}
    statuses = {429, *spec.errors}
    if spec.query or spec.body or spec.path_params or spec.raw_body:
        statuses |= {400, 422}
    if spec.auth:
        statuses.add(401)
        op["security"] = [{"bearer": []}]
    for status in sorted(statuses):
        op["responses"][str(status)] = _problem_response(status)
    return op


def build_document(specs: list[RouteSpec]) -> dict[str, Any]:
    inputs = {m for s in specs for m in (s.path_params, s.query, s.body) if m is not None}
    outputs = {s.response for s in specs if s.response is not None}
    keyed: list[tuple[type[BaseModel], Any]] = [(m, "validation") for m in inputs]
    keyed += [(m, "serialization") for m in outputs]
    refs, top = models_json_schema(keyed, ref_template=REF)
    components: dict[str, Any] = dict(top.get("$defs", {}))
    components["Problem"] = PROBLEM_SCHEMA

    def schema(model: type[BaseModel], mode: str) -> dict[type[BaseModel], Any]:
        ref = refs[(model, "validation" if mode == "v" else "serialization")]
        # Path and query models are flattened into parameters, so they need the schema itself.
        flat = mode == "v" and model in _flat(specs)
        return {model: components[ref["$ref"].rsplit("/", 1)[1]] if flat else ref}

    schemas = {(m, "v"): schema(m, "v") for m in inputs}
    schemas |= {(m, "s"): schema(m, "s") for m in outputs}
    ids = [s.operation_id for s in specs]
    assert len(ids) == len(set(ids)), f"operationIds repeat: {ids}"
    paths: dict[str, Any] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "驿站通 小程序接口",
            "version": "1.0.0",
            "description": "查找工会驿站、登录、一键入会、反馈与法律援助。坐标默认 GCJ-02。",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _flat(specs: list[RouteSpec]) -> set[type[BaseModel]]:
    return {m for s in specs for m in (s.path_params, s.query) if m is not None}


async def openapi(request: web.Request) -> web.Response:
    routes = routes_of(request.app)
    if routes.document is None:
        # Built on first use, when every surface has added its routes.
        routes.document = build_document(routes.specs)
    return json_response(routes.document)


def setup(app: web.Application) -> None:
    app.router.add_get("/api/v1/openapi.json", openapi)
