"""Consents to subscribe messages: each "allow" is one message, kept per user and kind; a used
one is gone; "reject" and other users' answers count for nothing."""

from __future__ import annotations

from handlers import Services


async def test_each_acceptance_is_one_message(context: Services) -> None:
    consents = context.consents
    await consents.record("miniprogram", "o-1", [("case", "t-case", "accept")])
    await consents.record(
        "miniprogram", "o-1", [("case", "t-case", "accept"), ("enrollment", "t-e", "reject")]
    )
    await consents.record("miniprogram", "o-2", [("case", "t-case", "accept")])
    assert await consents.available("miniprogram", "o-1", "case") == 2
    assert await consents.available("miniprogram", "o-1", "enrollment") == 0
    assert await consents.use("miniprogram", "o-1", "case", "t-case")
    assert await consents.use("miniprogram", "o-1", "case", "t-case")
    assert not await consents.use("miniprogram", "o-1", "case", "t-case")  # none left
    assert await consents.available("miniprogram", "o-2", "case") == 1
