"""locations: who created or edited a station through the console, and which fields changed

Revision ID: locations_0004
Revises: locations_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "locations_0004"
down_revision = "locations_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "station_id", sa.Integer, sa.ForeignKey("stations.id"), nullable=False, index=True
        ),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False, server_default=""),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("station_events")
