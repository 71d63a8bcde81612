"""Photos: `POST /api/v1/media` as `wx.uploadFile` sends it, the media store behind it, and the
signed links that show a photo. What a rider would notice: the GPS position their phone wrote
into the photo never reaches anyone, only real photos are taken, big ones are refused with a
clear Chinese reason, and a link works only as given."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import func, select

from core.images import ImageRejected, prepare_photo
from core.media import MediaItem
from handlers import SERVICES_KEY, Services
from tests.fakes.wechat import FakeWeChat, wechat_settings
from tests.photos import encoded, has_gps, phone_jpeg, upload_form
from yizhan.app import create_app


@pytest.fixture
async def api(
    fake_wechat: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
    tmp_path: Path,
) -> TestClient:
    settings = wechat_settings(fake_wechat) | {
        "media_url": f"file://{tmp_path / 'media'}",
        "media_max_bytes": 300_000,
    }
    client: TestClient = await aiohttp_client(create_app(backend(**settings)))
    return client


async def login(api: TestClient, fake: FakeWeChat, openid: str) -> dict[str, str]:
    fake.codes[f"code-{openid}"] = (openid, "session-key")
    body = await (await api.post("/api/v1/auth/login", json={"code": f"code-{openid}"})).json()
    return {"Authorization": f"Bearer {body['token']}"}


async def _rows(api: TestClient) -> int:
    async with api.app[SERVICES_KEY].db.session() as session:
        return (await session.execute(select(func.count()).select_from(MediaItem))).scalar() or 0


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height` (a decompression bomb's shape)."""
    raw = encoded("PNG", (8, 8))
    ihdr = raw.index(b"IHDR")
    fields = struct.pack(">II", width, height) + raw[ihdr + 12 : ihdr + 17]
    chunk = b"IHDR" + fields
    patched = chunk + struct.pack(">I", zlib.crc32(chunk))
    return raw[:ihdr] + patched + raw[ihdr + len(patched) :]


def test_the_gps_position_and_the_rest_of_exif_are_gone() -> None:
    original = phone_jpeg()
    assert has_gps(original)
    photo = prepare_photo(original)
    assert not has_gps(photo.data)
    assert photo.content_type == "image/jpeg" and photo.source_format == "JPEG"


def test_photos_are_turned_upright_bounded_and_flattened() -> None:
    upright = prepare_photo(phone_jpeg((400, 300), orientation=6))
    assert (upright.width, upright.height) == (300, 400)  # EXIF said "rotate 90°"
    large = prepare_photo(encoded("WEBP", (4000, 3000)), max_side=1600)
    assert (large.width, large.height) == (1600, 1200)
    clear = prepare_photo(encoded("PNG", mode="RGBA"))
    with Image.open(io.BytesIO(clear.data)) as image:
        assert image.format == "JPEG" and image.getpixel((1, 1)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (encoded("GIF"), "JPG、PNG 或 WebP"),
        (encoded("BMP"), "JPG、PNG 或 WebP"),
        (b"%PDF-1.7 not a photo", "不是一张能打开的照片"),
        (b"", "没有收到照片"),
        (phone_jpeg()[:2000], "已损坏"),
        (_bomb_png(20_000, 20_000), "太大"),
        (_bomb_png(10_000, 6_000), "太大"),  # under Pillow's own limit, over ours
    ],
)
def test_only_real_photos_are_taken(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected, match=reason):
        prepare_photo(data)


async def test_upload_strips_gps_and_the_link_shows_the_photo(
    api: TestClient, fake_wechat: FakeWeChat, tmp_path: Path
) -> None:
    auth = await login(api, fake_wechat, "o-rider")
    resp = await api.post("/api/v1/media", data=upload_form(phone_jpeg()), headers=auth)
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["id"].startswith("m") and len(body["id"]) == 25
    assert (body["width"], body["height"], body["content_type"]) == (400, 300, "image/jpeg")
    assert body["check"] == "none"  # no PUBLIC_URL: WeChat cannot fetch it, so no check
    shown = await api.get(body["url"])
    assert shown.status == 200 and shown.content_type == "image/jpeg"
    data = await shown.read()
    assert not has_gps(data) and len(data) == body["size"]
    assert "private" in shown.headers["Cache-Control"]
    # What is on disk is the cleaned photo too, never the upload.
    stored = [p for p in (tmp_path / "media").rglob("*.jpg")]
    assert len(stored) == 1 and stored[0].read_bytes() == data


