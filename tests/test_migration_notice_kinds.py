"""core_0002: old outbox kinds and wire-format payloads become channels and notices, on SQLite
and PostgreSQL, without breaking the (kind, recipient, dedupe_key) uniqueness; and back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command

from core import AppContext
from core.db import Database, alembic_config

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
CARD = {
    "text": "【新求助】L1",
    "number": "L1",
    "case_id": 7,
    "buttons": [[{"text": "认领", "data": "case:claim:7"}]],
    "footer": "请在驿站通工作台处理，编号 L1。",
}
ENROLLMENT = {
    "text": "新的入会申请 #3",
    "reply_markup": {
        "inline_keyboard": [
            [
                {"text": "✅ 通过", "callback_data": "enr:approve:3:1"},
                {"text": "❌ 不通过", "callback_data": "enr:reject:3:1"},
            ]
        ]
    },
    "calls": [{"method": "sendMessage", "params": {"chat_id": "-100", "text": "新的入会申请 #3"}}],
}
REPLIES = {"calls": [{"method": "sendMessage", "params": {"chat_id": "42", "text": "您好"}}]}
SUBSCRIBE = {"template": "case_update", "data": {"number": "L1"}, "page": "p", "text": "好"}

# (kind, recipient, dedupe_key, payload, status)
BEFORE: list[tuple[str, str, str, dict[str, Any], str]] = [
    (
        "wecom_robot",
        "robot",
        "enrollment:3:1",
        {"msgtype": "text", "text": {"content": "申请\n请审核"}},
        "pending",
    ),
    ("wecom_robot", "robot", "case:7:card", {"text": "卡片", "footer": "请处理"}, "dead"),
    ("wechat_text", "oA", "k1", {"text": "您好"}, "pending"),
    ("wechat_subscribe", "oM", "k2", SUBSCRIBE, "sending"),
    ("telegram", "42", "update:9", REPLIES, "pending"),
    ("telegram", "-100", "enrollment:3:1", ENROLLMENT, "pending"),
    ("telegram", "-100", "case:7:card", CARD, "pending"),
    # Sent rows have no payload left: only the kind changes.
    ("telegram", "42", "update:8", {}, "sent"),
    ("telegram", "-100", "case:6:card", {}, "sent"),
    ("wecom_robot", "robot", "case:6:card", {}, "sent"),
    # Already under the new kind (a newer process wrote it): the old row must not collide.
    ("wechat_text", "oB", "dup", {"text": "旧"}, "pending"),
    ("wechat", "oB", "dup", {"text": "新"}, "pending"),
]

outbox = sa.table(
    "outbox",
    sa.column("kind", sa.String),
    sa.column("recipient", sa.String),
    sa.column("dedupe_key", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.column("last_error", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


async def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    async with db.engine.begin() as conn:
        if db.is_postgres and db.schema:
            await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
        step = command.downgrade if down else command.upgrade
        await conn.run_sync(lambda c: step(alembic_config(c), revision))


async def _rows(db: Database) -> dict[tuple[str, str, str], dict[str, Any]]:
    async with db.engine.begin() as conn:
        found = await conn.execute(
            sa.select(outbox.c.kind, outbox.c.recipient, outbox.c.dedupe_key, outbox.c.payload)
        )
        return {(r.kind, r.recipient, r.dedupe_key): r.payload for r in found}


async def test_old_kinds_become_channels_and_notices(backend: Callable[..., AppContext]) -> None:
    db = backend().db
    await _migrate(db, "core_0001")
    async with db.engine.begin() as conn:
        await conn.execute(
            outbox.insert(),
            [
                {
                    "kind": kind,
                    "recipient": to,
                    "dedupe_key": key,
                    "payload": payload,
                    "status": status,
                    "attempts": 0,
                    "next_attempt_at": NOW,
                    "last_error": "",
                    "created_at": NOW,
                }
                for kind, to, key, payload, status in BEFORE
            ],
        )

    await _migrate(db, "core_0002")
    after = await _rows(db)
    assert after == {
        ("wecom", "robot", "enrollment:3:1"): {"text": "申请\n请审核"},
        ("wecom", "robot", "case:7:card"): {"text": "卡片", "footer": "请处理"},
        ("wechat", "oA", "k1"): {"text": "您好"},
        ("miniprogram", "oM", "k2"): SUBSCRIBE,
        ("telegram_replies", "42", "update:9"): REPLIES,
        ("telegram", "-100", "enrollment:3:1"): {
            "text": "新的入会申请 #3",
            "buttons": [
                [
                    {"text": "✅ 通过", "data": "enr:approve:3:1"},
                    {"text": "❌ 不通过", "data": "enr:reject:3:1"},
                ]
            ],
        },
        ("telegram", "-100", "case:7:card"): {
            "text": CARD["text"],
            "buttons": CARD["buttons"],
            "footer": CARD["footer"],
        },
        ("telegram_replies", "42", "update:8"): {},
        ("telegram", "-100", "case:6:card"): {},
        ("wecom", "robot", "case:6:card"): {},
        ("wechat_text", "oB", "dup"): {"text": "旧"},  # left alone: its new key was taken
        ("wechat", "oB", "dup"): {"text": "新"},
    }

    await _migrate(db, "core_0001", down=True)  # a rollback of the release
    back = await _rows(db)
    assert back[("wecom_robot", "robot", "enrollment:3:1")] == {
        "msgtype": "text",
        "text": {"content": "申请\n请审核"},
    }
    assert back[("telegram", "42", "update:9")] == REPLIES
    assert back[("wechat_subscribe", "oM", "k2")] == SUBSCRIBE
    assert ("wecom_robot", "robot", "case:6:card") in back
