"""referrals: the place a worker typed is encrypted at rest (`cases.place_text_enc`)

"Where" in a worker's own words names a home, a workplace or a street corner: personal data
like the story itself. The column is renamed to `place_text_enc`, becomes TEXT, and every
existing value is encrypted in place with the key of the app that runs the upgrade (see
referrals_0002, whose helpers this follows). Downgrade decrypts back (same key needed).

Revision ID: referrals_0005
Revises: referrals_0003
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

from core.pii import PiiCipher, cipher_for, rewrite_columns
from core.settings import get_settings

revision = "referrals_0005"
down_revision = "referrals_0003"
branch_labels = None
depends_on = None


def _cipher() -> PiiCipher:
    given: Callable[[], PiiCipher] | None = context.config.attributes.get("pii_cipher")
    return given() if given is not None else cipher_for(get_settings())


def _rename(old: str, new: str, type_: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place (no table copy, which the cases' foreign keys would refuse); SQLite does not
        # enforce a VARCHAR's length, so the type can stay.
        op.alter_column("cases", old, new_column_name=new)
    else:
        op.alter_column("cases", old, new_column_name=new, type_=type_)


def _has_rows() -> bool:
    return op.get_bind().execute(sa.text("SELECT 1 FROM cases LIMIT 1")).first() is not None


def upgrade() -> None:
    _rename("place_text", "place_text_enc", sa.Text())
    if _has_rows():  # an empty database needs no key
        rewrite_columns(op.get_bind(), "cases", ["place_text_enc"], _cipher().encrypt)


def downgrade() -> None:
    if _has_rows():
        rewrite_columns(op.get_bind(), "cases", ["place_text_enc"], _cipher().decrypt)
    _rename("place_text_enc", "place_text", sa.String(200))
