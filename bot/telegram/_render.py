"""Between Telegram's JSON and the conversation: updates → `Message`, replies → API calls."""

from __future__ import annotations

from typing import Any

from handlers import Alert, Attachment, Button, Contact, Edit, Keyboard, Message, Place, Reply, Text
from locations import Point

Call = dict[str, Any]  # {"method": "sendMessage", "params": {...}}


def _point(location: dict[str, Any]) -> Point | None:
    try:
        lat, lng = float(location["latitude"]), float(location["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return Point(lat, lng)  # Telegram positions are WGS-84 already


# Media the bot can be sent, by the field of a Bot API `Message` that carries each.
_MEDIA = ("photo", "voice", "sticker", "video", "document")
ALERT_LIMIT = 200  # answerCallbackQuery's text: 0-200 characters


def start_link(username: str) -> str:
    """The deep link that opens a private chat with the bot; a `/start` payload is appended
    (Telegram allows A-Z, a-z, 0-9, _ and -, at most 64 characters)."""
    return f"https://t.me/{username}?start=" if username else ""


def is_private(chat: dict[str, Any]) -> bool:
    """A private chat with the bot. Telegram always says the type; without it, group and
    channel ids are the negative ones."""
    kind = chat.get("type")
    if kind is not None:
        return kind == "private"
    try:
        return int(chat.get("id", 0)) > 0
    except (TypeError, ValueError):
        return False


def _attachment(raw: dict[str, Any]) -> Attachment | None:
    for kind in _MEDIA:
        item = raw.get(kind)
        if not item:
            continue
        # A photo comes in several sizes, smallest first: keep the largest.
        best = item[-1] if isinstance(item, list) else item
        ref = str(best.get("file_id", "")) if isinstance(best, dict) else ""
        caption = raw.get("caption")
        return Attachment(kind, ref, caption if isinstance(caption, str) else "")  # type: ignore[arg-type]
    return None


def message_of(
    update: dict[str, Any], *, username: str = ""
) -> tuple[Message, dict[str, Any]] | None:
    """The conversation's view of an update, and the Telegram object it came from; None for
    updates the bot does not answer (channel posts, edits of text, inline queries, …).
    `username`: the bot's (getMe), for the link that moves a group member to a private chat."""
    link = start_link(username)
    if "callback_query" in update:
        query = update["callback_query"]
        sender = query.get("from") or {}
        card = query.get("message") or {}
        chat_info = card.get("chat") or {}
        chat = chat_info.get("id", sender.get("id"))
        if sender.get("id") is None or chat is None:
            return None
        text = card.get("text")
        return Message(
            channel="telegram",
            user_id=str(sender["id"]),
            chat_id=str(chat),
            data=str(query.get("data") or ""),
            language=sender.get("language_code") or "zh",
            message_id=str(query.get("id", "")),
            private=is_private(chat_info),
            can_share_contact=True,
            direct_link=link,
            card_id=str(card.get("message_id", "")),
            card_text=text if isinstance(text, str) else "",
        ), query
    live = "edited_message" in update
    raw = update.get("message") or update.get("edited_message")
    if not isinstance(raw, dict):
        return None
    sender, chat_info = raw.get("from") or {}, raw.get("chat") or {}
    chat = chat_info.get("id")
    if sender.get("id") is None or chat is None:
        return None
    location = _point(raw["location"]) if isinstance(raw.get("location"), dict) else None
    if live and location is None:
        return None  # an edited text is not a new request
    contact = None
    if isinstance(raw.get("contact"), dict):
        card = raw["contact"]
        contact = Contact(
            phone=str(card.get("phone_number", "")),
            own=card.get("user_id") == sender["id"],
            name=" ".join(filter(None, (card.get("first_name"), card.get("last_name")))),
        )
    text = raw.get("text")
    attachment = _attachment(raw) if location is None and contact is None else None
    return Message(
        channel="telegram",
        user_id=str(sender["id"]),
        chat_id=str(chat),
        text=text if isinstance(text, str) and location is None and contact is None else None,
        location=location,
        contact=contact,
        language=sender.get("language_code") or "zh",
        message_id=str(raw.get("message_id", "")),
        live=live or "live_period" in (raw.get("location") or {}),
        private=is_private(chat_info),
        can_share_contact=True,
        direct_link=link,
        attachment=attachment,
    ), raw


def _inline(rows: tuple[tuple[Button, ...], ...]) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [
                {"text": b.label, "url": b.url}
                if b.url
                else {"text": b.label, "callback_data": b.data}
                for b in row
            ]
            for row in rows
        ]
    }


