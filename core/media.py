"""The media store: photos workers send (with a case, from the mini-program or a chat) and
station photos, kept in an object store, recorded in the `media` table.

Why here, in `core`: every room needs it and none owns it — the mini-program and the Telegram
bot (adapters) receive photos, `referrals` attaches them to cases, station photos belong to
`locations`, the lowest domain. Nothing in it is a business rule of one domain.

- `BlobStore` is the seam to the bytes: `put`, `get`, `delete` by key. Its implementations (a
  local directory, any S3-compatible object store) are in `integrations.objectstore`, picked by
  `MEDIA_URL` in the wiring; this module names no vendor.
- `Media(db, clock, blobs, cipher, …)`: `add(data, channel=…, owner=…)` checks and re-encodes
  the upload (`core.images.prepare_photo`: real type, no EXIF, bounded size), stores it and
  returns a `MediaView` whose `id` (`m` + 24 hex digits) is what a case refers to; `owned(id,
  channel, owner)` answers only for the account that uploaded it; `link(id)` is a signed,
  expiring path staff pages and the mini-program can put in an `<img>` (`verify_link` checks
  it); `content(id)` reads the bytes back; `record_check` keeps the content check's verdict
  (a photo found risky is never shown again).

Errors: `MediaError` (a ValueError, Chinese message) ← `MediaRejected` (not a photo we take),
`MediaNotFound`; `BlobStoreError` ← `BlobMissing` from the object store.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlencode

from sqlalchemy import Column, select, update
from sqlmodel import Field, SQLModel, col

from .clock import Clock
from .db import Database
from .images import DEFAULT_MAX_SIDE, ImageRejected, prepare_photo
from .outbox import AwareDateTime
from .pii import PiiCipher

ID_PATTERN = r"^m[0-9a-f]{24}$"
LINK_PREFIX = "/api/v1/media/"
LINK_SECONDS = 3600
_LINK_KIND = "media-link"


class MediaError(ValueError):
    """A media request that cannot be done; the message is Chinese, for the person who sent it."""


class MediaRejected(MediaError):
    """The upload is not a photo we accept (wrong type, broken, too large)."""


class MediaNotFound(MediaError):
    """No such media, or not this account's."""


class BlobStoreError(Exception):
    """The object store could not be read or written (network, permissions, full disk)."""


class BlobMissing(BlobStoreError):
    """No object under that key."""


