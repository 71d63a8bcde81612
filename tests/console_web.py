"""Helpers for the console's tests: staff with a login, a worker's case, signing in over HTTP."""

from __future__ import annotations

import re

from handlers import Services
from locations import Point
from membership import Credentials
from referrals import CaseView, NewCase
from tests.conftest import AppClient
from tests.stations import add_stations, station

PASSWORD = "驿站暖心 2026 冬"
XINCHENG = Point(40.8580, 111.6650)  # 新城区, Hohhot: routed to HH-XC of tests/unions.py
WORKER_TEXT = "站里没有热水，我的电话 13812345678，身份证 11010519491231002X"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def staff_with_login(
    ctx: Services, name: str, login: str, *unions: str, role: str = "staff"
) -> int:
    info, _token = await ctx.directory.add_staff(name, list(unions), role=role)
    await Credentials(ctx.db, clock=ctx.clock).set_password(info.id, login, PASSWORD)
    return info.id


async def file_case(
    ctx: Services, *, kind: str = "feedback", text: str = WORKER_TEXT, ref: str = "m1"
) -> CaseView:
    category = "unpaid_wages" if kind == "legal_aid" else "no_water"
    station_id = None
    if kind == "feedback":  # feedback is about a station
        if ctx.finder.get(1) is None:
            await add_stations(ctx, station("XC1", XINCHENG.lat, XINCHENG.lng))
        station_id = 1
    submitted = await ctx.referrals.submit(
        NewCase(
            kind=kind,
            category=category,
            channel="telegram",
            worker_ref="5001",
            description=text,
            source_ref=ref,
            station_id=station_id,
            point=None if station_id else XINCHENG,
        )
    )
    return submitted.case


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def sign_in(client: AppClient, login: str, password: str = PASSWORD) -> int:
    """Sign in through the form as a browser would; the status of the form's answer."""
    page = await (await client.get("/console/")).text()
    answer = await client.post(
        "/console/login",
        data={"login": login, "password": password, "csrf": csrf_in(page)},
        allow_redirects=False,
    )
    return answer.status


async def page_csrf(client: AppClient, path: str = "/console/") -> str:
    return csrf_in(await (await client.get(path)).text())
