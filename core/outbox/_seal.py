"""Outbox payloads sealed at rest: what a row says (a staff card carries a worker's story and
phone, a reply the worker's whereabouts) is stored only as a `core.pii` token in
`payload_enc`; the `payload` column stays `{}`.

Sealed where rows are written (`insert_rows`, in the caller's transaction) and opened where
they are read (a claim, and any ORM load of `OutboxMessage`, so senders, tools and tests see
`message.payload` as it was queued). The cipher is the database's (`Database.cipher`, set by the
composition root); a bare `Database` falls back to the one the settings give.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import attributes

from ..db import Database
from ..pii import PiiCipher, PiiError, cipher_for, rewrite_columns
from ..settings import get_settings
from ._model import OutboxMessage


def cipher_of(conn: Connection) -> PiiCipher:
    database = Database.of(conn)
    cipher = database.cipher if database is not None else None
    return cipher if cipher is not None else cipher_for(get_settings())


def seal(cipher: PiiCipher, payload: dict[str, Any]) -> str:
    # encrypt_fast: this runs for every reply the webhook queues (bench/README.md).
    return cipher.encrypt_fast(orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS).decode())


def opened(cipher: PiiCipher, token: str) -> dict[str, Any]:
    """The payload a sealed row holds (`{}` once sent); PiiError when no key opens it."""
    if not token:
        return {}
    value = orjson.loads(cipher.decrypt(token))
    if not isinstance(value, dict):
        raise PiiError("outbox payload is not an object")
    return value


@event.listens_for(OutboxMessage, "load")
def _open_on_load(target: OutboxMessage, context: Any) -> None:
    """ORM loads see the payload as queued. Set as the committed value, so the session never
    thinks it changed and never writes it back in plaintext."""
    if not target.payload_enc:
        return
    try:
        conn = context.session.connection()
        payload = opened(cipher_of(conn), target.payload_enc)
    except PiiError:
        return  # left `{}`: the dispatcher reports the row it cannot open
    attributes.set_committed_value(target, "payload", payload)


async def rotate_outbox_keys(session: AsyncSession, cipher: PiiCipher) -> int:
    """Re-seal every waiting or dead message with the newest key (`yizhan pii rotate`), in the
    caller's transaction; how many messages still hold contents."""
    conn = await session.connection()
    await conn.run_sync(rewrite_columns, "outbox", ["payload_enc"], cipher.rotate)
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    held = await session.execute(select(func.count()).where(table.c.payload_enc != ""))
    return int(held.scalar_one())
