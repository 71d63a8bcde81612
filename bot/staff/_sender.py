"""Notices to WeCom group robots: the outbox sender for kind "wecom" (`core.notices.WECOM`).

A row's recipient is the robot's key, its payload `Notice.to_payload()`. A robot has no buttons,
so the notice's text goes out with its footer (which points staff to the workbench) on a line
of its own. The robot client (`integrations.WeComRobot`) raises its own errors; this is where
they become the outbox's: `WeComRetry` → `RetryLater` (with the robot's wait after 45009),
`WeComRejected` → `GiveUp` (the row is dead with the reason, for staff to see).
"""

from __future__ import annotations

from typing import Any

from core.notices import WECOM, Notice
from core.outbox import GiveUp, OutboxMessage, RetryLater
from integrations import WeComRejected, WeComRetry, WeComRobot

WECOM_KIND = WECOM


def robot_text(notice: Notice) -> str:
    """What a robot posts for `notice`: the text, then the footer."""
    return "\n".join(part for part in (notice.text, notice.footer) if part)


class WeComSender:
    """Outbox sender for kind "wecom"."""

    def __init__(self, robot: WeComRobot) -> None:
        self.robot = robot

    async def __call__(self, row: OutboxMessage) -> dict[str, Any] | None:
        text = robot_text(Notice.from_payload(row.payload or {}))
        if not text:
            raise GiveUp("wecom: the notice has no text")
        try:
            return await self.robot.send_text(row.recipient, text)
        except WeComRetry as exc:
            raise RetryLater(str(exc), retry_after=exc.retry_after) from exc
        except WeComRejected as exc:
            raise GiveUp(str(exc)) from exc
