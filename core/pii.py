"""Personal data at rest: encryption, a keyed hash for finding duplicates, and masking.

Keys: `PII_KEY` holds Fernet keys, comma separated, newest first. New values are encrypted with
the first key; any listed key decrypts (MultiFernet), so rotation is: put a new key in front,
run `yizhan pii rotate` (re-encrypts every value with the new key and recomputes the keyed
hashes), then drop the old key. During the change a race of two first-time enrollments of one
person, one hashed under each key, could slip past the unique index; rotate in a quiet hour.

`encrypt_fast` seals hot-path values (outbox payloads: every reply the webhook queues) with
AES-256-GCM under a key derived (HKDF) from each Fernet key, ~30x cheaper than Fernet here;
its tokens start with "a1." and `decrypt` / `rotate` read both kinds.

The keyed hash (HMAC-SHA256) lets us find "same phone" or "same ID number" without storing
either. Each key has its own hash key (HKDF of the Fernet key); new hashes use the newest, and
lookups try the hashes of every listed key (`lookup_digests`), so duplicates are still found
while a rotation is under way; `yizhan pii rotate` recomputes the stored hashes with the newest.

Development without `PII_KEY`: a key is derived from the database URL and a fixed label, and a
warning is logged once. That keeps two processes on one database agreeing on the key, and keeps
plaintext out of the database file, but anyone with the source can derive it: production must
set `PII_KEY` (generate one with `yizhan pii keygen`), and `yizhan serve` refuses to start
without it once a chat channel (Telegram, the Official Account, the mini-program) is configured
(`require_real_key`).

`rewrite_columns` passes the non-empty values of some columns of a table through a function
(`cipher.encrypt`, `cipher.rotate`): one loop for key rotation and for data migrations that
encrypt what was stored in plaintext before.

At start-up, `check_key_reads(db, settings)` refuses a key that cannot open what is already
stored (naming the column and the key to supply); a malformed key fails in `cipher_for`.

Exceptions: `PiiError` (a value that none of the keys can decrypt, or a malformed key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from collections.abc import Callable, Sequence
from functools import lru_cache, partial

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .db import Database
from .settings import Settings

log = logging.getLogger(__name__)
_DEV_LABEL = b"yizhan development PII key - not for production"
_AEAD_PREFIX = "a1."  # tokens of `encrypt_fast`; Fernet tokens start with "gAAAA"


class PiiError(Exception):
    """Personal data could not be encrypted or decrypted with the configured keys."""


class PiiCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise PiiError("没有可用的 PII_KEY")
        fernets = []
        for number, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, TypeError) as exc:
                # Which one, never the value: the line goes to the terminal and the logs.
                raise PiiError(
                    f"PII_KEY 格式不对：第 {number} 个密钥不是 Fernet 密钥（44 个字符，"
                    "用 yizhan pii keygen 生成；多个密钥用逗号分隔）。"
                ) from exc
        self._fernet = MultiFernet(fernets)
        self._hash_keys = [
            HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"yizhan pii lookup hash"
            ).derive(base64.urlsafe_b64decode(k.strip().encode()))
            for k in keys
        ]

        # AES-GCM keys for `encrypt_fast`, one per Fernet key (HKDF), found by a short id.
        aead_keys = [
            HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"yizhan pii aead").derive(
                base64.urlsafe_b64decode(k.strip().encode())
            )
            for k in keys
        ]
        self._aead = [(hashlib.sha256(k).digest()[:4], AESGCM(k)) for k in aead_keys]

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def encrypt_fast(self, value: str) -> str:
        """Like `encrypt`, for hot paths: AES-256-GCM under a key derived from the newest
        Fernet key, ~30x cheaper than Fernet here (bench/README.md). `decrypt` and `rotate`
        read both kinds of token."""
        key_id, aead = self._aead[0]
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, value.encode(), key_id)
        return _AEAD_PREFIX + base64.urlsafe_b64encode(key_id + nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        try:
            if token.startswith(_AEAD_PREFIX):
                return self._decrypt_fast(token)
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, InvalidTag, ValueError) as exc:
            raise PiiError("个人信息无法解密：PII_KEY 里缺少当初加密用的密钥") from exc

    def _decrypt_fast(self, token: str) -> str:
        raw = base64.urlsafe_b64decode(token[len(_AEAD_PREFIX) :].encode())
        key_id, nonce, sealed = raw[:4], raw[4:16], raw[16:]
        for known, aead in self._aead:
            if known == key_id:
                return aead.decrypt(nonce, sealed, key_id).decode()
        raise InvalidToken

    def rotate(self, token: str) -> str:
        """The same value encrypted with the newest key (in the same kind of token)."""
        if token.startswith(_AEAD_PREFIX):
            return self.encrypt_fast(self.decrypt(token))
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise PiiError("个人信息无法解密：PII_KEY 里缺少当初加密用的密钥") from exc

    def digest(self, kind: str, value: str) -> str:
        """Keyed hash (newest key) of a normalised value; `kind` keeps phones and IDs apart."""
        return self._digest(self._hash_keys[0], kind, value)

    def lookup_digests(self, kind: str, value: str) -> list[str]:
        """The value's hash under every listed key, newest first: what a lookup must match."""
        return [self._digest(key, kind, value) for key in self._hash_keys]

    @staticmethod
    def _digest(key: bytes, kind: str, value: str) -> str:
        message = f"{kind}:{value.strip().upper()}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()


