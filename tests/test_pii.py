"""core.pii and membership validation: encryption with rotation, keyed hashes, masking, checks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import select

from core import Settings, get_settings, mask_pii
from core.logging import PiiMaskingFilter
from core.pii import (
    PiiCipher,
    PiiError,
    cipher_for,
    generate_key,
    mask_id_number,
    mask_phone,
    require_real_key,
)
from handlers import Services
from membership import (
    Application,
    EnrollmentEvent,
    InvalidField,
    clean_id_number,
    clean_mobile,
    clean_name,
    rotate_enrollment_keys,
)
from membership._validation import id_check_char
from tests.unions import load_unions
from yizhan.cli import cli

TODAY = date(2026, 11, 24)


def test_encrypt_decrypt_and_rotation() -> None:
    old, new = generate_key(), generate_key()
    before = PiiCipher([old])
    token = before.encrypt("13812345678")
    assert "13812345678" not in token and before.decrypt(token) == "13812345678"
    during = PiiCipher([new, old])
    assert during.decrypt(token) == "13812345678"
    rotated = during.rotate(token)
    after = PiiCipher([new])
    assert after.decrypt(rotated) == "13812345678"
    with pytest.raises(PiiError):
        after.decrypt(token)
    # Lookups during the change find hashes made under either key.
    assert before.digest("phone", "13812345678") in during.lookup_digests("phone", "13812345678")
    assert after.digest("phone", "13812345678") == during.digest("phone", "13812345678")
    assert before.digest("phone", "x") != before.digest("id", "x")
    with pytest.raises(PiiError, match="格式不对"):
        PiiCipher(["not-a-key"])


def test_masks() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("15010219900101123X") == "1501**********123X"
    assert mask_pii("电话13812345678，证件15010219900101123X") == (
        "电话138****5678，证件1501**********123X"
    )


def test_log_lines_are_masked() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "phone %s", ("13812345678",), None)
    PiiMaskingFilter().filter(record)
    assert record.getMessage() == "phone 138****5678"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_digit_accepts_exactly_one_last_character(first17: str) -> None:
    good = first17 + id_check_char(first17)
    for last in "0123456789X":
        number = first17 + last
        try:
            clean_id_number(number, today=TODAY)
        except InvalidField as exc:
            assert number != good or "出生日期" in exc.message or "周岁" in exc.message
        else:
            assert number == good


def test_id_number_messages() -> None:
    assert clean_id_number("11010519491231002x", today=TODAY) == "11010519491231002X"
    cases = {
        "1101051949123100": "18 位",
        "110105194902300028": "出生日期不存在",  # 30 February
        "110105203001010027": "出生日期不对",  # born in 2030
        "110105194912310021": "校验不通过",
        "11010520150101" + "0010": "周岁",
    }
    for raw, expected in cases.items():
        if expected == "周岁":
            raw = raw[:17] + id_check_char(raw[:17])
        with pytest.raises(InvalidField, match=expected):
            clean_id_number(raw, today=TODAY)


def test_mobile_and_name() -> None:
    assert clean_mobile("+86 138-1234-5678") == "13812345678"
    for bad in ("12812345678", "1381234567", "138123456789", "电话"):
        with pytest.raises(InvalidField, match="11 位"):
            clean_mobile(bad)
    assert clean_name(" 阿拉坦•巴根 ") == "阿拉坦·巴根"
    assert clean_name("李 雷") == "李雷" and clean_name("Li  Lei") == "Li Lei"
    for bad, why in (("张", "2–30"), ("张3", "不要带数字"), ("·张三", "不要带数字"), ("", "填写")):
        with pytest.raises(InvalidField, match=why):
            clean_name(bad)


async def test_rotate_keeps_lookups_working(backend: Callable[..., Services]) -> None:
    old, new = generate_key(), generate_key()
    ctx = backend(pii_key=SecretStr(old))
    await ctx.db.upgrade()
    await load_unions(ctx)
    app = Application(
        name="王五",
        phone="13900001111",
        phone_via="telegram_contact",
        occupation="courier",
        employer="顺丰",
        league="呼和浩特市",
        county="新城区",
        channel="telegram",
        channel_user="1",
        consent=True,
    )
    first = (await ctx.enrollments.enroll(app)).enrollment
    await ctx.enrollments.reject(
        first.id, "单位请写顺丰的全称", actor="staff:1", union_ids=frozenset({first.union_id})
    )
    during = backend(pii_key=SecretStr(f"{new},{old}"))
    assert (
        await during.enrollments.enroll(app)
    ).enrollment.id == first.id  # still found mid-rotation
    async with during.db.transaction() as session:
        assert await rotate_enrollment_keys(session, cipher_for(during.settings)) == 1
    after = backend(pii_key=SecretStr(new))
    found = await after.enrollments.for_phone("13900001111")
    assert found is not None and found.id == first.id and found.name == "王五"
    # The free texts were re-sealed too: the new key alone opens them, the decision note included.
    assert (found.employer, found.reject_reason) == ("顺丰", "单位请写顺丰的全称")
    async with after.db.session() as session:
        note = (
            await session.execute(
                select(EnrollmentEvent.note_enc).where(EnrollmentEvent.action == "rejected")
            )
        ).scalar_one()
    assert cipher_for(after.settings).decrypt(note) == "单位请写顺丰的全称"
    assert (await after.enrollments.enroll(app)).created is False


def test_serving_a_chat_channel_needs_a_real_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`yizhan serve` with a bot configured but no PII_KEY stops before touching anything: the
    development key can be derived by anyone who has the source."""
    database = tmp_path / "live.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:live")
    monkeypatch.delenv("PII_KEY", raising=False)
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert refused.exit_code != 0
    assert "PII_KEY" in refused.output and "Telegram" in refused.output
    assert not database.exists()  # no schema, no server


def test_the_development_key_is_only_for_no_live_channel() -> None:
    require_real_key(Settings(database_url="sqlite:///x.db"))  # demo: no channel, no key needed
    with_key = Settings(
        telegram_bot_token=SecretStr("1:x"),
        miniprogram_appid="wx1",
        pii_key=SecretStr(generate_key()),
    )
    require_real_key(with_key)
    with pytest.raises(PiiError, match="Telegram 机器人、微信小程序"):
        require_real_key(Settings(telegram_bot_token=SecretStr("1:x"), miniprogram_appid="wx1"))
    with pytest.raises(PiiError, match="微信公众号"):  # plain mode: a token and nothing else
        require_real_key(Settings(wechat_token=SecretStr("token")))
