"""Key rotation for the personal data this domain stores."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.pii import PiiCipher, rewrite_columns

from ._models import Enrollment

# The sealed free texts, by table: rotation rewrites them as they are (no lookup hash).
SEALED_TEXTS: dict[str, tuple[str, ...]] = {
    "enrollments": ("employer_enc", "reject_reason_enc"),
    "enrollment_events": ("note_enc",),
}


async def rotate_enrollment_keys(session: AsyncSession, cipher: PiiCipher) -> int:
    """Re-encrypt every enrollment with the newest key and recompute its lookup hashes; how many.

    In the caller's transaction (`yizhan pii rotate` runs every domain's rotation in one): a
    key missing from PII_KEY stops the whole run and changes nothing.
    """
    count = 0
    for row in (await session.execute(select(Enrollment))).scalars():
        phone = cipher.decrypt(row.phone_enc)
        row.name_enc = cipher.rotate(row.name_enc)
        row.phone_enc = cipher.rotate(row.phone_enc)
        row.phone_hash = cipher.digest("phone", phone)
        if row.id_number_enc:
            row.id_number_enc = cipher.rotate(row.id_number_enc)
            row.id_hash = cipher.digest("id", cipher.decrypt(row.id_number_enc))
        count += 1
    await session.flush()
    conn = await session.connection()
    for table, columns in SEALED_TEXTS.items():
        await conn.run_sync(rewrite_columns, table, columns, cipher.rotate)
    return count
