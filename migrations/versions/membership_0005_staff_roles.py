"""membership: staff roles, bearer-token expiry and one-time set-password links

`staff_members.role` ("staff" or "admin", see `membership.Role`): admins see and act on
everything below their unions in the tree. `staff_members.token_expires_at`: a bearer token
stops working then; existing tokens keep working until rotated (`yizhan staff token`).
`staff_password_links`: the SHA-256 of a one-time link that lets a staff member choose their
own console password (`yizhan staff link`); the link itself is shown once.

Revision ID: membership_0005
Revises: membership_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "membership_0005"
down_revision = "membership_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_members") as batch:
        batch.add_column(
            sa.Column("role", sa.String(16), nullable=False, server_default="staff")
        )
        batch.add_column(sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "staff_password_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff_members.id"), nullable=False),
        sa.Column("login", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_password_links_staff_id", "staff_password_links", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_password_links_staff_id", table_name="staff_password_links")
    op.drop_table("staff_password_links")
    with op.batch_alter_table("staff_members") as batch:
        batch.drop_column("token_expires_at")
        batch.drop_column("role")