def sealed_column() -> sa.Column:
    """The column for a sealed free text (`*_enc`). Text, not a sized string: a Fernet token is
    about four times the length of its text."""
    return sa.Column(sa.Text, nullable=False, server_default="")


def seal(cipher: PiiCipher, text: str) -> str:
    """A free text for a `*_enc` column: encrypted, and empty stays empty (nothing to hide)."""
    return cipher.encrypt(text) if text else ""


def unseal(cipher: PiiCipher, token: str) -> str:
    return cipher.decrypt(token) if token else ""


def rewrite_columns(
    conn: sa.Connection,
    table: str,
    columns: Sequence[str],
    change: Callable[[str], str],
    *,
    batch: int = 500,
) -> int:
    """Replace every non-empty value of `columns` in `table` (keyed by an integer `id`) with
    `change(value)`; how many rows were read. Call inside the caller's transaction, so one value
    that cannot be changed (`PiiError`) leaves the whole table as it was.

    Core statements on a bare table, not the ORM: migrations must not depend on today's models,
    and re-encrypting a row of an append-only log is not an edit of it."""
    t = sa.table(table, sa.column("id"), *(sa.column(c) for c in columns))
    rewrite = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("row_id"))
        .values({c: sa.bindparam(f"new_{c}") for c in columns})
    )
    seen, last = 0, None
    while True:  # in batches by id, so a long log is never all in memory
        query = sa.select(t).order_by(t.c.id).limit(batch)
        rows = conn.execute(query if last is None else query.where(t.c.id > last)).all()
        if not rows:
            return seen
        changed = [
            {
                "row_id": row.id,
                **{
                    f"new_{c}": change(v) if v else v for c, v in zip(columns, row[1:], strict=True)
                },
            }
            for row in rows
            if any(row[1:])
        ]
        if changed:
            conn.execute(rewrite, changed)
        seen, last = seen + len(rows), rows[-1].id


def generate_key() -> str:
    return Fernet.generate_key().decode()


def _dev_key(database_url: str) -> str:
    raw = hashlib.sha256(_DEV_LABEL + b"\0" + database_url.encode()).digest()
    return base64.urlsafe_b64encode(raw).decode()


@lru_cache(maxsize=16)
def _cipher(keys: tuple[str, ...]) -> PiiCipher:
    return PiiCipher(list(keys))


def cipher_for(settings: Settings) -> PiiCipher:
    """The cipher for these settings (cached per key list)."""
    if settings.pii_key is not None and settings.pii_key.get_secret_value().strip():
        keys = tuple(k for k in settings.pii_key.get_secret_value().split(",") if k.strip())
        return _cipher(keys)
    if _dev_key(settings.database_url) not in _warned:
        _warned.add(_dev_key(settings.database_url))
        log.warning(
            "PII_KEY 未设置：个人信息用由数据库地址派生的开发密钥加密，仅供开发使用。"
            "生产环境请设置 PII_KEY（yizhan pii keygen 生成）。"
        )
    return _cipher((_dev_key(settings.database_url),))


