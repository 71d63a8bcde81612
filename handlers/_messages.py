"""What a conversation sees and says: a `Message` in, `Reply` objects out.

Nothing here knows a channel's wire format. Adapters (bot/telegram, bot/wechat, bot/console)
turn their updates into a `Message` — positions already converted to WGS-84 — and render each
reply in their own way (a Telegram venue, a WeChat news article, a line in a terminal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from locations import Point

Channel = Literal["telegram", "wechat", "console", "miniprogram"]
Kind = Literal["text", "location", "button", "contact", "other"]


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str
    own: bool  # the sender shared their own number (not someone else's card)
    name: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """One thing a worker sent: text, a location, a button press or a contact."""

    channel: str
    user_id: str
    chat_id: str
    text: str | None = None
    location: Point | None = None  # WGS-84
    data: str | None = None  # the callback data of a pressed inline button
    contact: Contact | None = None
    language: str = "zh"  # IETF tag as the channel reports it ("zh-hans", "en", "en-US", …)
    message_id: str = ""
    live: bool = False  # a live-location refresh rather than a fresh share

    @property
    def kind(self) -> Kind:
        if self.location is not None:
            return "location"
        if self.data is not None:
            return "button"
        if self.contact is not None:
            return "contact"
        if self.text is not None:
            return "text"
        return "other"


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button under a text: either sends `data` back or opens `url`."""

    label: str
    data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button needs exactly one of data or url")


@dataclass(frozen=True, slots=True)
class KeyButton:
    """A button of the reply keyboard; it sends its label, or asks for location/contact."""

    label: str
    request: Literal["location", "contact"] | None = None


@dataclass(frozen=True, slots=True)
class Keyboard:
    """A reply keyboard shown instead of the phone's keyboard. No rows: remove it."""

    rows: tuple[tuple[KeyButton, ...], ...] = ()
    one_time: bool = False


REMOVE_KEYBOARD = Keyboard(())


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of inline buttons
    keyboard: Keyboard | None = None  # None: leave the current keyboard as it is


@dataclass(frozen=True, slots=True)
class Place:
    """A pin on a map (a Telegram venue, a WeChat location card)."""

    title: str
    address: str
    point: Point  # WGS-84
    station_id: int | None = None


Reply = Text | Place
