"""What a conversation sees and says: a `Message` in, `Reply` objects out.

Nothing here knows a channel's wire format. Adapters (bot/telegram, bot/wechat, bot/console)
turn their updates into a `Message` — positions already converted to WGS-84 — and render each
reply in their own way (a Telegram venue, a WeChat news article, a line in a terminal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from locations import Point

# A channel is named by its adapter (`core.notices` lists the shipped ones); the conversation
# treats the name as data and never branches on it.
Channel = str
Kind = Literal["text", "location", "button", "contact", "media", "other"]


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str
    own: bool  # the sender shared their own number (not someone else's card)
    name: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """Something sent that is not text: a photo, a voice message, a sticker, a file.

    `ref` is the handle for the content: a media-store id (`m…`) when the adapter already
    kept the photo, else the channel's own (e.g. a WeChat `MediaId`); `caption` the words sent
    with it. `refused`: why the adapter could not keep the photo — one of `PHOTO_REFUSED`,
    `PHOTO_NOT_KEPT` — said to the worker in their language instead of taking it."""

    kind: Literal["photo", "voice", "sticker", "video", "document"]
    ref: str = ""
    caption: str = ""
    refused: str = ""


# Why a photo could not be kept (`Attachment.refused`), as catalogue texts.
PHOTO_REFUSED = "这张照片收不下，请换一张清楚些、小一些的照片再发。"
PHOTO_NOT_KEPT = "照片这次没收到，请过一会儿再发一次。"


@dataclass(frozen=True, slots=True)
class Caps:
    """What the worker's channel can show and take, set by its adapter. Handlers word their
    help and prompts by it ("点下方按钮" only where there is a keyboard) and never by the
    channel's name. The defaults are a chat app's with everything (Telegram's private chat)."""

    keyboard: bool = True  # a reply keyboard under the input, with a "发送位置" key
    buttons: bool = True  # inline buttons; False: the adapter shows them as numbered choices
    commands: bool = True  # slash commands (/near, /cancel)
    # How a position is sent: "key" (the keyboard's key), "attach" (the chat's + menu),
    # "typed" (coordinates typed, as in the terminal).
    share_location: Literal["key", "attach", "typed"] = "key"


FULL_CAPS = Caps()


@dataclass(frozen=True, slots=True)
class Message:
    """One thing a worker sent: text, a location, a button press, a contact or an attachment.

    Beside the content, neutral facts about where it was sent, which the adapter knows and the
    conversation needs: whether the chat is a private one with the bot (`private`, False in a
    group), whether the channel can share the sender's own verified number
    (`can_share_contact`), a link that opens a private chat with the bot and takes a start
    payload appended to it (`direct_link`, "" when the channel has none), and for a button
    press the message that carried the button (`card_id`, `card_text`), so a reply can change
    it in place."""

    channel: Channel
    user_id: str
    chat_id: str
    text: str | None = None
    location: Point | None = None  # WGS-84
    data: str | None = None  # the callback data of a pressed inline button
    contact: Contact | None = None
    language: str = "zh"  # IETF tag as the channel reports it ("zh-hans", "en", "en-US", …)
    message_id: str = ""
    live: bool = False  # a live-location refresh rather than a fresh share
    private: bool = True
    can_share_contact: bool = False
    direct_link: str = ""
    card_id: str = ""
    card_text: str = ""
    attachment: Attachment | None = None
    caps: Caps = FULL_CAPS  # what the channel can show and take

    @property
    def kind(self) -> Kind:
        if self.attachment is not None:
            return "media"
        if self.location is not None:
            return "location"
        if self.data is not None:
            return "button"
        if self.contact is not None:
            return "contact"
        if self.text is not None:
            return "text"
        return "other"


def _slot_setters(cls: type, *names: str) -> tuple[Callable[[object, Any], None], ...]:
    """Setters of a frozen dataclass's slots, for its own `__init__`.

    Replies are made on every answer, five buttons to a station: setting the slots directly
    instead of through the generated `__init__` (`object.__setattr__` per field) costs a third
    less. The classes stay frozen for everyone else."""
    return tuple(vars(cls)[name].__set__ for name in names)


@dataclass(frozen=True, slots=True, init=False)
class Button:
    """An inline button under a text: either sends `data` back or opens `url`."""

    label: str
    data: str | None = None
    url: str | None = None

    def __init__(self, label: str, data: str | None = None, url: str | None = None) -> None:
        if (data is None) == (url is None):
            raise ValueError("a button needs exactly one of data or url")
        _button_label(self, label)
        _button_data(self, data)
        _button_url(self, url)


_button_label, _button_data, _button_url = _slot_setters(Button, "label", "data", "url")


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


@dataclass(frozen=True, slots=True, init=False)
class Text:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of inline buttons
    keyboard: Keyboard | None = None  # None: leave the current keyboard as it is

    def __init__(
        self,
        text: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
        keyboard: Keyboard | None = None,
    ) -> None:
        _text_text(self, text)
        _text_buttons(self, buttons)
        _text_keyboard(self, keyboard)


_text_text, _text_buttons, _text_keyboard = _slot_setters(Text, "text", "buttons", "keyboard")


@dataclass(frozen=True, slots=True, init=False)
class Place:
    """A pin on a map (a Telegram venue, a WeChat location card)."""

    title: str
    address: str
    point: Point  # WGS-84
    station_id: int | None = None

    def __init__(
        self, title: str, address: str, point: Point, station_id: int | None = None
    ) -> None:
        _place_title(self, title)
        _place_address(self, address)
        _place_point(self, point)
        _place_station_id(self, station_id)


_place_title, _place_address, _place_point, _place_station_id = _slot_setters(
    Place, "title", "address", "point", "station_id"
)


class Alert(Text):
    """A short notice only the person who pressed a button sees (a refusal, "already done").
    Channels with such a notice show it there (Telegram: an alert on the button press); the
    others show it as a text, which in their private chats is the same thing."""

    __slots__ = ()

    def __init__(self, text: str) -> None:
        super().__init__(text)


class Edit(Text):
    """The new look of a message the bot sent before: by default the one whose button was just
    pressed (`target` names another by its `card_id`). `buttons` replace its buttons (none:
    they go); with `markup_only` only the buttons change and `text` is what channels that cannot
    edit show instead. Channels that cannot edit show it as a new text."""

    __slots__ = ("markup_only", "target")
    markup_only: bool
    target: str

    def __init__(
        self,
        text: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
        *,
        markup_only: bool = False,
        target: str = "",
    ) -> None:
        super().__init__(text, buttons)
        object.__setattr__(self, "markup_only", markup_only)
        object.__setattr__(self, "target", target)


Reply = Text | Place