_warned: set[str] = set()


def require_real_key(settings: Settings) -> None:
    """Refuse to serve real workers under the development key: once a chat channel is
    configured, names, phones and ID numbers arrive, and anyone with the source could derive
    the key from the database URL. Raises `PiiError` naming the channels."""
    if settings.pii_key is not None and settings.pii_key.get_secret_value().strip():
        return
    live = [
        name
        for name, configured in (
            ("Telegram 机器人", settings.telegram_bot_token),
            # The Official Account's webhook answers with its token alone (plain mode).
            ("微信公众号", settings.wechat_token or settings.wechat_appid),
            ("微信小程序", settings.miniprogram_appid),
        )
        if configured
    ]
    if live:
        raise PiiError(
            f"已配置{'、'.join(live)}，会收到工友的个人信息，请先设置 PII_KEY"
            "（用 yizhan pii keygen 生成）再启动。"
        )


async def check_key_reads(db: Database, settings: Settings, *, per_column: int = 3) -> None:
    """Refuse a `PII_KEY` that cannot open what is already stored: without this check a wrong
    key starts fine and every staff view of a case or an application then fails.

    Reads the newest few values of every `*_enc` column (the convention for sealed columns) and
    decrypts them; raises `PiiError` naming the column and which key to supply. Call it at
    start-up, after the schema upgrade (a malformed key already fails in `cipher_for`)."""
    cipher = cipher_for(settings)
    for table, column, token in await db.run_sync(partial(_sealed_samples, limit=per_column)):
        try:
            cipher.decrypt(token)
        except PiiError:
            raise PiiError(_unreadable(settings, table, column, token)) from None


def _unreadable(settings: Settings, table: str, column: str, token: str) -> str:
    where = f"PII_KEY 打不开数据库里已有的个人信息（{table}.{column}）。"
    dev = _dev_key(settings.database_url)
    has_key = settings.pii_key is not None and bool(settings.pii_key.get_secret_value().strip())
    if has_key and _opens(dev, token):
        # Stored while PII_KEY was unset. The development key is derivable from the source and
        # the database URL by design, so naming it here gives nothing away.
        return (
            where + f"这些数据是在没有设置 PII_KEY 时用开发密钥加密的：请把开发密钥 {dev} "
            "加在 PII_KEY 的新密钥后面（逗号分隔）启动，运行 yizhan pii rotate 后再去掉它。"
        )
    if not has_key:
        return where + "请设置 PII_KEY 为当初加密这些数据的密钥再启动。"
    return (
        where + "请在 PII_KEY 里放上当初加密这些数据的密钥：可与新密钥并列（新密钥在前、"
        "旧密钥在后，逗号分隔），启动后运行 yizhan pii rotate 换成新密钥。"
    )


def _opens(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except (InvalidToken, ValueError):
        return False
    return True


def _sealed_samples(conn: sa.Connection, *, limit: int) -> list[tuple[str, str, str]]:
    """(table, column, value) for up to `limit` newest non-empty values of each `*_enc` column."""
    inspector = sa.inspect(conn)
    found: list[tuple[str, str, str]] = []
    for table in inspector.get_table_names():
        names = [c["name"] for c in inspector.get_columns(table)]
        for column in (n for n in names if n.endswith("_enc")):
            t = sa.table(table, *(sa.column(n) for n in {column, "id"} & set(names)))
            query = sa.select(t.c[column]).where(t.c[column].is_not(None), t.c[column] != "")
            if "id" in names:
                query = query.order_by(t.c.id.desc())
            values: list[object] = list(conn.execute(query.limit(limit)).scalars())
            found.extend((table, column, str(value)) for value in values)
    return found


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "*" * len(phone)


def mask_id_number(number: str) -> str:
    """`15010219900101123X` → `1501**********123X`."""
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}" if len(number) > 8 else "****"


def mask_name(name: str) -> str:
    """`张三丰` → `张**`: for places where the person need not be recognised (logs, lists)."""
    return name[:1] + "*" * (len(name) - 1) if name else ""
