"""membership: enrollments and their history

Revision ID: membership_0002
Revises: membership_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "membership_0002"
down_revision = "membership_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enrollments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("union_id", sa.Integer, sa.ForeignKey("unions.id"), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("name_enc", sa.String(500), nullable=False),
        sa.Column("phone_enc", sa.String(500), nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("phone_verified_via", sa.String(32), nullable=False),
        sa.Column("id_number_enc", sa.String(500), nullable=True),
        sa.Column("id_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("occupation", sa.String(32), nullable=False),
        sa.Column("employer", sa.String(100), nullable=False),
        sa.Column("league", sa.String(50), nullable=False, server_default=""),
        sa.Column("county", sa.String(50), nullable=False, server_default=""),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("channel_user", sa.String(100), nullable=False, index=True),
        sa.Column("consent_version", sa.String(20), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id_consent_version", sa.String(20), nullable=True),
        sa.Column("id_consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("member_number", sa.String(20), nullable=True, unique=True),
        sa.Column("reject_reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("decided_by", sa.String(100), nullable=False, server_default=""),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "enrollment_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enrollment_id", sa.Integer, sa.ForeignKey("enrollments.id"), nullable=False,
                  index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False, server_default=""),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("enrollment_events")
    op.drop_table("enrollments")
