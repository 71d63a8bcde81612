"""membership: union chats and staff identities as rows, not per-vendor columns

A union's staff chats (`unions.telegram_chat_id`, `unions.wecom_robot_key`) become rows of
`union_chats(union_id, channel, address)`; a staff member's chat account
(`staff_members.telegram_user_id`) a row of `staff_identities(staff_id, channel, address)`.
Today's values are copied over (channels "telegram" and "wecom", the names `core.notices` gives
them) and the old columns dropped, so a new channel is a new row, not a new column.

One account acts for one staff member (`unique(channel, address)`); when several staff rows
shared a Telegram id, the lowest-numbered active one keeps it (the one the old lookup found).

Revision ID: membership_0003
Revises: membership_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "membership_0003"
down_revision = "membership_0002"
branch_labels = None
depends_on = None

# old column → channel of its rows (the values of core.notices.TELEGRAM / WECOM)
UNION_COLUMNS = (("telegram_chat_id", "telegram"), ("wecom_robot_key", "wecom"))
STAFF_COLUMN, STAFF_CHANNEL = "telegram_user_id", "telegram"


def upgrade() -> None:
    union_chats = op.create_table(
        "union_chats",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("union_id", sa.Integer, sa.ForeignKey("unions.id"), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.UniqueConstraint("union_id", "channel", "address", name="uq_union_chat"),
    )
    staff_identities = op.create_table(
        "staff_identities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "staff_id", sa.Integer, sa.ForeignKey("staff_members.id"), nullable=False, index=True
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.UniqueConstraint("channel", "address", name="uq_staff_identity"),
    )
    bind = op.get_bind()
    unions = sa.table(
        "unions",
        sa.column("id", sa.Integer),
        *(sa.column(name, sa.String) for name, _ in UNION_COLUMNS),
    )
    chats = []
    for row in bind.execute(sa.select(unions).order_by(unions.c.id)).mappings():
        for name, channel in UNION_COLUMNS:
            if row[name]:
                chats.append({"union_id": row["id"], "channel": channel, "address": row[name]})
    if chats:
        op.bulk_insert(union_chats, chats)
    staff = sa.table(
        "staff_members",
        sa.column("id", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column(STAFF_COLUMN, sa.String),
    )
    holders: dict[str, int] = {}
    query = sa.select(staff).order_by(staff.c.active.desc(), staff.c.id)
    for row in bind.execute(query).mappings():
        if row[STAFF_COLUMN]:
            holders.setdefault(row[STAFF_COLUMN], row["id"])
    if holders:
        op.bulk_insert(
            staff_identities,
            [
                {"staff_id": staff_id, "channel": STAFF_CHANNEL, "address": address}
                for address, staff_id in holders.items()
            ],
        )
    # In place (recreate="never"): on SQLite a table copy would have to drop `unions` and
    # `staff_members`, which the foreign keys into them refuse; SQLite ≥ 3.35 drops a plain
    # column with ALTER TABLE.
    with op.batch_alter_table("unions", recreate="never") as batch:
        for name, _ in UNION_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table("staff_members", recreate="never") as batch:
        batch.drop_column(STAFF_COLUMN)


def downgrade() -> None:
    with op.batch_alter_table("unions", recreate="never") as batch:
        batch.add_column(sa.Column("telegram_chat_id", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("wecom_robot_key", sa.String(100), nullable=False, server_default=""))
    with op.batch_alter_table("staff_members", recreate="never") as batch:
        batch.add_column(sa.Column(STAFF_COLUMN, sa.String(40), nullable=False, server_default=""))
    bind = op.get_bind()
    chats = sa.table(
        "union_chats",
        sa.column("union_id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("address", sa.String),
    )
    # One value per old column: the first row of each channel (a column held one chat).
    for name, channel in UNION_COLUMNS:
        seen: set[int] = set()
        query = sa.select(chats).where(chats.c.channel == channel)
        for row in bind.execute(query).mappings():
            if row["union_id"] in seen:
                continue
            seen.add(row["union_id"])
            bind.execute(
                sa.text(f"UPDATE unions SET {name} = :address WHERE id = :id"),
                {"address": row["address"], "id": row["union_id"]},
            )
    identities = sa.table(
        "staff_identities",
        sa.column("staff_id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("address", sa.String),
    )
    query = sa.select(identities).where(identities.c.channel == STAFF_CHANNEL)
    for row in bind.execute(query).mappings():
        bind.execute(
            sa.text(f"UPDATE staff_members SET {STAFF_COLUMN} = :address WHERE id = :id"),
            {"address": row["address"], "id": row["staff_id"]},
        )
    op.drop_table("staff_identities")
    op.drop_table("union_chats")
