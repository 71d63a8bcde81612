"""The station, coverage and union pages in a real browser (Debian's Chromium via Playwright):
a county officer edits a station's hours in Chinese and sees how they read as they type,
suspends it (it leaves `/api/v1/stations/nearby`), and looks at the coverage map; a league
officer opens the unions page. The tile server is unreachable on purpose (tests run offline):
markers, boundaries and coverage gaps must still be drawn.

Runs under `CI=true` (never skips there). `YIZHAN_SCREENSHOTS=docs/screenshots` keeps each page
at 1280 and 360 px wide.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from handlers import Services
from referrals import import_boundaries
from tests.console_web import PASSWORD, XINCHENG, staff_with_login
from tests.shared import BOUNDARIES
from tests.stations import add_stations, station
from tests.test_console_browser import CHROMIUM, _require_browser
from tests.unions import load_unions
from yizhan.app import create_app

# Nothing listens on the discard port: every tile fails, as on an office PC without internet.
DEAD_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
WIDE, NARROW = 1280, 360


@pytest.fixture
async def served(backend: Callable[..., Services]) -> AsyncIterator[tuple[str, Services]]:
    services = backend(console_tile_url=DEAD_TILES)
    runner = web.AppRunner(create_app(services))
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", services
    finally:
        await runner.cleanup()


async def _nearby(base: str) -> list[str]:
    params = {"lat": str(XINCHENG.lat), "lng": str(XINCHENG.lng), "coord": "wgs84"}
    url = f"{base}/api/v1/stations/nearby"
    async with aiohttp.ClientSession() as http, http.get(url, params=params) as answer:
        body = await answer.json()
    return [s["name"] for s in body["stations"]]


async def _shoot(page: Any, shots: Path, name: str) -> None:
    """Both widths; at 360 px nothing may stick out sideways."""
    for width in (WIDE, NARROW):
        await page.set_viewport_size({"width": width, "height": 800})
        await page.wait_for_timeout(150)
        await page.screenshot(path=str(shots / f"console-{name}-{width}.png"), full_page=True)
        if width == NARROW:
            assert await page.evaluate("document.documentElement.scrollWidth") <= NARROW, name
    await page.set_viewport_size({"width": WIDE, "height": 800})


async def _sign_in(page: Any, base: str, login: str) -> None:
    await page.context.clear_cookies()
    await page.goto(f"{base}/console/")
    await page.get_by_label("登录名").fill(login)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_label("密码").press("Enter")
    await page.get_by_role("heading", name="待办").wait_for()


async def test_edit_suspend_station_and_coverage_map_in_chromium(
    served: tuple[str, Services], tmp_path: Path
) -> None:
    _require_browser()
    from playwright.async_api import async_playwright, expect

    base, ctx = served
    await load_unions(ctx)
    await import_boundaries(ctx.db, BOUNDARIES)
    await staff_with_login(ctx, "王芳", "wangfang", "HH-XC")
    await staff_with_login(ctx, "张伟", "zhangwei", "HH", role="admin")
    await add_stations(
        ctx,
        station("XC1", XINCHENG.lat, XINCHENG.lng, name="新华桥暖心驿站"),
        station("XC2", 40.8600, 111.6700, name="东风路驿站", opening_hours="Sa-Su 09:00-12:00"),
        station("XC3", 40.8550, 111.6600, name="锡林路驿站", status="suspended"),
    )
    assert "新华桥暖心驿站" in await _nearby(base)
    shots = Path(os.environ.get("YIZHAN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = await browser.new_page(viewport={"width": WIDE, "height": 800})
            await _sign_in(page, base, "wangfang")
            await page.get_by_role("link", name="驿站", exact=True).click()
            await expect(page.get_by_role("heading", name="驿站")).to_be_visible()
            the_map = page.locator("#map")
            # Markers from this server although no tile loads.
            await expect(the_map).to_have_attribute("data-markers", "3")
            await expect(page.locator("#map-note")).to_have_text("地图上显示了 3 个驿站。")
            await _shoot(page, shots, "stations")

            await page.get_by_role("link", name="新华桥暖心驿站").click()
            await expect(page.get_by_role("heading", name="新华桥暖心驿站")).to_be_visible()
            await expect(the_map).to_have_attribute("data-markers", "1")
            await page.get_by_role("link", name="修改信息").click()
            hours = page.get_by_label("开放时间")
            await hours.fill("")
            await hours.press_sequentially("周一至周五 8:00-18:00，节假日休息", delay=5)
            preview = page.locator("#f-hours-preview")
            await expect(preview).to_contain_text("系统读作：Mo-Fr 08:00-18:00; PH off")
            await expect(preview).to_contain_text("现在开放")  # Tuesday 10:00
            await _shoot(page, shots, "station-form")
            await hours.press("Enter")  # keyboard submit
            await expect(page.get_by_text("已保存，找驿站时马上能看到新的信息。")).to_be_visible()
            await expect(
                page.get_by_text("开放时间：24/7 → Mo-Fr 08:00-18:00; PH off")
            ).to_be_visible()

            reason = page.get_by_label("暂停的原因")
            await reason.fill("冬季供暖改造，暂停两周")
            await reason.press("Enter")
            await expect(page.get_by_text("已暂停，找驿站时不会再推荐它。")).to_be_visible()
            await expect(page.get_by_text("原因：冬季供暖改造，暂停两周")).to_be_visible()
            await _shoot(page, shots, "station")
            assert "新华桥暖心驿站" not in await _nearby(base)

            await page.goto(f"{base}/console/stations/import")
            await _shoot(page, shots, "station-import")

            await page.get_by_role("link", name="建设目标").click()
            await expect(page.get_by_role("heading", name="建设目标")).to_be_visible()
            await expect(the_map).to_have_attribute("data-boundary-count", "1")  # 新城区
            # Hundreds of uncovered sample points: two open stations cannot cover Hohhot.
            await expect(the_map).to_have_attribute("data-gap-count", re.compile(r"^\d{3,}$"))
            await _shoot(page, shots, "coverage")

            await _sign_in(page, base, "zhangwei")
            await page.get_by_role("link", name="工会与人员").click()
            await expect(page.get_by_role("heading", name="工会与人员")).to_be_visible()
            await _shoot(page, shots, "unions")
            await page.get_by_role("link", name="新城区总工会").click()
            await page.get_by_label("姓名").fill("陈静")
            await page.get_by_label("登录名").fill("chenjing")
            await page.get_by_label("登录名").press("Enter")
            await expect(page.get_by_text("请把这个一次性链接交给 chenjing 本人")).to_be_visible()
            await _shoot(page, shots, "union")
        finally:
            await browser.close()
