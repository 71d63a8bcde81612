"""Enrollment (`Enrollments`): validate, assign a union, store encrypted, one per person, forward
to staff; staff approve or reject (`_review`). Errors: see the package docstring.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock
from core.db import Database
from core.pii import PiiCipher, seal

from ._directory import Directory, StaffInfo, UnionInfo
from ._errors import EnrollmentInvalid, EnrollmentLocked, EnrollmentNotFound
from ._models import Enrollment, EnrollmentEvent, EnrollmentStatus
from ._review import Decision, decide, forward_to_staff
from ._validation import (
    InvalidField,
    clean_employer,
    clean_id_number,
    clean_mobile,
    clean_name,
    clean_occupation,
)
from ._view import EnrollmentView, view_of

POLICY_VERSION = "2026-01"  # the version of the privacy notice a worker agrees to
ID_POLICY_VERSION = "2026-01"
PURPOSE = "用于办理工会入会、发放会员号和提供会员服务，不作他用。"
ID_PURPOSE = "您所在的工会要求核验身份证号，仅用于核实会员身份。"


_ANY_VALID_MOBILE = "13800000000"  # stands in for a phone not verified yet (`check`)


@dataclass(slots=True)
class Application:
    """What a worker submits; `phone` must already be verified by the channel (`phone_via`)."""

    name: str
    phone: str
    phone_via: str  # "<channel>_contact" | "<channel>_code": how the channel verified it
    occupation: str
    employer: str
    league: str
    county: str
    channel: str  # the channel the worker applied through (a `core.notices` channel name)
    channel_user: str
    consent: bool = False
    id_number: str = ""
    id_consent: bool = False


@dataclass(frozen=True, slots=True)
class EnrollResult:
    enrollment: EnrollmentView
    created: bool
    # False when the existing enrollment was found by ID number under another phone: the caller
    # may tell its status but not its details.
    same_person: bool = True
    problems: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Clean:
    name: str
    phone: str
    occupation: str
    employer: str
    id_number: str | None
    union: UnionInfo


def _no_op() -> None:
    pass


class Enrollments:
    """一键入会: a worker's application from submission to decision.

    `on_enqueue` is called after a transaction that queued notices commits (the composition
    root passes the outbox dispatcher's `wake`)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        cipher: PiiCipher,
        directory: Directory,
        on_enqueue: Callable[[], None] = _no_op,
    ) -> None:
        self.db, self.clock, self.cipher, self.directory = db, clock, cipher, directory
        self.on_enqueue = on_enqueue

    async def _view(self, session: AsyncSession, row: Enrollment) -> EnrollmentView:
        union = await self.directory.get_union(row.union_id, session=session)
        return view_of(row, union, self.cipher)

    async def _validate(self, app: Application) -> _Clean:
        problems: dict[str, str] = {}
        values: dict[str, str] = {}
        today = self.clock.now().date()
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
            union = await self.directory.assign_union(
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
            values["name"],
            values["phone"],
            values["occupation"],
            values["employer"],
            id_number,
            union,
        )

    async def _existing(
        self, session: AsyncSession, phone: str, id_number: str | None
    ) -> tuple[Enrollment, bool] | None:
        """The enrollment holding this phone or ID number, and whether it matched by phone."""
        phone_hashes = self.cipher.lookup_digests("phone", phone)
        conditions = [col(Enrollment.phone_hash).in_(phone_hashes)]
        if id_number:
            conditions.append(
                col(Enrollment.id_hash).in_(self.cipher.lookup_digests("id", id_number))
            )
        rows = (await session.execute(select(Enrollment).where(or_(*conditions)))).scalars().all()
        for row in rows:
            if row.phone_hash in phone_hashes:
                return row, True
        return (rows[0], False) if rows else None

    async def _found(self, phone: str, id_number: str | None) -> EnrollResult | None:
        async with self.db.session() as session:
            found = await self._existing(session, phone, id_number)
            if found is None:
                return None
            view = await self._view(session, found[0])
        return EnrollResult(view, created=False, same_person=found[1])

    async def check(self, app: Application) -> None:
        """Raise `EnrollmentInvalid` with every problem `enroll(app)` would find, leaving out
        the phone: a channel that verifies it with a one-time code (the mini-program) checks
        the rest first, so a rejected form never spends the worker's code."""
        await self._validate(replace(app, phone=_ANY_VALID_MOBILE))

    async def enroll(self, app: Application) -> EnrollResult:
        """Submit an application, or return the one this person already has.

        Concurrent submissions of the same phone or ID number from several processes end with
        one row: the unique keyed hashes make the second insert fail, and we return the
        winner's row.
        """
        clean = await self._validate(app)
        cipher = self.cipher
        phone_hash = cipher.digest("phone", clean.phone)
        id_hash = cipher.digest("id", clean.id_number) if clean.id_number else None
        existing = await self._found(clean.phone, clean.id_number)
        if existing is not None:
            return existing
        now = self.clock.now().astimezone(UTC)
        row = Enrollment(
            union_id=clean.union.id,
            name_enc=cipher.encrypt(clean.name),
            phone_enc=cipher.encrypt(clean.phone),
            phone_hash=phone_hash,
            phone_verified_via=app.phone_via,
            id_number_enc=cipher.encrypt(clean.id_number) if clean.id_number else None,
            id_hash=id_hash,
            occupation=clean.occupation,
            employer_enc=seal(cipher, clean.employer),
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
            async with self.db.transaction() as session:
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
            existing = await self._found(clean.phone, clean.id_number)
            if existing is None:  # the constraint that failed was not ours to explain
                raise
            return existing
        self.on_enqueue()
        return EnrollResult(view, created=True)

    async def resubmit(self, enrollment_id: int, app: Application) -> EnrollmentView:
        """Correct and resubmit a pending or rejected application (same verified phone only)."""
        clean = await self._validate(app)
        cipher = self.cipher
        phone_hash = cipher.digest("phone", clean.phone)
        id_hash = cipher.digest("id", clean.id_number) if clean.id_number else None
        now = self.clock.now().astimezone(UTC)
        try:
            async with self.db.transaction() as session:
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
                row.occupation = clean.occupation
                row.employer_enc = seal(cipher, clean.employer)
                row.league, row.county = app.league.strip(), app.county.strip()
                row.channel, row.channel_user = app.channel, app.channel_user
                row.consent_version, row.consent_at = POLICY_VERSION, now
                row.id_consent_version = ID_POLICY_VERSION if clean.id_number else None
                row.id_consent_at = now if clean.id_number else None
                row.status, row.reject_reason_enc, row.decided_at, row.decided_by = (
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
        self.on_enqueue()
        return view

    async def get(self, enrollment_id: int) -> EnrollmentView | None:
        async with self.db.session() as session:
            row = await session.get(Enrollment, enrollment_id)
            return await self._view(session, row) if row is not None else None

    async def enrollment_of(self, channel: str, channel_user: str) -> EnrollmentView | None:
        """The latest enrollment submitted from this channel account ("我的会员")."""
        async with self.db.session() as session:
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
            return await self._view(session, row) if row is not None else None

    async def for_phone(self, phone: str) -> EnrollmentView | None:
        """The enrollment of a (verified) phone number, whatever channel it came from."""
        found = await self._found(clean_mobile(phone), None)
        return found.enrollment if found else None

    async def _decide(
        self,
        enrollment_id: int,
        *,
        approve: bool,
        staff: StaffInfo | None,
        actor: str,
        union_ids: frozenset[int] | None,
        reason: str = "",
        revision: int | None = None,
    ) -> Decision:
        async with self.db.transaction() as session:
            decision = await decide(
                session,
                self.directory,
                self.cipher,
                enrollment_id,
                approve=approve,
                actor=actor or f"staff:{staff.id if staff else '?'}",
                union_ids=union_ids
                if union_ids is not None
                else (staff.union_ids if staff else frozenset()),
                now=self.clock.now(),
                reason=reason,
                revision=revision,
            )
        if decision.changed:
            self.on_enqueue()
        return decision

    async def approve(
        self,
        enrollment_id: int,
        *,
        staff: StaffInfo | None = None,
        actor: str = "",
        union_ids: frozenset[int] | None = None,
        revision: int | None = None,
    ) -> Decision:
        """Approve and issue a member number; staff may only decide for their own unions."""
        return await self._decide(
            enrollment_id,
            approve=True,
            staff=staff,
            actor=actor,
            union_ids=union_ids,
            revision=revision,
        )

    async def reject(
        self,
        enrollment_id: int,
        reason: str,
        *,
        staff: StaffInfo | None = None,
        actor: str = "",
        union_ids: frozenset[int] | None = None,
        revision: int | None = None,
    ) -> Decision:
        reason = reason.strip()
        if not reason:
            raise EnrollmentInvalid({"reason": "请写明不通过的原因，方便申请人修改。"})
        if len(reason) > 500:
            raise EnrollmentInvalid({"reason": "原因请写在 500 字以内。"})
        return await self._decide(
            enrollment_id,
            approve=False,
            staff=staff,
            actor=actor,
            union_ids=union_ids,
            reason=reason,
            revision=revision,
        )

    async def list(
        self,
        union_ids: frozenset[int],
        *,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[EnrollmentView]:
        """Applications to the given unions, newest first."""
        if not union_ids:
            return []
        query = select(Enrollment).where(col(Enrollment.union_id).in_(sorted(union_ids)))
        if status:
            query = query.where(col(Enrollment.status) == status)
        query = query.order_by(col(Enrollment.id).desc()).limit(limit).offset(offset)
        async with self.db.session() as session:
            rows = (await session.execute(query)).scalars().all()
            unions = {u.id: u for u in await self.directory.all_unions(session=session)}
            return [view_of(r, unions.get(r.union_id), self.cipher) for r in rows]
