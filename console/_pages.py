"""What every console page shares: templates, who is signed in, CSRF checks, HTML errors and
the security headers.

Errors on console pages are HTML pages in Chinese (a person reads them in a browser), not
problem+json: handlers raise `Refused`, the console's middleware renders it.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from core import CHINA_TZ
from core.http import Handler
from handlers import SERVICES_KEY, Services
from membership import Credentials, StaffAccount

from ._session import COOKIE_PATH, SESSION_COOKIE, Guard, Session, Sessions

JINJA = web.AppKey("console_jinja", jinja2.Environment)


@dataclass(frozen=True)
class Console:
    credentials: Credentials
    sessions: Sessions
    guard: Guard


CONSOLE = web.AppKey("console", Console)
_SIGNED_IN = web.RequestKey("console_signed_in", tuple)

# Scripts and styles come only from this server; no page may be framed (clickjacking).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Refused(Exception):
    """An answer the person should see as a page: status, a title and what to do."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(f"{status} {title}")
        self.status, self.title, self.detail = status, title, detail


NOT_FOUND = ("没有找到", "没有这条记录，或它不归您所在的工会处理。请回到待办列表看看。")


def local_time(value: datetime | None) -> str:
    """`11月24日 10:00` in China's time (SQLite hands back naive UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(CHINA_TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def setup_templates(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        app_key=JINJA,
        loader=jinja2.PackageLoader("console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails a test, not a page silently
        filters={"local_time": local_time},
    )


def services_of(request: web.Request) -> Services:
    return request.config_dict[SERVICES_KEY]


def console_of(request: web.Request) -> Console:
    return request.config_dict[CONSOLE]


async def signed_in(request: web.Request) -> tuple[StaffAccount, Session] | None:
    """The signed-in staff member and their session, checked against the database each time
    (a removed staff member or a changed password ends the session)."""
    if _SIGNED_IN in request:
        cached: tuple[StaffAccount, Session] | tuple[()] = request[_SIGNED_IN]
        return cached or None
    console = console_of(request)
    found: tuple[StaffAccount, Session] | tuple[()] = ()
    session = await console.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
    if session is not None:
        account = await console.credentials.account(session.staff_id)
        if account is not None and str(account.changed_at) == session.password_stamp:
            found = (account, session)
        else:
            await console.sessions.end(session)
    request[_SIGNED_IN] = found
    return found or None


async def require_staff(request: web.Request) -> tuple[StaffAccount, Session]:
    """For pages: a visitor is sent to the sign-in form."""
    found = await signed_in(request)
    if found is None:
        raise web.HTTPSeeOther("/console/")
    return found


async def form_of(request: web.Request) -> tuple[StaffAccount, Session, Mapping[str, Any]]:
    """For every POST: a session (else 401) and the session's CSRF token in the form (else 403)."""
    found = await signed_in(request)
    if found is None:
        raise Refused(401, "请先登录", "登录已过期或已退出，请重新登录后再操作。")
    account, session = found
    form = await request.post()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf):
        raise Refused(403, "页面已过期", "为了安全，请刷新页面后再提交一次。")
    return account, session, form


def see_other(location: str) -> web.Response:
    """After a form is handled, the browser fetches the page again (no resubmission on reload)."""
    return web.Response(status=303, headers={"Location": location})


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    found = request.get(_SIGNED_IN) or ()
    base = {"me": found[0] if found else None, "csrf": found[1].csrf if found else ""}
    return aiohttp_jinja2.render_template(
        template, request, {**base, **context}, app_key=JINJA, status=status
    )


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    hours = services_of(request).settings.console_session_hours
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=request.secure,
    )


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except Refused as refused:
        response = render(
            request,
            "error.html",
            {"title": refused.title, "detail": refused.detail},
            status=refused.status,
        )
    except web.HTTPNotFound:
        response = render(
            request, "error.html", {"title": NOT_FOUND[0], "detail": NOT_FOUND[1]}, status=404
        )
    csp = response.headers.get("Content-Security-Policy")  # a map page allows its tiles
    response.headers.update(SECURITY_HEADERS)
    if csp:
        response.headers["Content-Security-Policy"] = csp
    return response
