"""referrals: cases, their audit log and recipients, administrative boundaries

Revision ID: referrals_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "referrals_0001"
down_revision = None
branch_labels = ("referrals",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(12), nullable=False, unique=True, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False, server_default=""),
        sa.Column("photo_ref", sa.String(500), nullable=False, server_default=""),
        sa.Column("station_id", sa.Integer, nullable=True, index=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lng", sa.Float, nullable=True),
        sa.Column("place_text", sa.String(200), nullable=False, server_default=""),
        sa.Column("consent_contact", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("worker_ref", sa.String(100), nullable=False, index=True),
        sa.Column("source_ref", sa.String(100), nullable=True),
        sa.Column("county_adcode", sa.String(12), nullable=False, server_default=""),
        sa.Column("area_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("union_id", sa.Integer, nullable=True, index=True),
        sa.Column("level", sa.String(16), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="new", index=True),
        sa.Column("claimed_by", sa.Integer, nullable=True),
        sa.Column("claimed_by_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(1000), nullable=False, server_default=""),
        sa.Column("duplicate_of", sa.Integer, nullable=True),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "source_ref", name="uq_cases_source"),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(60), nullable=False),
        sa.Column("actor_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("channel", sa.String(16), nullable=False, server_default=""),
        sa.Column("detail", sa.String(2000), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "case_recipients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("union_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False, server_default="routed"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "kind", "address", name="uq_case_recipient"),
    )
    op.create_table(
        "boundaries",
        sa.Column("adcode", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent", sa.String(12), nullable=False, server_default=""),
        sa.Column("min_lat", sa.Float, nullable=False),
        sa.Column("max_lat", sa.Float, nullable=False),
        sa.Column("min_lng", sa.Float, nullable=False),
        sa.Column("max_lng", sa.Float, nullable=False),
        sa.Column("polygons", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    for table in ("boundaries", "case_recipients", "case_events", "cases"):
        op.drop_table(table)
