"""The encrypted free texts of cases (see `_models`): sealed on the way in, opened for the
people who may read them, and re-encrypted when the key changes (`yizhan pii rotate`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.pii import PiiCipher, rewrite_columns, seal, unseal

from ._models import Case, CaseEvent, CaseEventView, CaseView

# Every encrypted column of this domain, by table: what rotation (and migrations) rewrite.
__all__ = ["SEALED_COLUMNS", "case_view", "event_view", "rotate_case_keys", "seal", "unseal"]

SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": ("description_enc", "outcome_enc", "place_text_enc"),
    "case_events": ("detail_enc",),
}


def case_view(row: Case, cipher: PiiCipher) -> CaseView:
    return CaseView.model_validate(
        row,
        update={
            "description": unseal(cipher, row.description_enc),
            "outcome": unseal(cipher, row.outcome_enc),
            "place_text": unseal(cipher, row.place_text_enc),
        },
    )


def event_view(row: CaseEvent, cipher: PiiCipher) -> CaseEventView:
    return CaseEventView.model_validate(row, update={"detail": unseal(cipher, row.detail_enc)})


async def rotate_case_keys(session: AsyncSession, cipher: PiiCipher) -> int:
    """Re-encrypt every case's texts and its log with the newest key; how many cases.

    In the caller's transaction: a key missing from PII_KEY stops the run and changes nothing."""
    conn = await session.connection()
    counts = {
        table: await conn.run_sync(rewrite_columns, table, columns, cipher.rotate)
        for table, columns in SEALED_COLUMNS.items()
    }
    return counts["cases"]
