"""locations: the union's own words for opening hours, and amenities beyond the catalogue

Revision ID: locations_0002
Revises: locations_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "locations_0002"
down_revision = "locations_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(
            sa.Column("opening_hours_text", sa.String(500), nullable=False, server_default="")
        )
        # JSON has no portable literal default: existing rows get an empty list below.
        batch.add_column(sa.Column("extras", sa.JSON, nullable=True))
    op.execute("UPDATE stations SET extras = '[]'")
    with op.batch_alter_table("stations") as batch:
        batch.alter_column("extras", existing_type=sa.JSON, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("extras")
        batch.drop_column("opening_hours_text")
