"""Between Telegram's JSON and the conversation: updates → `Message`, replies → API calls."""

from __future__ import annotations

from typing import Any

from handlers import Button, Contact, Keyboard, Message, Place, Reply, Text
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


def message_of(update: dict[str, Any]) -> tuple[Message, dict[str, Any]] | None:
    """The conversation's view of an update, and the Telegram object it came from; None for
    updates the bot does not answer (channel posts, edits of text, inline queries, …)."""
    if "callback_query" in update:
        query = update["callback_query"]
        sender = query.get("from") or {}
        chat = ((query.get("message") or {}).get("chat") or {}).get("id", sender.get("id"))
        if sender.get("id") is None or chat is None:
            return None
        return Message(
            channel="telegram",
            user_id=str(sender["id"]),
            chat_id=str(chat),
            data=str(query.get("data") or ""),
            language=sender.get("language_code") or "zh",
            message_id=str(query.get("id", "")),
        ), query
    live = "edited_message" in update
    raw = update.get("message") or update.get("edited_message")
    if not isinstance(raw, dict):
        return None
    sender, chat = raw.get("from") or {}, (raw.get("chat") or {}).get("id")
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


def calls_for(chat_id: str, replies: list[Reply]) -> list[Call]:
    """The Bot API calls that show `replies` in `chat_id`, in order."""
    calls: list[Call] = []
    for reply in replies:
        if isinstance(reply, Place):
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
