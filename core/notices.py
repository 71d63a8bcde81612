"""Notices: what a domain tells a person, in no channel's wire format.

A domain (membership, referrals) says *what* to tell *whom*: a `Notice` — text, optional
buttons, an optional page of our own app or console to open, an optional template name and the
values for it — addressed to a `Recipient`, a `(channel, address)` pair such as a staff group's
chat or a worker's account. It queues the notice with `send_notice(session, recipient, notice)`
inside its own transaction, so the record and the message commit together (see `core.outbox`).

Each channel adapter (in `bot/`) renders a notice to its own wire format — a Bot API
`sendMessage` with an inline keyboard, a WeCom robot text, an Official Account customer-service
text, a mini-program subscribe message — and the composition root registers that renderer with
the outbox under the channel's name. The outbox row's kind *is* the recipient's channel and its
payload is `Notice.to_payload()`: one shape for every channel.

Channel names are data (rows of `union_chats`, `staff_identities`, a worker's enrollment); the
constants below name the ones this server ships adapters for, so core code and tests can spell
them once. Domains never compare against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .outbox import enqueue

# The channels this server has adapters for (outbox kinds of the same names).
TELEGRAM = "telegram"  # Telegram: a user's or group's chat id
WECHAT = "wechat"  # WeChat Official Account (公众号): an openid of that account
MINIPROGRAM = "miniprogram"  # WeChat mini-program (小程序): an openid of the mini-program
WECOM = "wecom"  # WeCom (企业微信) group robot: the robot's webhook key
CONSOLE = "console"  # the terminal channel: nobody can be messaged first there

# Channels whose users can be messaged first (a worker told "your case was claimed" without
# writing first). The terminal cannot; a union's staff chats all can.
PUSH_CHANNELS = frozenset({TELEGRAM, WECHAT, MINIPROGRAM, WECOM})


@dataclass(frozen=True, slots=True)
class Recipient:
    """Somebody a notice can reach: `channel` (see the constants above) and `address` within it."""

    channel: str
    address: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


@dataclass(frozen=True, slots=True)
class Action:
    """A button under a notice: its label and the data a press sends back to the handlers."""

    text: str
    data: str


@dataclass(frozen=True, slots=True)
class Notice:
    """What to tell someone.

    - `text`: always present; every channel can show it.
    - `buttons`: rows of `Action`s, for channels that have buttons.
    - `footer`: a line for channels without buttons instead (e.g. "请在工作台处理…").
    - `page`: our own page to open (a mini-program page path or a console path).
    - `template` and `data`: a named message template and its values, for channels that send
      templated messages (mini-program subscribe messages); the text stays the fallback.
    """

    text: str
    buttons: tuple[tuple[Action, ...], ...] = ()
    footer: str = ""
    page: str = ""
    template: str = ""
    data: Mapping[str, str] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """The outbox payload: plain JSON, only the parts that are set."""
        payload: dict[str, Any] = {"text": self.text}
        if self.buttons:
            payload["buttons"] = [
                [{"text": b.text, "data": b.data} for b in row] for row in self.buttons
            ]
        if self.footer:
            payload["footer"] = self.footer
        if self.page:
            payload["page"] = self.page
        if self.template:
            payload["template"] = self.template
            payload["data"] = dict(self.data)
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Notice:
        rows = payload.get("buttons") or ()
        return cls(
            text=str(payload.get("text", "")),
            buttons=tuple(
                tuple(Action(str(b["text"]), str(b["data"])) for b in row) for row in rows
            ),
            footer=str(payload.get("footer", "")),
            page=str(payload.get("page", "")),
            template=str(payload.get("template", "")),
            data={str(k): str(v) for k, v in (payload.get("data") or {}).items()},
        )


def can_push(channel: str) -> bool:
    """Whether someone on `channel` can be told something they did not ask for just now."""
    return channel in PUSH_CHANNELS


async def send_notice(
    session: AsyncSession, recipient: Recipient, notice: Notice, dedupe_key: str | None = None
) -> bool:
    """Queue `notice` for `recipient` in the caller's transaction; False when the same
    (recipient, dedupe_key) was queued before — a button pressed twice sends nothing twice."""
    return await enqueue(
        session, recipient.channel, recipient.address, notice.to_payload(), dedupe_key
    )


__all__ = [
    "CONSOLE",
    "MINIPROGRAM",
    "PUSH_CHANNELS",
    "TELEGRAM",
    "WECHAT",
    "WECOM",
    "Action",
    "Notice",
    "Recipient",
    "can_push",
    "send_notice",
]
