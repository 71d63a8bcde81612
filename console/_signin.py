"""`GET /console/` for a visitor (the sign-in form), `POST /console/login`, `POST /console/logout`,
and the one-time set-password link `GET|POST /console/password/{token}` (`yizhan staff link`).

The sign-in form carries its own CSRF token before any session exists (double submit: the same
random value in an HttpOnly cookie and in a hidden field; another site can set neither), so a
page elsewhere cannot sign a browser in to an account of its choosing.
"""

from __future__ import annotations

import asyncio
import hmac
import math

from aiohttp import web

from membership import CredentialError

from ._pages import (
    Refused,
    console_of,
    form_of,
    render,
    see_other,
    set_session_cookie,
)
from ._session import COOKIE_PATH, LOGIN_COOKIE, SESSION_COOKIE, new_token

MAX_FIELD = 200


def sign_in_page(
    request: web.Request,
    *,
    error: str = "",
    login: str = "",
    status: int = 200,
    notice: str = "",
) -> web.Response:
    token = new_token()
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "error": error, "login": login[:MAX_FIELD], "notice": notice},
        status=status,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    sent, kept = form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")
    if not isinstance(sent, str) or not kept or not hmac.compare_digest(sent, kept):
        raise Refused(403, "页面已过期", "为了安全，请回到登录页刷新后再登录。")
    login_name = str(form.get("login") or "").strip()[:MAX_FIELD]
    password = str(form.get("password") or "")
    if not login_name or not password:
        return sign_in_page(request, error="请填写登录名和密码。", login=login_name, status=400)

    console = console_of(request)
    address = request.remote or "-"
    key = login_name.lower()
    wait = await console.guard.locked_for(key, address)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        return sign_in_page(
            request,
            error=f"尝试次数太多，为保护账号已暂时锁定。请 {minutes} 分钟后再试，或请管理员重设密码。",
            login=login_name,
            status=429,
        )
    staff_id = await console.credentials.verify(key, password)
    account = await console.credentials.account(staff_id) if staff_id is not None else None
    if account is None:
        await asyncio.sleep(await console.guard.failed(key, address))
        return sign_in_page(
            request, error="登录名或密码不对，请再试一次。", login=login_name, status=401
        )
    await console.guard.succeeded(key, address)
    token, _session = await console.sessions.start(account.id, str(account.changed_at))
    response = see_other("/console/")
    set_session_cookie(request, response, token)
    response.del_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    _account, session, _form = await form_of(request)
    await console_of(request).sessions.end(session)
    response = see_other("/console/")
    response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


def _password_page(
    request: web.Request, token: str, login: str, *, error: str = "", status: int = 200
) -> web.Response:
    csrf = new_token()
    response = render(
        request,
        "password.html",
        {"login_csrf": csrf, "error": error, "login": login, "token": token},
        status=status,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        csrf,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


_LINK_GONE = ("链接已失效", "这个设置密码的链接已经用过或过期了，请向管理员要一个新的。")


async def password_form(request: web.Request) -> web.Response:
    """`GET /console/password/{token}`: the one-time link's form to choose a password."""
    token = request.match_info["token"]
    found = await console_of(request).credentials.link_login(token)
    if found is None:
        raise Refused(404, *_LINK_GONE)
    return _password_page(request, token, found[1])


async def password_set(request: web.Request) -> web.StreamResponse:
    """`POST /console/password/{token}`: set the password once, then sign in with it."""
    token = request.match_info["token"]
    form = await request.post()
    sent, kept = form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")
    if not isinstance(sent, str) or not kept or not hmac.compare_digest(sent, kept):
        raise Refused(403, "页面已过期", "为了安全，请重新打开链接再设置。")
    credentials = console_of(request).credentials
    found = await credentials.link_login(token)
    if found is None:
        raise Refused(404, *_LINK_GONE)
    password = str(form.get("password") or "")
    if password != str(form.get("again") or ""):
        return _password_page(request, token, found[1], error="两次输入的密码不一样。", status=400)
    try:
        await credentials.use_link(token, password)
    except CredentialError as exc:
        return _password_page(request, token, found[1], error=str(exc), status=400)
    return sign_in_page(request, notice="密码设置好了，请用它登录。", login=found[1])
