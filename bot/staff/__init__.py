"""Senders that reach union staff chats through the outbox: WeCom group robots (webhook); the
Telegram groups' sender is the bot's own (`bot.telegram`). The composition root registers them.

Outbox kind "wecom" (recipient: the robot's key; payload: `core.notices.Notice.to_payload()`),
sent by `WeComSender` over `integrations.WeComRobot`: robots have no buttons, so a notice's
footer says where to act instead.
"""

from __future__ import annotations

from ._sender import WECOM_KIND, WeComSender, robot_text

__all__ = ["WECOM_KIND", "WeComSender", "robot_text"]