async def test_links_work_only_as_given(api: TestClient, fake_wechat: FakeWeChat) -> None:
    auth = await login(api, fake_wechat, "o-rider")
    body = await (
        await api.post("/api/v1/media", data=upload_form(phone_jpeg()), headers=auth)
    ).json()
    path, query = body["url"].split("?")
    other = await (
        await api.post("/api/v1/media", data=upload_form(encoded("PNG")), headers=auth)
    ).json()
    forged = f"{other['url'].split('?')[0]}?{query}"  # someone else's id, this signature
    for url in (path, forged, body["url"].replace("sig=", "sig=0"), f"{path}?exp=1&sig=x"):
        resp = await api.get(url)
        assert resp.status == 403, url
        assert "过期" in (await resp.json())["detail"]
    ctx = api.app[SERVICES_KEY]
    ctx.clock.advance(__import__("datetime").timedelta(hours=2))  # type: ignore[attr-defined]
    assert (await api.get(body["url"])).status == 403  # expired


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        ("too_big", 413, "不能超过"),
        ("gif", 422, "JPG、PNG 或 WebP"),
        ("json", 415, "wx.uploadFile"),
        ("other_field", 422, "字段名为 file"),
    ],
)
async def test_bad_uploads_are_refused_and_store_nothing(
    api: TestClient, fake_wechat: FakeWeChat, tmp_path: Path, send: str, status: int, words: str
) -> None:
    auth = await login(api, fake_wechat, "o-rider")
    kwargs: dict[str, Any] = {
        "too_big": {"data": upload_form(encoded("PNG", (1200, 1200)) + b"\0" * 400_000)},
        "gif": {"data": upload_form(encoded("GIF"))},
        "json": {"json": {"file": "abc"}},
        "other_field": {"data": upload_form(phone_jpeg(), field="image")},
    }[send]
    resp = await api.post("/api/v1/media", headers=auth, **kwargs)
    assert resp.status == status
    problem = await resp.json()
    assert words in problem["detail"] and resp.content_type == "application/problem+json"
    assert await _rows(api) == 0
    assert not list((tmp_path / "media").rglob("*.jpg"))


async def test_upload_needs_a_login(api: TestClient) -> None:
    resp = await api.post("/api/v1/media", data=upload_form(phone_jpeg()))
    assert resp.status == 401 and await _rows(api) == 0


async def test_wechat_media_check_hides_a_risky_photo(
    fake_wechat: FakeWeChat,
    backend: Callable[..., Services],
    aiohttp_client: Callable[..., Any],
    tmp_path: Path,
) -> None:
    from wechatpy.utils import WeChatSigner

    settings = wechat_settings(fake_wechat) | {
        "media_url": f"file://{tmp_path / 'media'}",
        "public_url": "https://yizhan.example.cn/",
        "miniprogram_push_token": SecretStr("push-token"),
    }
    api: TestClient = await aiohttp_client(create_app(backend(**settings)))
    auth = await login(api, fake_wechat, "o-rider")
    body = await (
        await api.post("/api/v1/media", data=upload_form(phone_jpeg()), headers=auth)
    ).json()
    assert body["check"] == "pending"
    (check,) = fake_wechat.media_checks
    assert check["openid"] == "o-rider" and check["media_type"] == 2
    # WeChat downloads the photo from the public address it was given: the same signed link.
    assert check["media_url"] == "https://yizhan.example.cn" + body["url"]
    assert (await api.get(body["url"])).status == 200

    def signed(token: str) -> str:
        signer = WeChatSigner()
        signer.add_data(token, "1700000000", "nonce")
        return f"signature={signer.signature}&timestamp=1700000000&nonce=nonce"

    event = {
        "ToUserName": "gh_mini",
        "FromUserName": "system",
        "CreateTime": 1700000000,
        "MsgType": "event",
        "Event": "wxa_media_check",
        "appid": "wx-mini",
        "trace_id": check["trace_id"],
        "version": 2,
        "result": {"suggest": "risky", "label": "20002"},
    }
    forged = await api.post(f"/api/v1/wechat/push?{signed('wrong')}", json=event)
    assert forged.status == 401 and (await api.get(body["url"])).status == 200
    verify = await api.get(f"/api/v1/wechat/push?{signed('push-token')}&echostr=hello")
    assert await verify.text() == "hello"
    pushed = await api.post(f"/api/v1/wechat/push?{signed('push-token')}", json=event)
    assert pushed.status == 200 and await pushed.text() == "success"
    assert (await api.get(body["url"])).status == 404  # shown to nobody any more
    media = api.app[SERVICES_KEY].media
    assert await media.owned(body["id"], "miniprogram", "o-rider") is None
