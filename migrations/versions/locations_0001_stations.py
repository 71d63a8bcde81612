"""locations: stations and their status history

Revision ID: locations_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "locations_0001"
down_revision = None
branch_labels = ("locations",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(500), nullable=False, server_default=""),
        sa.Column("league", sa.String(50), nullable=False, server_default="", index=True),
        sa.Column("county", sa.String(50), nullable=False, server_default=""),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lng", sa.Float, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="standard"),
        sa.Column("build_mode", sa.String(16), nullable=False, server_default="self"),
        sa.Column("host_type", sa.String(50), nullable=False, server_default=""),
        sa.Column("area_m2", sa.Float, nullable=True),
        sa.Column("opening_hours", sa.String(500), nullable=False, server_default="24/7"),
        sa.Column("services", sa.JSON, nullable=False),
        sa.Column("most_beautiful", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("smart_24h", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="active", index=True),
        sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "station_status_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("station_id", sa.Integer, sa.ForeignKey("stations.id"), nullable=False, index=True),
        sa.Column("old_status", sa.String(16), nullable=True),
        sa.Column("new_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("source", sa.String(100), nullable=False, server_default=""),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("station_status_changes")
    op.drop_table("stations")
