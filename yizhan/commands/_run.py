"""Running one command's work against the configured services."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.settings import get_settings
from handlers import Services

from ..wiring import running

T = TypeVar("T")


def run(
    work: Callable[[Services], Awaitable[T]], *, upgrade: bool = True, finder: bool = False
) -> T:
    """Run `work` with the services (schema upgraded first unless told not to; stations
    loaded if `finder`)."""

    async def wrapper() -> T:
        async with running(get_settings(), upgrade=upgrade, finder=finder) as services:
            return await work(services)

    return asyncio.run(wrapper())
