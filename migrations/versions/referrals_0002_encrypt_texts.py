"""referrals: case texts encrypted at rest (description, outcome, event details)

A worker's legal-aid story names people, employers and phone numbers; staff replies and
outcomes answer it. The three free-text columns are renamed to `*_enc`, become TEXT (a Fernet
token is about four times its text) and every existing value is encrypted in place, in the
upgrade's transaction.

The key: the cipher of the app that runs the upgrade (`Database.migration_attributes
["pii_cipher"]`, set by `AppContext` from its settings), so rows are encrypted with exactly
the key the app will read them with. A bare `Database` without a context falls back to
`core.settings.get_settings()`, which is what every `yizhan` command reads anyway. Without
`PII_KEY` that is the development key derived from the database URL (see `core.pii`).

Downgrade decrypts back to plaintext (it needs the same key).

Revision ID: referrals_0002
Revises: referrals_0001
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

from core.pii import PiiCipher, cipher_for, rewrite_columns
from core.settings import get_settings

revision = "referrals_0002"
down_revision = "referrals_0001"
branch_labels = None
depends_on = None

# table → (plaintext column, encrypted column, its old length)
COLUMNS = {
    "cases": (("description", "description_enc", 2000), ("outcome", "outcome_enc", 1000)),
    "case_events": (("detail", "detail_enc", 2000),),
}


def _cipher() -> PiiCipher:
    given: Callable[[], PiiCipher] | None = context.config.attributes.get("pii_cipher")
    return given() if given is not None else cipher_for(get_settings())


def _rename(table: str, old: str, new: str, type_: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite renames in place (no table copy, which the cases' foreign keys would refuse)
        # and does not enforce a VARCHAR's length, so the type can stay.
        op.alter_column(table, old, new_column_name=new)
    else:
        op.alter_column(table, old, new_column_name=new, type_=type_)


def _has_rows(table: str) -> bool:
    return op.get_bind().execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        for old, new, _length in columns:
            _rename(table, old, new, sa.Text())
        if _has_rows(table):  # an empty database needs no key
            rewrite_columns(op.get_bind(), table, [new for _, new, _ in columns],
                            _cipher().encrypt)


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        if _has_rows(table):
            rewrite_columns(op.get_bind(), table, [new for _, new, _ in columns],
                            _cipher().decrypt)
        for old, new, length in columns:
            _rename(table, new, old, sa.String(length))
