"""referrals: a case's recipients are named by channel (`case_recipients.kind` → `channel`)

The staff chats a case went to were stored with the outbox kind of their sender ("telegram",
"wecom_robot"). They are now `core.notices.Recipient`s: the column is renamed to `channel` and
"wecom_robot" becomes the channel name "wecom"; every row is kept, so a chat that already has a
case still gets nothing twice.

Revision ID: referrals_0003
Revises: referrals_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "referrals_0003"
down_revision = "referrals_0002"
branch_labels = None
depends_on = None

RENAMED = (("wecom_robot", "wecom"),)  # outbox kind → channel, where they differ


def _rename(old: str, new: str) -> None:
    # In place, on SQLite too (no table copy, which the foreign key to `cases` would make
    # fragile); the unique constraint (case, column, address) follows the renamed column.
    op.alter_column("case_recipients", old, new_column_name=new, existing_type=sa.String(32))


def upgrade() -> None:
    _rename("kind", "channel")
    for old, new in RENAMED:
        op.execute(
            sa.text("UPDATE case_recipients SET channel = :new WHERE channel = :old").bindparams(
                old=old, new=new
            )
        )


def downgrade() -> None:
    for old, new in RENAMED:
        op.execute(
            sa.text("UPDATE case_recipients SET channel = :old WHERE channel = :new").bindparams(
                old=old, new=new
            )
        )
    _rename("channel", "kind")
