"""The console in a real browser: Debian's Chromium, driven by Playwright, against the wired app
served on a local port. A staff member signs in with the keyboard, finds the case a worker
filed, claims it and answers it, on a 360 px wide screen; and, at 1280 px, a case a worker
filed through the Telegram webhook appears in the open queue without a reload, is claimed and
answered (the worker gets the answer through the fake Bot API), its masked text revealed on
the record, and an enrollment is approved.

Under `CI=true` this runs, never skips (`.ci/run` installs Chromium); elsewhere it skips when
Chromium or Playwright is missing. `YIZHAN_SCREENSHOTS=docs/screenshots` saves the pages.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import select

from handlers import Services
from referrals import CaseEvent
from tests.conftest import IN_CI
from tests.console_web import PASSWORD, XINCHENG, file_case, staff_with_login
from tests.fakes.telegram import WEBHOOK_HEADERS, Call, FakeTelegram, buttons, telegram_settings
from tests.test_membership_enroll import application
from tests.unions import load_unions
from yizhan.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
WIDTH = 360
WIDE = 1280


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


async def _serve(services: Services) -> tuple[str, web.AppRunner]:
    runner = web.AppRunner(create_app(services))
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", runner


@pytest.fixture
async def served(backend: Callable[..., Services]) -> AsyncIterator[tuple[str, Services]]:
    """The wired app on 127.0.0.1 at a free port, as `yizhan serve` runs it."""
    services = backend()
    base, runner = await _serve(services)
    try:
        yield base, services
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


@pytest.fixture
async def served_bot(
    backend: Callable[..., Services], fake_telegram: FakeTelegram
) -> AsyncIterator[tuple[str, Services]]:
    """The served app with its Telegram bot pointed at the fake Bot API."""
    services = backend(**telegram_settings(fake_telegram))
    base, runner = await _serve(services)
    try:
        yield base, services
    finally:
        await runner.cleanup()


class Worker:
    """A worker in a private Telegram chat, posting updates to the served webhook."""

    update_id = 9000

    def __init__(self, http: ClientSession, base: str, fake: FakeTelegram, user: int) -> None:
        self.http, self.base, self.fake, self.user = http, base, fake, user

    def _mine(self) -> list[Call]:
        return [c for c in self.fake.sent("sendMessage") if c.params["chat_id"] == str(self.user)]

    async def _post(self, kind: str, body: dict[str, Any]) -> Call:
        Worker.update_id += 1
        before = len(self._mine())
        async with self.http.post(
            f"{self.base}/telegram/webhook",
            json={"update_id": Worker.update_id, kind: body},
            headers=WEBHOOK_HEADERS,
        ) as answer:
            assert answer.status == 200
        async with asyncio.timeout(10):
            while len(self._mine()) <= before:
                await asyncio.sleep(0.02)
            seen = 0
            # An answer may be several messages, and a private chat gets about one a second
            # (Telegram's limit, kept by the sender): wait until the chat has been quiet longer.
            while seen != len(self._mine()):
                seen = len(self._mine())
                await asyncio.sleep(1.5)
        return self._mine()[-1]

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": Worker.update_id,
            "date": 1764000000,
            "from": {"id": self.user, "is_bot": False, "first_name": "师傅"},
            "chat": {"id": self.user, "type": "private"},
            **content,
        }

    async def say(self, text: str) -> Call:
        return await self._post("message", self._message(text=text))

    async def location(self, lat: float, lng: float) -> Call:
        return await self._post(
            "message", self._message(location={"latitude": lat, "longitude": lng})
        )

    async def press(self, data: str) -> Call:
        query = {
            "id": f"cb{Worker.update_id}",
            "chat_instance": "1",
            "data": data,
            "from": {"id": self.user, "is_bot": False, "first_name": "师傅"},
            "message": {
                "message_id": 7,
                "date": 1764000000,
                "chat": {"id": self.user, "type": "private"},
            },
        }
        return await self._post("callback_query", query)


async def test_a_telegram_case_and_an_enrollment_handled_in_chromium(
    served_bot: tuple[str, Services], fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    _require_browser()
    from playwright.async_api import async_playwright, expect

    base, ctx = served_bot
    await load_unions(ctx)
    await staff_with_login(ctx, "王芳", "wangfang", "HH-XC", "HH-XC-NEF")
    enrollment = (await ctx.enrollments.enroll(application())).enrollment
    shots = Path(os.environ.get("YIZHAN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    story = "老板拖欠三个月工资不给，我的电话 13812345678"

    async with async_playwright() as pw, ClientSession() as http:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = await browser.new_page(viewport={"width": WIDE, "height": 900})
            await page.goto(f"{base}/console/")
            await page.get_by_label("登录名").fill("wangfang")
            await page.get_by_label("密码").fill(PASSWORD)
            await page.get_by_role("button", name="登录").click()
            await expect(page.get_by_text(f"R{enrollment.id}")).to_be_visible()

            # The worker asks for legal aid in Telegram while the queue is open.
            worker = Worker(http, base, fake_telegram, 4711)
            await worker.location(XINCHENG.lat, XINCHENG.lng)
            topics = await worker.say("法律援助")
            await worker.press(buttons(topics)["拖欠工资"])
            consent = await worker.say(story)
            done = await worker.press(buttons(consent)["可以联系我"])
            number = next(c.number for c in await ctx.referrals.of_worker("telegram", "4711"))
            assert number in done.params["text"] and "新城区总工会" in done.params["text"]

            await page.evaluate("window.yizhanQueuePoll()")  # the next poll, without waiting
            await expect(page.get_by_text(f"新到 1 条：{number}")).to_be_visible()
            await page.screenshot(path=str(shots / "console-queue-wide.png"), full_page=True)
            await page.get_by_role("link", name=re.compile(number)).click()
            await expect(page.get_by_text("138****5678").first).to_be_visible()
            assert "13812345678" not in await page.content()
            # The place on the Leaflet map (its marker drawn with no tile server reachable).
            await expect(page.locator("#case-map.leaflet-container")).to_be_visible()
            await expect(page.locator("#case-map path.leaflet-interactive")).to_have_count(1)
            await page.get_by_role("button", name="认领").click()
            await expect(page.get_by_text("已认领，工人会收到通知。")).to_be_visible()
            await expect(page.get_by_role("heading", name="联系工人")).to_be_visible()
            await page.get_by_role("button", name=re.compile("显示原文")).click()
            await expect(page.get_by_text(story)).to_be_visible()
            await expect(page.get_by_text("查看原文")).to_be_visible()  # on the record
            await page.get_by_label("回复工人").fill("师傅您好，工会律师明天上午联系您。")
            await page.get_by_role("button", name="发送回复").click()
            await expect(page.get_by_text("回复已发出")).to_be_visible()
            await page.screenshot(path=str(shots / "console-case-wide.png"), full_page=True)
            async with asyncio.timeout(10):
                while not any("律师明天上午" in c.params["text"] for c in worker._mine()):
                    await asyncio.sleep(0.05)

            await page.goto(f"{base}/console/?kind=enrollment")
            await page.get_by_text(f"R{enrollment.id}").click()
            await page.get_by_role("button", name="通过", exact=True).click()
            await expect(page.get_by_text("已通过，申请人会收到会员编号。")).to_be_visible()
            await page.screenshot(path=str(shots / "console-enrollment.png"), full_page=True)
            await page.set_viewport_size({"width": WIDTH, "height": 740})
            assert await page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        finally:
            await browser.close()
    assert (await ctx.enrollments.get(enrollment.id)).status == "approved"
