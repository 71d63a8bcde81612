"""membership: free texts encrypted at rest (employer, reject reason, event notes)

A worker's employer can be a one-person shop that names them; a reject reason or a decision
note can quote what the worker wrote. Like the cases' texts (referrals_0002), the three columns
are renamed to `*_enc`, become TEXT, and every existing value is encrypted in place, in the
upgrade's transaction, with the key of the app that runs the upgrade (see referrals_0002).

Downgrade decrypts back to plaintext (it needs the same key).

Revision ID: membership_0006
Revises: membership_0005
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

from core.pii import PiiCipher, cipher_for, rewrite_columns
from core.settings import get_settings

revision = "membership_0006"
down_revision = "membership_0005"
branch_labels = None
depends_on = None

# table → (plaintext column, encrypted column, its old length)
COLUMNS = {
    "enrollments": (
        ("employer", "employer_enc", 100),
        ("reject_reason", "reject_reason_enc", 500),
    ),
    "enrollment_events": (("note", "note_enc", 500),),
}


def _cipher() -> PiiCipher:
    given: Callable[[], PiiCipher] | None = context.config.attributes.get("pii_cipher")
    return given() if given is not None else cipher_for(get_settings())


def _rename(table: str, old: str, new: str, type_: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place, no table copy (the enrollments' foreign keys would refuse it); SQLite
        # does not enforce a VARCHAR's length, so the type can stay.
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
            rewrite_columns(
                op.get_bind(), table, [new for _, new, _ in columns], _cipher().encrypt
            )


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        if _has_rows(table):
            rewrite_columns(
                op.get_bind(), table, [new for _, new, _ in columns], _cipher().decrypt
            )
        for old, new, length in columns:
            _rename(table, new, old, sa.String(length))
