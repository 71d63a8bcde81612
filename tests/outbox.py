"""Waiting for the wired app's outbox in end-to-end tests."""

from __future__ import annotations

import asyncio

from core.outbox import counts
from handlers import SERVICES_KEY
from tests.conftest import AppClient


async def delivered(client: AppClient) -> None:
    """Wait until the outbox has sent everything queued so far."""
    async with asyncio.timeout(10):
        while set(await counts(client.app[SERVICES_KEY].db)) - {"sent", "dead"}:
            await asyncio.sleep(0.02)
