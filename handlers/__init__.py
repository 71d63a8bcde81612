"""The conversation, shared by every channel: a `Message` in, a list of replies out.

Adapters (Telegram, WeChat, the terminal) build a `Message` — positions already in WGS-84 —
call `services.conversation.handle(message)` and render the replies (`Text` with inline
`Button`s and an optional reply `Keyboard`, `Place` pins). Nothing here knows a wire format.

Adding a dialog (enrollment, feedback, legal aid, …) — a module of your own, e.g.
`handlers/enrollment.py`::

    from handlers import Data, InState, Message, Router, Text, TextIs, every_language

    router = Router("enrollment")

    @router.message(TextIs(*every_language("一键入会")))       # the menu button
    async def begin(state, t):
        await state.set("enroll:name")                     # per-user, in the store, with a TTL
        return Text(t("请告诉我您的姓名。"))

    @router.message(InState("enroll:name"), KindIs("text"))
    async def got_name(message: Message, state, enrollments):  # `enrollments`: see below
        await state.update(name=message.text)
        ...

then add one line, `enrollment.router,` to `DIALOGS` in `yizhan/wiring.py`. Dialog
routers are tried after /start, /help and /cancel (which always work and clear the state), and
before station search and the placeholder entry points, so your router takes its button over.
A router-wide filter keeps a dialog's handlers together: `Router("x", filters=[InState("x")])`.

Filters: `Command("start")` (gives `args`), `TextIs(...)`, `Regex(...)` (gives `match`),
`KindIs("text" | "location" | "button" | "contact")`, `Data("prefix:")` (button data; gives
`payload`), `InState("name")`, any `fn(message) -> bool | dict` via `Predicate`, combined with
`&`, `|`, `~`. A dict returned by a filter becomes injectable. Raise `Skip` in a handler to let
the next matching handler try.

Injection by parameter name: `message`, `state` (`DialogState`), `t` (translator: Chinese
message id → the user's language), `lang` ("zh" | "en"), `user_key`, anything a filter
returned, and every field of `Services` (`settings`, `db`, `store`, `clock`, `cipher`,
`finder`, `referrals`, `closed_reports`, `outbox`, `conversation`, …). A new service is a new
field of `Services`, built in `yizhan/wiring.py`; tests may pass more values to
`Conversation(services, root, extra={...})`.

Where a message came from is neutral data on `Message`, set by the adapter: `private` (False
in a group: the bot then answers a worker only with a pointer to its private chat,
`direct_link` + a start payload, and stays silent to chatter — `_private.py`),
`can_share_contact`, and for a button press the message that carried it (`card_id`,
`card_text`). Beside `Text` and `Place`, a handler may answer `Alert` (seen by the presser
alone: refusals) and `Edit` (changes the pressed card: a decision, with who and when); other
channels show both as texts. Staff buttons decide by who pressed (`_staff.py`, the access check
of `membership`), never by the chat. The worker's language (`/lang`) is kept per user
(`_language.py`), and `localize_notice` renders a worker's notice in it for the channel
adapters.

Messages of one user are handled one at a time (a lock in the store, across processes).
User-facing text is Chinese; wrap it in `t(...)` and add the English to
`handlers/locale/en/LC_MESSAGES/messages.po`.

For channels, beside `Services` and `SERVICES_KEY` (its aiohttp key): `user_key(channel, user_id)` names a user the way the
conversation does (its dialog state, lock and last location are kept under it), and
`remember_location(store, user_key, point)` / `last_location(store, user_key)` keep the worker's
last WGS-84 position for typed requests ("厕所", "附近驿站") — e.g. when a channel learns the
position without a message to answer (WeChat's silent location report).
"""

from ._cards import HOTLINE
from ._conversation import Conversation, build_root
from ._i18n import Translator, language_of, translator
from ._language import language_for, localize_notice, remember_language
from ._menu import every_language, main_keyboard
from ._messages import (
    FULL_CAPS,
    PHOTO_NOT_KEPT,
    PHOTO_REFUSED,
    REMOVE_KEYBOARD,
    Alert,
    Attachment,
    Button,
    Caps,
    Channel,
    Contact,
    Edit,
    Keyboard,
    KeyButton,
    Message,
    Place,
    Reply,
    Text,
)
from ._router import (
    Command,
    Data,
    Filter,
    InState,
    KindIs,
    Predicate,
    Regex,
    Router,
    Skip,
    TextIs,
)
from ._services import SERVICES_KEY, Services
from ._state import STATE_TTL, Busy, DialogState, UserLock, user_key
from ._stations import last_location, remember_location

__all__ = [
    "FULL_CAPS",
    "HOTLINE",
    "PHOTO_NOT_KEPT",
    "PHOTO_REFUSED",
    "REMOVE_KEYBOARD",
    "SERVICES_KEY",
    "STATE_TTL",
    "Alert",
    "Attachment",
    "Busy",
    "Button",
    "Caps",
    "Channel",
    "Command",
    "Contact",
    "Conversation",
    "Data",
    "DialogState",
    "Edit",
    "Filter",
    "InState",
    "KeyButton",
    "Keyboard",
    "KindIs",
    "Message",
    "Place",
    "Predicate",
    "Regex",
    "Reply",
    "Router",
    "Services",
    "Skip",
    "Text",
    "TextIs",
    "Translator",
    "UserLock",
    "build_root",
    "every_language",
    "language_for",
    "language_of",
    "last_location",
    "localize_notice",
    "main_keyboard",
    "remember_language",
    "remember_location",
    "translator",
    "user_key",
]
