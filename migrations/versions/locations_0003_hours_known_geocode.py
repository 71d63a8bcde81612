"""locations: stations without known hours, where a geocoded position came from, owning union

Revision ID: locations_0003
Revises: locations_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "locations_0003"
down_revision = "locations_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.add_column(
            sa.Column("hours_known", sa.Boolean, nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("geocoded_by", sa.String(16), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("geocode_level", sa.String(32), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("owner_union", sa.String(100), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("owner_union")
        batch.drop_column("geocode_level")
        batch.drop_column("geocoded_by")
        batch.drop_column("hours_known")
