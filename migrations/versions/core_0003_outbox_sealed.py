"""core: outbox payloads sealed at rest (`payload_enc`)

A pending or dead staff card carries a worker's legal-aid story and any phone typed in it; a
reply carries where the worker is. The payload is now stored only as a `core.pii` token in the
new TEXT column `payload_enc`, and `payload` keeps `{}`. Every row that still holds a payload
(pending, sending, dead) is sealed in place, in the upgrade's transaction, with the key of the
app that runs the upgrade (`Database.migration_attributes["pii_cipher"]`, as in
referrals_0002). Sent rows were blanked when they were sent.

Downgrade opens the payloads back into `payload` (it needs the same key) and drops the column.

Revision ID: core_0003
Revises: core_0002
"""

from collections.abc import Callable
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import context, op

from core.pii import PiiCipher, cipher_for
from core.settings import get_settings

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None

outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("payload", sa.JSON),
    sa.column("payload_enc", sa.Text),
)


def _cipher() -> PiiCipher:
    given: Callable[[], PiiCipher] | None = context.config.attributes.get("pii_cipher")
    return given() if given is not None else cipher_for(get_settings())


def _rewrite(change: Callable[[Any, str], dict[str, Any] | None]) -> None:
    conn = op.get_bind()
    last = 0
    while True:  # in batches by id, so a long backlog is never all in memory
        rows = conn.execute(
            sa.select(outbox.c.id, outbox.c.payload, outbox.c.payload_enc)
            .where(outbox.c.id > last)
            .order_by(outbox.c.id)
            .limit(500)
        ).all()
        if not rows:
            return
        for row in rows:
            values = change(row.payload, row.payload_enc or "")
            if values is not None:
                conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(**values))
        last = rows[-1].id


def upgrade() -> None:
    op.add_column("outbox", sa.Column("payload_enc", sa.Text, nullable=False, server_default=""))
    cipher: list[PiiCipher] = []  # asked for only when a row needs it

    def seal(payload: Any, _sealed: str) -> dict[str, Any] | None:
        if not payload:
            return None
        cipher[:] = cipher or [_cipher()]
        token = cipher[0].encrypt(orjson.dumps(payload).decode())
        return {"payload": {}, "payload_enc": token}

    _rewrite(seal)


def downgrade() -> None:
    cipher: list[PiiCipher] = []

    def unseal(_payload: Any, sealed: str) -> dict[str, Any] | None:
        if not sealed:
            return None
        cipher[:] = cipher or [_cipher()]
        return {"payload": orjson.loads(cipher[0].decrypt(sealed))}

    _rewrite(unseal)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("payload_enc")
