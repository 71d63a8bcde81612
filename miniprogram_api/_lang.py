"""`Accept-Language` for `/api/v1`: Chinese by default, English when the client prefers it.

Labels (services, categories, occupations, statuses, steps) and problem details go through the
conversation's gettext catalogues (`handlers/locale`), whose message ids are the Chinese text;
a text with no translation stays Chinese. Every answer says which it is in `Content-Language`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

from core.http import Problem
from handlers import translator

from ._routes import Handler

Labels = Callable[[str], str]
SUPPORTED = ("zh", "en")
LANGUAGE = web.RequestKey("miniprogram_language", str)
PREFIX = "/api/v1/"


def negotiate(header: str | None) -> str:
    """The supported language the client ranks highest ("zh" when it names none of them)."""
    best, best_q = "zh", -1.0
    for position, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        base = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if base in SUPPORTED and q > 0 and q - position * 1e-6 > best_q:
            best, best_q = base, q - position * 1e-6
    return best


def language(request: web.Request) -> str:
    return request.get(LANGUAGE) or negotiate(request.headers.get("Accept-Language"))


def labels_for(request: web.Request) -> Labels:
    """`t("已办结")` in the client's language."""
    lang = language(request)
    return (lambda text: text) if lang == "zh" else translator(lang)


_NUMBER = re.compile(r"\d+")


def _one(t: Labels, text: str) -> str:
    """`t(text)`; a text with a number in it is looked up as its template ("请 {n} 秒后再试。")."""
    done = t(text)
    if done != text:
        return done
    numbers = _NUMBER.findall(text)
    if len(numbers) == 1:
        template = _NUMBER.sub("{n}", text)
        found = t(template)
        if found != template:
            return found.replace("{n}", numbers[0])
    return text


def _translated(t: Labels, problem: Problem) -> None:
    problem.title = _one(t, problem.title)
    if problem.detail:
        # Details join sentences or fields ("a；b"): translate each known part.
        problem.detail = "; ".join(_reason(t, part) for part in problem.detail.split("；"))
    params = problem.extra.get("invalid_params")
    if isinstance(params, list):
        for param in params:
            param["reason"] = _reason(t, str(param.get("reason", "")))


def _reason(t: Labels, text: str) -> str:
    field, sep, reason = text.partition("：")
    whole = _one(t, text)
    if whole != text or not sep:
        return whole
    return f"{_one(t, field)}: {_one(t, reason)}"


@web.middleware
async def localize(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(PREFIX):
        return await handler(request)
    lang = negotiate(request.headers.get("Accept-Language"))
    request[LANGUAGE] = lang
    try:
        response = await handler(request)
    except Problem as problem:
        if lang != "zh":
            _translated(translator(lang), problem)
        problem.headers = {**problem.headers, "Content-Language": lang, "Vary": "Accept-Language"}
        raise
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return response
