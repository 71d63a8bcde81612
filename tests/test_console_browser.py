"""The console in a real browser: Debian's Chromium, driven by Playwright, against the wired app
served on a local port. A staff member signs in with the keyboard, finds the case a worker
filed, claims it and answers it, on a 360 px wide screen.

Under `CI=true` this runs, never skips (`.ci/run` installs Chromium); elsewhere it skips when
Chromium or Playwright is missing. `YIZHAN_SCREENSHOTS=docs/screenshots` saves the pages.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from handlers import Services
from referrals import CaseEvent
from tests.conftest import IN_CI
from tests.console_web import PASSWORD, file_case, staff_with_login
from tests.unions import load_unions
from yizhan.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 360


def _require_browser() -> None:
    problem = ""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed"
    if not problem and not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)


@pytest.fixture
async def served(backend: Callable[..., Services]) -> AsyncIterator[tuple[str, Services]]:
    """The wired app on 127.0.0.1 at a free port, as `yizhan serve` runs it."""
    services = backend()
    runner = web.AppRunner(create_app(services))
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    port = sock.getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", services
    finally:
        await runner.cleanup()


async def test_sign_in_claim_and_reply_in_chromium(
    served: tuple[str, Services], tmp_path: Path
) -> None:
    _require_browser()
    from playwright.async_api import async_playwright, expect

    base, ctx = served
    await load_unions(ctx)
    await staff_with_login(ctx, "王芳", "wangfang", "HH-XC", "HH-XC-NEF")
    case = await file_case(ctx, kind="legal_aid", text="老板拖欠工资三个月了，电话13812345678")
    shots = Path(os.environ.get("YIZHAN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = await browser.new_page(viewport={"width": WIDTH, "height": 740})
            await page.goto(f"{base}/console/")
            await expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
            await page.screenshot(path=str(shots / "console-sign-in.png"), full_page=True)

            # Keyboard only: the form's fields are labelled and Enter submits.
            await page.get_by_label("登录名").fill("wangfang")
            await page.get_by_label("密码").fill(PASSWORD)
            await page.get_by_label("密码").press("Enter")
            await expect(page.get_by_role("heading", name="待办")).to_be_visible()
            await expect(page.get_by_text(case.number)).to_be_visible()
            assert "13812345678" not in await page.content()
            await page.screenshot(path=str(shots / "console-queue.png"), full_page=True)
            assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH

            await page.get_by_text(case.number).click()
            await expect(page.get_by_text("138****5678")).to_be_visible()
            await page.get_by_role("button", name="认领").click()
            await expect(page.get_by_text("已认领，工人会收到通知。")).to_be_visible()
            await page.get_by_label("回复工人").fill("您好，工会律师明天上午给您回电话。")
            await page.get_by_role("button", name="发送回复").click()
            await expect(page.get_by_text("回复已发出")).to_be_visible()
            await expect(page.get_by_text("您好，工会律师明天上午给您回电话。")).to_be_visible()
            await page.screenshot(path=str(shots / "console-case.png"), full_page=True)
            assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        finally:
            await browser.close()

    async with ctx.db.session() as session:
        events = (
            await session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id))
        ).scalars()
        done = [(e.action, e.channel) for e in events if e.actor.startswith("staff:")]
    assert done == [("claimed", "console"), ("replied", "console")]
