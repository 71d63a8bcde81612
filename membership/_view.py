"""`EnrollmentView`: an enrollment as the domain hands it out, personal data opened (name,
phone, ID number, and the free texts: employer and reject reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.pii import PiiCipher, mask_id_number, mask_name, mask_phone, unseal

from ._directory import UnionInfo
from ._models import Enrollment
from ._occupations import OCCUPATIONS


@dataclass(frozen=True, slots=True)
class EnrollmentView:
    """An enrollment with its personal data decrypted; use the `masked_*` forms for staff."""

    id: int
    union_id: int
    union_name: str
    status: str
    revision: int
    name: str
    phone: str
    id_number: str | None
    occupation: str
    employer: str
    league: str
    county: str
    channel: str
    channel_user: str
    member_number: str | None
    reject_reason: str
    submitted_at: datetime
    decided_at: datetime | None
    consent_version: str
    id_consent_version: str | None

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str | None:
        return mask_id_number(self.id_number) if self.id_number else None

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def occupation_label(self) -> str:
        return OCCUPATIONS.get(self.occupation, self.occupation)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; we always store UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def view_of(row: Enrollment, union: UnionInfo | None, cipher: PiiCipher) -> EnrollmentView:
    assert row.id is not None
    return EnrollmentView(
        id=row.id,
        union_id=row.union_id,
        union_name=union.name if union else "",
        status=row.status,
        revision=row.revision,
        name=cipher.decrypt(row.name_enc),
        phone=cipher.decrypt(row.phone_enc),
        id_number=cipher.decrypt(row.id_number_enc) if row.id_number_enc else None,
        occupation=row.occupation,
        employer=unseal(cipher, row.employer_enc),
        league=row.league,
        county=row.county,
        channel=row.channel,
        channel_user=row.channel_user,
        member_number=row.member_number,
        reject_reason=unseal(cipher, row.reject_reason_enc),
        submitted_at=_aware(row.submitted_at) or row.submitted_at,
        decided_at=_aware(row.decided_at),
        consent_version=row.consent_version,
        id_consent_version=row.id_consent_version,
    )