class BlobStore(Protocol):
    """Where the bytes live (`integrations.objectstore`: a directory or an S3 bucket)."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


class Check:
    """What the content check said about a photo."""

    NONE = "none"  # no check configured
    PENDING = "pending"  # submitted, verdict not back yet
    PASS = "pass"
    REVIEW = "review"
    RISKY = "risky"


class MediaItem(SQLModel, table=True):
    __tablename__ = "media"

    id: str = Field(primary_key=True, max_length=32)
    channel: str = Field(max_length=16)  # who uploaded it: a channel and their address there
    owner_ref: str = Field(max_length=100, index=True)
    purpose: str = Field(default="case", max_length=16)  # case | station
    subject: str = Field(default="", max_length=64)  # e.g. a station id (indexed with purpose)
    key: str = Field(max_length=200)  # the object's key in the blob store
    content_type: str = Field(max_length=32)
    size: int
    width: int
    height: int
    sha256: str = Field(max_length=64)
    check_state: str = Field(default=Check.NONE, max_length=16)
    check_ref: str = Field(default="", max_length=64, index=True)  # the check's trace id
    created_at: datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))


@dataclass(frozen=True)
class MediaView:
    id: str
    channel: str
    owner_ref: str
    purpose: str
    subject: str
    content_type: str
    size: int
    width: int
    height: int
    check: str
    created_at: datetime

    @property
    def visible(self) -> bool:
        """False once the content check found it risky: it is then shown to nobody."""
        return self.check != Check.RISKY


def _view(row: MediaItem) -> MediaView:
    return MediaView(
        id=row.id,
        channel=row.channel,
        owner_ref=row.owner_ref,
        purpose=row.purpose,
        subject=row.subject,
        content_type=row.content_type,
        size=row.size,
        width=row.width,
        height=row.height,
        check=row.check_state,
        created_at=row.created_at,
    )


def new_media_id() -> str:
    return "m" + secrets.token_hex(12)


def is_media_id(value: str) -> bool:
    return len(value) == 25 and value[0] == "m" and all(c in "0123456789abcdef" for c in value[1:])


class Media:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        blobs: BlobStore,
        cipher: PiiCipher,
        *,
        max_side: int = DEFAULT_MAX_SIDE,
        link_seconds: int = LINK_SECONDS,
    ) -> None:
        self.db, self.clock, self.blobs = db, clock, blobs
        self._cipher = cipher
        self.max_side = max_side
        self.link_seconds = link_seconds

    async def add(
        self,
        data: bytes,
        *,
        channel: str,
        owner: str,
        purpose: str = "case",
        subject: str = "",
        check: str = Check.NONE,
    ) -> MediaView:
        """Check, re-encode and store an upload; the row is written after the bytes are safe in
        the store, so a row never points at nothing. Raises `MediaRejected`, `BlobStoreError`."""
        try:
            photo = await asyncio.to_thread(prepare_photo, data, max_side=self.max_side)
        except ImageRejected as exc:
            raise MediaRejected(str(exc)) from None
        media_id = new_media_id()
        now = self.clock.now().astimezone(UTC)
        key = f"{purpose}/{now:%Y/%m}/{media_id}.jpg"
        await self.blobs.put(key, photo.data, photo.content_type)
        row = MediaItem(
            id=media_id,
            channel=channel,
            owner_ref=owner,
            purpose=purpose,
            subject=subject,
            key=key,
            content_type=photo.content_type,
            size=len(photo.data),
            width=photo.width,
            height=photo.height,
            sha256=photo.sha256,
            check_state=check,
            created_at=now,
        )
        async with self.db.transaction() as session:
            session.add(row)
        return _view(row)

    async def get(self, media_id: str) -> MediaView | None:
        if not is_media_id(media_id):
            return None
        async with self.db.session() as session:
            row = await session.get(MediaItem, media_id)
        return None if row is None else _view(row)

    async def owned(self, media_id: str, channel: str, owner: str) -> MediaView | None:
        """The media when `owner` on `channel` uploaded it and it may be shown; else None (the
        same answer for "no such id" and "someone else's", so ids cannot be probed)."""
        found = await self.get(media_id)
        if found is None or not found.visible:
            return None
        mine = hmac.compare_digest(found.channel, channel) and hmac.compare_digest(
            found.owner_ref, owner
        )
        return found if mine else None

    async def of_subject(self, purpose: str, subject: str) -> list[MediaView]:
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(MediaItem)
                    .where(col(MediaItem.purpose) == purpose, col(MediaItem.subject) == subject)
                    .order_by(col(MediaItem.created_at), col(MediaItem.id))
                )
            ).all()
        return [_view(r) for r in rows if r.check_state != Check.RISKY]

    async def content(self, media_id: str) -> tuple[bytes, str]:
        """The stored bytes and their content type. Raises `MediaNotFound`, `BlobStoreError`."""
        async with self.db.session() as session:
            row = await session.get(MediaItem, media_id) if is_media_id(media_id) else None
        if row is None or row.check_state == Check.RISKY:
            raise MediaNotFound("没有找到这张照片。")
        try:
            return await self.blobs.get(row.key), row.content_type
        except BlobMissing:
            raise MediaNotFound("这张照片已经不在了。") from None

    async def start_check(self, media_id: str, trace_id: str) -> None:
        """The content check was submitted; its verdict comes back later under `trace_id`."""
        async with self.db.transaction() as session:
            await session.execute(
                update(MediaItem)
                .where(col(MediaItem.id) == media_id)
                .values(check_state=Check.PENDING, check_ref=trace_id[:64])
            )

    async def record_check(self, trace_id: str, verdict: str) -> bool:
        """Keep the verdict that came back for `trace_id` (pass, review or risky); False when no
        photo waits for it (an unknown or repeated push changes nothing)."""
        if verdict not in (Check.PASS, Check.REVIEW, Check.RISKY) or not trace_id:
            return False
        async with self.db.transaction() as session:
            result = await session.execute(
                update(MediaItem)
                .where(col(MediaItem.check_ref) == trace_id[:64])
                .values(check_state=verdict)
            )
        return bool(getattr(result, "rowcount", 0))

    # Signed links: an `<img src>` cannot send a bearer token, so a link carries its own proof.

    def link(self, media_id: str, *, now: float | None = None) -> str:
        """`/api/v1/media/<id>?exp=…&sig=…`, good for `link_seconds` (the path is served by the
        mini-program API; staff pages put it behind `PUBLIC_URL`)."""
        issued = time.time() if now is None else now
        # Rounded up to the next quarter hour so a page's links stay the same (browser cache).
        expires = (int(issued + self.link_seconds) // 900 + 1) * 900
        signature = self._cipher.digest(_LINK_KIND, f"{media_id}.{expires}")[:32]
        return f"{LINK_PREFIX}{media_id}?{urlencode({'exp': expires, 'sig': signature})}"

    def link_for(self, ref: str, *, now: float | None = None) -> str | None:
        """A signed link when `ref` (a case's `photo_ref`) names one of our photos, else None
        (a Telegram file id, an old free-text value: never shown as a photo)."""
        return self.link(ref, now=now) if is_media_id(ref) else None

    def verify_link(self, media_id: str, expires: str, signature: str, *, now: float) -> bool:
        try:
            deadline = int(expires)
        except ValueError:
            return False
        if deadline < now or not is_media_id(media_id):
            return False
        wanted = self._cipher.lookup_digests(_LINK_KIND, f"{media_id}.{deadline}")
        given = signature.lower().encode("utf-8", "replace")  # any text a client sends
        return any(hmac.compare_digest(given, w[:32].lower().encode()) for w in wanted)


__all__ = [
    "LINK_PREFIX",
    "BlobMissing",
    "BlobStore",
    "BlobStoreError",
    "Check",
    "Media",
    "MediaError",
    "MediaItem",
    "MediaNotFound",
    "MediaRejected",
    "MediaView",
    "is_media_id",
    "new_media_id",
]
