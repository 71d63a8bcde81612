"""membership: staff logins and password hashes for the web console

Revision ID: membership_0004
Revises: membership_0002 (to become membership_0003 when the directory rework lands)
"""

import sqlalchemy as sa
from alembic import op

revision = "membership_0004"
# On main this follows membership_0003 (the directory rework); re-point it when merging.
down_revision = "membership_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_credentials",
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_members.id"), primary_key=True),
        sa.Column("login", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_credentials_login", "staff_credentials", ["login"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_staff_credentials_login", table_name="staff_credentials")
    op.drop_table("staff_credentials")
