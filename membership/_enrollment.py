"""Enrollment: validate, assign a union, store encrypted, one per person, forward to staff.

Errors: `EnrollmentInvalid` (bad input, with one Chinese message per field; nothing stored),
`EnrollmentLocked` (an approved membership cannot be changed), `EnrollmentNotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from core.context import AppContext
from core.pii import PiiCipher, cipher_for, mask_id_number, mask_name, mask_phone

from ._directory import UnionInfo, assign_union, get_union
from ._models import Enrollment, EnrollmentEvent, EnrollmentStatus
from ._occupations import OCCUPATIONS
from ._validation import (
    InvalidField,
    clean_employer,
    clean_id_number,
    clean_mobile,
    clean_name,
    clean_occupation,
)

POLICY_VERSION = "2026-01"  # the version of the privacy notice a worker agrees to
ID_POLICY_VERSION = "2026-01"
PURPOSE = "用于办理工会入会、发放会员号和提供会员服务，不作他用。"
ID_PURPOSE = "您所在的工会要求核验身份证号，仅用于核实会员身份。"


class EnrollmentError(Exception):
    """Base of the enrollment errors; the message is Chinese and can be shown to the worker."""


class EnrollmentInvalid(EnrollmentError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("；".join(problems.values()))
        self.problems = problems


class EnrollmentLocked(EnrollmentError):
    """The membership is approved; it cannot be resubmitted."""


class EnrollmentNotFound(EnrollmentError):
    pass


@dataclass(slots=True)
class Application:
    """What a worker submits; `phone` must already be verified by the channel (`phone_via`)."""

    name: str
    phone: str
    phone_via: str  # telegram_contact | miniprogram_code
    occupation: str
    employer: str
    league: str
    county: str
    channel: str  # telegram | miniprogram | wechat
    channel_user: str
    consent: bool = False
    id_number: str = ""
    id_consent: bool = False


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


@dataclass(frozen=True, slots=True)
class EnrollResult:
    enrollment: EnrollmentView
    created: bool
    # False when the existing enrollment was found by ID number under another phone: the caller
    # may tell its status but not its details.
    same_person: bool = True
    problems: dict[str, str] = field(default_factory=dict)


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
        employer=row.employer,
        league=row.league,
        county=row.county,
        channel=row.channel,
        channel_user=row.channel_user,
        member_number=row.member_number,
        reject_reason=row.reject_reason,
        submitted_at=_aware(row.submitted_at) or row.submitted_at,
        decided_at=_aware(row.decided_at),
        consent_version=row.consent_version,
        id_consent_version=row.id_consent_version,
    )


async def _view(context: AppContext, row: Enrollment) -> EnrollmentView:
    return view_of(row, await get_union(context.db, row.union_id), cipher_for(context.settings))


@dataclass(slots=True)
class _Clean:
    name: str
    phone: str
    occupation: str
    employer: str
    id_number: str | None
    union: UnionInfo


async def _validate(context: AppContext, app: Application) -> _Clean:
    problems: dict[str, str] = {}
    values: dict[str, str] = {}
    today = context.clock.now().date()
    checks = (
        ("name", lambda: clean_name(app.name)),
        ("phone", lambda: clean_mobile(app.phone)),
        ("occupation", lambda: clean_occupation(app.occupation)),
        ("employer", lambda: clean_employer(app.employer)),
    )
    for key, check in checks:
        try:
            values[key] = check()
        except InvalidField as exc:
            problems[exc.field] = exc.message
    if not app.consent:
        problems["consent"] = f"入会需要您同意我们使用您的信息：{PURPOSE}"
    if not app.league.strip():
        problems["league"] = "请选择您所在的盟市。"
    union = None
    if "occupation" in values and "employer" in values and app.league.strip():
        union = await assign_union(
            context.db,
            league=app.league.strip(),
            county=app.county.strip(),
            occupation=values["occupation"],
            employer=values["employer"],
        )
        if union is None:
            problems["league"] = "这个地区暂时还没有可以受理入会的工会，请拨打 12351 咨询。"
    id_number = None
    if app.id_number.strip():
        try:
            id_number = clean_id_number(app.id_number, today=today)
        except InvalidField as exc:
            problems[exc.field] = exc.message
        if not app.id_consent:
            problems["id_consent"] = f"填写身份证号需要您单独同意：{ID_PURPOSE}"
    elif union is not None and union.requires_id_number:
        problems["id_number"] = f"{union.name}要求填写 18 位身份证号。"
    if problems:
        raise EnrollmentInvalid(problems)
    assert union is not None
    return _Clean(
        values["name"], values["phone"], values["occupation"], values["employer"], id_number, union
    )


async def _existing(
    context: AppContext, phone: str, id_number: str | None
) -> tuple[Enrollment, bool] | None:
    """The enrollment holding this phone or ID number, and whether it matched by phone."""
    cipher = cipher_for(context.settings)
    phone_hashes = cipher.lookup_digests("phone", phone)
    conditions = [col(Enrollment.phone_hash).in_(phone_hashes)]
    if id_number:
        conditions.append(col(Enrollment.id_hash).in_(cipher.lookup_digests("id", id_number)))
    async with context.db.session() as session:
        rows = (await session.execute(select(Enrollment).where(or_(*conditions)))).scalars().all()
    for row in rows:
        if row.phone_hash in phone_hashes:
            return row, True
    return (rows[0], False) if rows else None


async def enroll(context: AppContext, app: Application) -> EnrollResult:
    """Submit an application, or return the one this person already has.

    Concurrent submissions of the same phone or ID number from several processes end with one
    row: the unique keyed hashes make the second insert fail, and we return the winner's row.
    """
    from ._review import forward_to_staff, wake_outbox

    clean = await _validate(context, app)
    cipher = cipher_for(context.settings)
    phone_hash = cipher.digest("phone", clean.phone)
    id_hash = cipher.digest("id", clean.id_number) if clean.id_number else None
    found = await _existing(context, clean.phone, clean.id_number)
    if found is not None:
        return EnrollResult(await _view(context, found[0]), created=False, same_person=found[1])
    now = context.clock.now().astimezone(UTC)
    row = Enrollment(
        union_id=clean.union.id,
        name_enc=cipher.encrypt(clean.name),
        phone_enc=cipher.encrypt(clean.phone),
        phone_hash=phone_hash,
        phone_verified_via=app.phone_via,
        id_number_enc=cipher.encrypt(clean.id_number) if clean.id_number else None,
        id_hash=id_hash,
        occupation=clean.occupation,
        employer=clean.employer,
        league=app.league.strip(),
        county=app.county.strip(),
        channel=app.channel,
        channel_user=app.channel_user,
        consent_version=POLICY_VERSION,
        consent_at=now,
        id_consent_version=ID_POLICY_VERSION if clean.id_number else None,
        id_consent_at=now if clean.id_number else None,
        submitted_at=now,
    )
    try:
        async with context.db.transaction() as session:
            session.add(row)
            await session.flush()
            assert row.id is not None
            session.add(
                EnrollmentEvent(
                    enrollment_id=row.id, action="submitted", actor=f"{app.channel}", at=now
                )
            )
            view = view_of(row, clean.union, cipher)
            await forward_to_staff(session, view, clean.union)
    except IntegrityError:
        found = await _existing(context, clean.phone, clean.id_number)
        if found is None:  # the constraint that failed was not ours to explain
            raise
        return EnrollResult(await _view(context, found[0]), created=False, same_person=found[1])
    wake_outbox(context)
    return EnrollResult(view, created=True)


async def resubmit(context: AppContext, enrollment_id: int, app: Application) -> EnrollmentView:
    """Correct and resubmit a pending or rejected application (same verified phone only)."""
    from ._review import forward_to_staff, wake_outbox

    clean = await _validate(context, app)
    cipher = cipher_for(context.settings)
    phone_hash = cipher.digest("phone", clean.phone)
    id_hash = cipher.digest("id", clean.id_number) if clean.id_number else None
    now = context.clock.now().astimezone(UTC)
    try:
        async with context.db.transaction() as session:
            row = await session.get(Enrollment, enrollment_id, with_for_update=True)
            if row is None or row.phone_hash not in cipher.lookup_digests("phone", clean.phone):
                raise EnrollmentNotFound("没有找到用这个手机号提交的入会申请。")
            if row.status == EnrollmentStatus.APPROVED:
                raise EnrollmentLocked(
                    f"您已经是工会会员了（会员号 {row.member_number}），无需重新提交。"
                )
            row.union_id = clean.union.id
            row.phone_hash = phone_hash
            row.name_enc = cipher.encrypt(clean.name)
            row.id_number_enc = cipher.encrypt(clean.id_number) if clean.id_number else None
            row.id_hash = id_hash
            row.occupation, row.employer = clean.occupation, clean.employer
            row.league, row.county = app.league.strip(), app.county.strip()
            row.channel, row.channel_user = app.channel, app.channel_user
            row.consent_version, row.consent_at = POLICY_VERSION, now
            row.id_consent_version = ID_POLICY_VERSION if clean.id_number else None
            row.id_consent_at = now if clean.id_number else None
            row.status, row.reject_reason, row.decided_at, row.decided_by = (
                EnrollmentStatus.SUBMITTED,
                "",
                None,
                "",
            )
            row.revision += 1
            row.submitted_at = now
            session.add(
                EnrollmentEvent(
                    enrollment_id=enrollment_id, action="resubmitted", actor=app.channel, at=now
                )
            )
            await session.flush()
            view = view_of(row, clean.union, cipher)
            await forward_to_staff(session, view, clean.union)
    except IntegrityError:
        raise EnrollmentInvalid(
            {"id_number": "这个身份证号已经用另一个手机号申请过入会了，请核对或拨打 12351。"}
        ) from None
    wake_outbox(context)
    return view


async def get_enrollment(context: AppContext, enrollment_id: int) -> EnrollmentView | None:
    async with context.db.session() as session:
        row = await session.get(Enrollment, enrollment_id)
    return await _view(context, row) if row is not None else None


async def enrollment_of(
    context: AppContext, channel: str, channel_user: str
) -> EnrollmentView | None:
    """The latest enrollment submitted from this channel account ("我的会员")."""
    async with context.db.session() as session:
        row = (
            (
                await session.execute(
                    select(Enrollment)
                    .where(
                        col(Enrollment.channel) == channel,
                        col(Enrollment.channel_user) == channel_user,
                    )
                    .order_by(col(Enrollment.id).desc())
                )
            )
            .scalars()
            .first()
        )
    return await _view(context, row) if row is not None else None


async def enrollment_for_phone(context: AppContext, phone: str) -> EnrollmentView | None:
    """The enrollment of a (verified) phone number, whatever channel it came from."""
    found = await _existing(context, clean_mobile(phone), None)
    return await _view(context, found[0]) if found else None


async def list_enrollments(
    context: AppContext,
    union_ids: frozenset[int],
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[EnrollmentView]:
    if not union_ids:
        return []
    query = select(Enrollment).where(col(Enrollment.union_id).in_(sorted(union_ids)))
    if status:
        query = query.where(col(Enrollment.status) == status)
    query = query.order_by(col(Enrollment.id).desc()).limit(limit).offset(offset)
    async with context.db.session() as session:
        rows = (await session.execute(query)).scalars().all()
    return [await _view(context, r) for r in rows]
