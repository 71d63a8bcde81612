"""core: outbox kinds become channels, payloads become notices

Revision ID: core_0002
Revises: core_0001

Before: the domains queued wire formats — "wecom_robot" (`{"msgtype": "text", "text":
{"content"}}`), "wechat_text" (`{"text"}`), "wechat_subscribe" (`{"template", "data", "page",
"text"}`) and "telegram" in two shapes (`{"calls": [...]}` from the bot, `{"text", "buttons" |
"reply_markup", ...}` from the domains). After: kind = the recipient's channel ("wecom",
"wechat", "miniprogram", "telegram") with a `core.notices.Notice` payload, and the bot's own
replies under "telegram_replies" (`{"calls"}`).

Rows not yet sent get the new kind and payload. Sent rows (their payload already blanked) get
the new kind too, where it is clear, so a dedupe key used before the upgrade still stops the
same message after it; a sent "telegram" row is the bot's reply when its key is the bot's
("update:<id>"). A row whose new (kind, recipient, dedupe_key) is already taken stays as it is
(unique constraint `uq_outbox_dedupe`); only a pending duplicate would be sent twice, and none
exists before this revision.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None

NOTICE_KEYS = ("text", "buttons", "footer", "page", "template", "data")
RENAMED = {"wecom_robot": "wecom", "wechat_text": "wechat", "wechat_subscribe": "miniprogram"}

outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("recipient", sa.String),
    sa.column("dedupe_key", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("status", sa.String),
)


def _buttons(markup: Any) -> list[list[dict[str, str]]]:
    """Bot API `inline_keyboard` rows → notice buttons (callback buttons only)."""
    rows = []
    for row in (markup or {}).get("inline_keyboard") or []:
        cells = [
            {"text": str(b["text"]), "data": str(b["callback_data"])}
            for b in row
            if isinstance(b, dict) and "callback_data" in b
        ]
        if cells:
            rows.append(cells)
    return rows


def convert(kind: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The new (kind, payload) of a row not yet sent (also used by the tests)."""
    if kind == "wecom_robot":
        if "msgtype" in payload:
            return "wecom", {"text": str((payload.get("text") or {}).get("content", ""))}
        kind = "wecom"  # already the neutral shape ({"text", "footer", ...})
    elif kind in RENAMED:
        kind = RENAMED[kind]
    elif kind == "telegram":
        if payload.get("calls") and not payload.get("text"):
            return "telegram_replies", {"calls": payload["calls"]}
        if "buttons" not in payload and payload.get("reply_markup"):
            payload = {**payload, "buttons": _buttons(payload["reply_markup"])}
    else:
        return kind, payload
    notice = {k: payload[k] for k in NOTICE_KEYS if payload.get(k) not in (None, "", [], {})}
    notice.setdefault("text", "")
    return kind, notice


def unconvert(kind: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The old (kind, payload) of a row not yet sent, for a downgrade."""
    if kind == "wecom":
        content = "\n".join(p for p in (payload.get("text"), payload.get("footer")) if p)
        return "wecom_robot", {"msgtype": "text", "text": {"content": content}}
    if kind == "wechat":
        return "wechat_text", {"text": payload.get("text", "")}
    if kind == "miniprogram":
        return "wechat_subscribe", payload
    if kind == "telegram_replies":
        return "telegram", payload
    return kind, payload


def _move(mapping: Any, sent_kind: Any) -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            outbox.c.id,
            outbox.c.kind,
            outbox.c.recipient,
            outbox.c.dedupe_key,
            outbox.c.payload,
            outbox.c.status,
        )
    ).all()
    taken = {(r.kind, r.recipient, r.dedupe_key) for r in rows}
    for row in rows:
        if row.status == "sent":
            new_kind, payload = sent_kind(row.kind, row.dedupe_key), None
        else:
            new_kind, payload = mapping(row.kind, dict(row.payload or {}))
        if new_kind == row.kind:
            if payload is not None and payload != row.payload:
                conn.execute(
                    outbox.update().where(outbox.c.id == row.id).values(payload=payload)
                )
            continue
        if (new_kind, row.recipient, row.dedupe_key) in taken:
            continue  # the new key exists already: leave this row as it was
        taken.discard((row.kind, row.recipient, row.dedupe_key))
        taken.add((new_kind, row.recipient, row.dedupe_key))
        values: dict[str, Any] = {"kind": new_kind}
        if payload is not None:
            values["payload"] = payload
        conn.execute(outbox.update().where(outbox.c.id == row.id).values(**values))


def _sent_kind(kind: str, dedupe_key: str) -> str:
    if kind == "telegram":
        return "telegram_replies" if dedupe_key.startswith("update:") else kind
    return RENAMED.get(kind, kind)


def _sent_old_kind(kind: str, dedupe_key: str) -> str:
    old = {new: old for old, new in RENAMED.items()}
    return "telegram" if kind == "telegram_replies" else old.get(kind, kind)


def upgrade() -> None:
    _move(convert, _sent_kind)


def downgrade() -> None:
    _move(unconvert, _sent_old_kind)
