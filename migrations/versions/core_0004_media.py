"""core: the media store's table (photos workers upload, station photos), and consents to
one-time notices (the mini-program's subscribe messages)

A core table rather than a domain's: the mini-program and the Telegram bot receive photos,
`referrals` attaches them to cases and station photos belong to `locations`, the lowest domain,
so only `core` can hold it for all of them. The bytes live in the object store (`MEDIA_URL`).

Revision ID: core_0004
Revises: core_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("owner_ref", sa.String(100), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False, server_default="case"),
        sa.Column("subject", sa.String(64), nullable=False, server_default=""),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("check_state", sa.String(16), nullable=False, server_default="none"),
        sa.Column("check_ref", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_media_owner_ref", "media", ["owner_ref"])
    op.create_index("ix_media_subject", "media", ["purpose", "subject"])
    op.create_index("ix_media_check_ref", "media", ["check_ref"])
    op.create_table(
        "notice_consents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notice_consents_address", "notice_consents", ["address"])


def downgrade() -> None:
    op.drop_index("ix_notice_consents_address", "notice_consents")
    op.drop_table("notice_consents")
    op.drop_index("ix_media_check_ref", "media")
    op.drop_index("ix_media_subject", "media")
    op.drop_index("ix_media_owner_ref", "media")
    op.drop_table("media")
