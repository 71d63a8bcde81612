"""membership: union directory and staff

Revision ID: membership_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "membership_0001"
down_revision = None
branch_labels = ("membership",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False, index=True),
        sa.Column("league", sa.String(50), nullable=False, server_default="", index=True),
        sa.Column("county", sa.String(50), nullable=False, server_default=""),
        sa.Column("adcode", sa.String(12), nullable=False, server_default=""),
        sa.Column("industries", sa.JSON, nullable=False),
        sa.Column("employers", sa.JSON, nullable=False),
        sa.Column("pool", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("requires_id_number", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("telegram_chat_id", sa.String(40), nullable=False, server_default=""),
        sa.Column("wecom_robot_key", sa.String(100), nullable=False, server_default=""),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("unions.id"), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("telegram_user_id", sa.String(40), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_unions",
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_members.id"), primary_key=True),
        sa.Column("union_id", sa.Integer, sa.ForeignKey("unions.id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("staff_unions")
    op.drop_table("staff_members")
    op.drop_table("unions")
