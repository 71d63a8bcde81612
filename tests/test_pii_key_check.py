"""`PII_KEY` at start-up: a malformed key is refused saying which entry is wrong, and a key that
cannot open what is already stored is refused saying which key to supply — instead of starting
and answering every staff view with a 500."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from pydantic import SecretStr

from core import Settings
from core.pii import PiiError, check_key_reads, cipher_for, generate_key
from handlers import Services

KEY_A, KEY_B = generate_key(), generate_key()


def test_a_malformed_key_is_refused_naming_the_entry() -> None:
    for value, number in (("not-a-key", 1), (f"{KEY_A},short", 2)):
        with pytest.raises(PiiError) as caught:
            cipher_for(Settings(pii_key=SecretStr(value)))
        assert f"第 {number} 个密钥不是 Fernet 密钥" in str(caught.value)
        assert "short" not in str(caught.value)  # the key itself is never repeated


async def _sealed_row(services: Services, value: str) -> None:
    """A row in a sealed (`*_enc`) column, as the domains write them."""
    await services.db.upgrade()
    token = cipher_for(services.settings).encrypt(value)
    async with services.db.engine.begin() as conn:
        await conn.exec_driver_sql(
            "CREATE TABLE probe_notes (id INTEGER PRIMARY KEY, story_enc TEXT)"
        )
        await conn.exec_driver_sql(f"INSERT INTO probe_notes (id, story_enc) VALUES (1, '{token}')")


async def test_a_key_that_cannot_read_stored_data_is_refused(
    backend: Callable[..., Services],
) -> None:
    written = backend(pii_key=SecretStr(KEY_A))
    await _sealed_row(written, "工友的求助经过")
    await check_key_reads(written.db, written.settings)  # the right key passes

    wrong = backend(pii_key=SecretStr(KEY_B))
    with pytest.raises(PiiError) as caught:
        await check_key_reads(wrong.db, wrong.settings)
    message = str(caught.value)
    assert "probe_notes.story_enc" in message
    assert "当初加密这些数据的密钥" in message and "yizhan pii rotate" in message
    assert KEY_A not in message and KEY_B not in message

    unset = backend(pii_key=None)
    with pytest.raises(PiiError, match="请设置 PII_KEY"):
        await check_key_reads(unset.db, unset.settings)

    # Rotation in progress: the new key first, the old one after it.
    rotating = backend(pii_key=SecretStr(f"{KEY_B},{KEY_A}"))
    await check_key_reads(rotating.db, rotating.settings)


async def test_data_sealed_under_the_development_key_names_that_key(
    backend: Callable[..., Services],
) -> None:
    development = backend(pii_key=None)  # a demo that later goes live
    await _sealed_row(development, "13812345678")
    live = backend(pii_key=SecretStr(KEY_A))
    with pytest.raises(PiiError, match="开发密钥") as caught:
        await check_key_reads(live.db, live.settings)
    # Doing what the message says works.
    named = re.search(r"开发密钥 (\S+) 加在 PII_KEY 的新密钥后面", str(caught.value))
    assert named is not None
    fixed = backend(pii_key=SecretStr(f"{KEY_A},{named[1]}"))
    await check_key_reads(fixed.db, fixed.settings)


async def test_an_empty_database_passes(backend: Callable[..., Services]) -> None:
    services = backend(pii_key=SecretStr(KEY_B))
    await services.db.upgrade()
    await check_key_reads(services.db, services.settings)
