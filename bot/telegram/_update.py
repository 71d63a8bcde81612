"""The shape of a Telegram update, checked before the bot touches it.

Only what `message_of` reads is described, with the types the Bot API documents; everything
else passes through untouched (`extra="allow"`). An update that breaks this shape (`from` as a
string, a message without its chat, a latitude that is a list) can never be handled, and
Telegram sends it again for as long as we answer with an error: it is answered 200 and logged
once as rejected instead (`rejected_because`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class _User(_Shape):
    id: int
    language_code: str | None = None


class _Chat(_Shape):
    id: int


class _Location(_Shape):
    latitude: float
    longitude: float
    live_period: int | None = None


class _Contact(_Shape):
    phone_number: str
    user_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None


class _Message(_Shape):
    message_id: int
    chat: _Chat
    sender: _User | None = Field(default=None, alias="from")
    text: str | None = None
    location: _Location | None = None
    contact: _Contact | None = None


class _CallbackMessage(_Shape):
    """A callback's message may be "inaccessible" (old): only its chat is promised."""

    chat: _Chat


class _CallbackQuery(_Shape):
    id: str
    sender: _User = Field(alias="from")
    message: _CallbackMessage | None = None
    data: str | None = None


class _Update(_Shape):
    # Absent or an object; an explicit null is no update kind at all (defaults are not
    # validated, so a missing key is fine and `"callback_query": null` is refused).
    update_id: int
    message: _Message = None  # type: ignore[assignment]
    edited_message: _Message = None  # type: ignore[assignment]
    callback_query: _CallbackQuery = None  # type: ignore[assignment]


def rejected_because(update: Any) -> str | None:
    """Why `update` cannot be handled (field paths and what is wrong, never the values, which
    may be a worker's phone or words); None when it has the shape the bot reads."""
    if not isinstance(update, dict):
        return f"not an object but {type(update).__name__}"
    try:
        _Update.model_validate(update)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'update'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        ]
        return "; ".join(problems[:5]) + (
            f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        )
    return None