def _keyboard(keyboard: Keyboard) -> dict[str, Any]:
    if not keyboard.rows:
        return {"remove_keyboard": True}
    rows = []
    for row in keyboard.rows:
        cells = []
        for key in row:
            cell: dict[str, Any] = {"text": key.label}
            if key.request == "location":
                cell["request_location"] = True
            elif key.request == "contact":
                cell["request_contact"] = True
            cells.append(cell)
        rows.append(cells)
    return {
        "keyboard": rows,
        "resize_keyboard": True,
        "one_time_keyboard": keyboard.one_time,
        "is_persistent": not keyboard.one_time,
    }


def alert_of(replies: list[Reply]) -> tuple[str, list[Reply]]:
    """For a button press: the text of its alert (the `Alert`s joined), and the other replies."""
    alerts = [r.text for r in replies if isinstance(r, Alert)]
    rest = [r for r in replies if not isinstance(r, Alert)]
    text = "\n".join(alerts)
    if len(text) > ALERT_LIMIT:
        text = text[: ALERT_LIMIT - 1] + "…"
    return text, rest


def _edit_call(chat_id: str, card_id: str, reply: Edit) -> Call:
    params: dict[str, Any] = {"chat_id": chat_id, "message_id": int(card_id)}
    # Without reply_markup an edit takes the buttons away, which is what a decided card needs.
    markup = _inline(reply.buttons) if reply.buttons else {"inline_keyboard": []}
    if reply.markup_only:
        params["reply_markup"] = markup
        return {"method": "editMessageReplyMarkup", "params": params}
    params["text"] = reply.text[:MAX_TEXT]
    params["link_preview_options"] = {"is_disabled": True}
    if reply.buttons:
        params["reply_markup"] = markup
    return {"method": "editMessageText", "params": params}


MAX_TEXT = 4096


def calls_for(chat_id: str, replies: list[Reply], *, card_id: str = "") -> list[Call]:
    """The Bot API calls that show `replies` in `chat_id`, in order. `card_id`: the message
    whose button was pressed, which an `Edit` changes (without one, an `Edit` is sent anew)."""
    calls: list[Call] = []
    for reply in replies:
        if isinstance(reply, Edit) and (reply.target or card_id).isdigit():
            calls.append(_edit_call(chat_id, reply.target or card_id, reply))
        elif isinstance(reply, Place):
            calls.append(
                {
                    "method": "sendVenue",
                    "params": {
                        "chat_id": chat_id,
                        "latitude": reply.point.lat,
                        "longitude": reply.point.lng,
                        "title": reply.title,
                        "address": reply.address or reply.title,
                    },
                }
            )
        elif isinstance(reply, Text):
            params: dict[str, Any] = {
                "chat_id": chat_id,
                "text": reply.text,
                "link_preview_options": {"is_disabled": True},
            }
            # One message carries one markup: inline buttons win; a keyboard without them
            # rides along (a text asking for a location needs its 发送位置 button).
            if reply.buttons:
                params["reply_markup"] = _inline(reply.buttons)
            elif reply.keyboard is not None:
                params["reply_markup"] = _keyboard(reply.keyboard)
            calls.append({"method": "sendMessage", "params": params})
    return calls
