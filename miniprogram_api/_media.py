"""`/api/v1/media`: photos from the mini-program (`wx.uploadFile`), and the signed links that
show them.

- `POST /api/v1/media` (multipart/form-data, the photo in the field `file`, as
  `wx.uploadFile({name: "file", …})` sends it): at most `MEDIA_MAX_BYTES`; the media store
  checks the real type, drops EXIF (GPS) and re-encodes it (`core.media.Media.add`). Where
  configured (mini-program appid/secret, `PUBLIC_URL`, `MEDIA_SECURITY_CHECK`), the photo goes
  to WeChat's media check; a photo it later finds risky is shown to nobody. The answer's `id` is
  what `POST /api/v1/cases` takes as `photo`; `url` shows it in an `<image>`.
- `GET /api/v1/media/{media_id}?exp=…&sig=…`: the photo behind a signed link (`Media.link`),
  for the mini-program and for staff pages.
- `GET|POST /api/v1/wechat/push`: the mini-program's message push (plain-text JSON mode,
  `MINIPROGRAM_PUSH_TOKEN`), where WeChat sends `wxa_media_check` verdicts.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, Field
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from core.http import Problem, json_response
from core.media import ID_PATTERN, BlobStoreError, Check, MediaNotFound, MediaRejected, MediaView
from handlers import SERVICES_KEY
from integrations import WeChatError

from ._auth import WECHAT, MiniUser, require_user
from ._routes import api_route

log = logging.getLogger(__name__)
CHANNEL = "miniprogram"
FIELD = "file"
CHUNK = 64 * 1024


class MediaOut(BaseModel):
    id: str = Field(pattern=ID_PATTERN, description="照片 ID：提交求助时填在 photo 里")
    url: str = Field(description="显示照片的链接（带签名，约一小时内有效）")
    content_type: str
    width: int
    height: int
    size: int = Field(description="重新压缩后的字节数")
    check: str = Field(
        description="内容安全检测：none 未检测 · pending 检测中 · pass · review · risky",
        json_schema_extra={"enum": ["none", "pending", "pass", "review", "risky"]},
    )


class MediaPath(BaseModel):
    media_id: str = Field(pattern=ID_PATTERN, description="照片 ID")


class LinkQuery(BaseModel):
    exp: int = Field(description="链接过期时间（Unix 秒）")
    sig: str = Field(max_length=64, description="签名")


UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [FIELD],
                "properties": {
                    FIELD: {
                        "type": "string",
                        "format": "binary",
                        "description": "照片：JPG、PNG 或 WebP（wx.uploadFile 的 name 填 file）",
                    }
                },
            },
            "encoding": {FIELD: {"contentType": "image/jpeg, image/png, image/webp"}},
        }
    },
}


def media_json(request: web.Request, media: MediaView) -> dict[str, Any]:
    services = request.app[SERVICES_KEY]
    return {
        "id": media.id,
        "url": services.media.link(media.id, now=services.clock.now().timestamp()),
        "content_type": media.content_type,
        "width": media.width,
        "height": media.height,
        "size": media.size,
        "check": media.check,
    }


async def _read_upload(request: web.Request, limit: int) -> bytes:
    if not request.content_type.startswith("multipart/form-data"):
        raise Problem(415, "上传方式不对", "请用 wx.uploadFile 上传照片，字段名为 file。")
    if request.content_length is not None and request.content_length > limit + CHUNK:
        raise _too_large(limit)
    try:
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name != FIELD:
                continue
            data = bytearray()
            while chunk := await part.read_chunk(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise _too_large(limit)
            return bytes(data)
    except (ValueError, AssertionError, RuntimeError, HttpProcessingError):
        # aiohttp's multipart reader reports a malformed body with these.
        raise Problem(400, "上传内容有误", "照片没有传完整，请重新上传。") from None
    raise Problem(422, "没有收到照片", "请选择一张照片再上传（字段名为 file）。")


def _too_large(limit: int) -> Problem:
    return Problem(413, "照片太大了", f"照片不能超过 {limit // (1024 * 1024)} MB，请压缩后再上传。")


async def _submit_check(request: web.Request, user: MiniUser, media: MediaView) -> MediaView:
    """Hand the photo to WeChat's media check where that is configured; if WeChat cannot take
    it now, the photo stays unchecked (staff still see it): losing a worker's evidence would be
    worse than a person looking at it."""
    services = request.app[SERVICES_KEY]
    settings, wechat = services.settings, request.app[WECHAT]
    if not (settings.media_security_check and settings.public_url and wechat.configured):
        return media
    link = services.media.link(media.id, now=services.clock.now().timestamp())
    try:
        trace_id = await wechat.check_media(user.openid, settings.public_url.rstrip("/") + link)
    except WeChatError as exc:
        log.warning("media check not submitted for %s: %s", media.id, exc)
        return media
    await services.media.start_check(media.id, trace_id)
    return await services.media.get(media.id) or media


async def upload(request: web.Request) -> web.Response:
    user = await require_user(request)
    services = request.app[SERVICES_KEY]
    data = await _read_upload(request, services.settings.media_max_bytes)
    try:
        media = await services.media.add(data, channel=CHANNEL, owner=user.openid)
    except MediaRejected as exc:
        raise Problem(422, "照片无法使用", str(exc)) from None
    except BlobStoreError:
        log.exception("media store unavailable")
        raise Problem(
            503, "照片暂时存不了", "请稍后再试。", headers={"Retry-After": "30"}
        ) from None
    media = await _submit_check(request, user, media)
    return json_response(media_json(request, media), status=201)


async def show(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES_KEY]
    media_id = request.match_info["media_id"]
    now = services.clock.now().timestamp()
    expires, signature = request.query.get("exp", ""), request.query.get("sig", "")
    if not services.media.verify_link(media_id, expires, signature, now=now):
        raise Problem(403, "链接已失效", "照片链接已过期，请刷新页面后再看。")
    try:
        data, content_type = await services.media.content(media_id)
    except MediaNotFound:
        raise Problem(404, "没有找到这张照片", "它可能已被删除。") from None
    except BlobStoreError:
        log.exception("media store unavailable")
        raise Problem(
            503, "照片暂时打不开", "请稍后再试。", headers={"Retry-After": "30"}
        ) from None
    return web.Response(
        body=data,
        content_type=content_type,
        headers={
            # The link itself expires; the bytes behind an id never change.
            "Cache-Control": "private, max-age=3600, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _push_token(request: web.Request) -> str:
    token = request.app[SERVICES_KEY].settings.miniprogram_push_token
    if token is None:
        raise web.HTTPNotFound()
    return token.get_secret_value()


def _check_push_signature(request: web.Request) -> None:
    q = request.query
    try:
        check_signature(
            _push_token(request), q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", "")
        )
    except InvalidSignatureException:
        raise Problem(401, "签名不对", "消息推送的签名校验未通过。") from None


async def push_verify(request: web.Request) -> web.Response:
    """WeChat's check when the push URL is saved: echo `echostr` for a good signature."""
    _check_push_signature(request)
    return web.Response(text=request.query.get("echostr", ""))


async def push(request: web.Request) -> web.Response:
    _check_push_signature(request)
    try:
        event = json.loads(await request.read())
    except ValueError:
        raise Problem(400, "请求有误", "消息推送应为 JSON。") from None
    if isinstance(event, dict) and event.get("Event") == "wxa_media_check":
        result = event.get("result") if isinstance(event.get("result"), dict) else {}
        verdict = str((result or {}).get("suggest", "")).lower()
        if not verdict and "isrisky" in event:  # the 1.0 push
            verdict = Check.RISKY if str(event["isrisky"]) == "1" else Check.PASS
        trace_id = str(event.get("trace_id", ""))
        recorded = await request.app[SERVICES_KEY].media.record_check(trace_id, verdict)
        log.info("media check %s: %s (%s)", trace_id, verdict, "kept" if recorded else "unknown")
    # WeChat wants "success" (or an empty body) so it does not push again.
    return web.Response(text="success")


def setup(app: web.Application) -> None:
    tags = ("media",)
    api_route(
        app,
        "POST",
        "/api/v1/media",
        upload,
        raw_body=UPLOAD_BODY,
        response=MediaOut,
        success=201,
        auth=True,
        errors=(401, 413, 415, 422, 503),
        tags=tags,
        summary="上传一张照片（wx.uploadFile，字段名 file）；返回照片 ID 和显示链接",
    )
    api_route(
        app,
        "GET",
        "/api/v1/media/{media_id}",
        show,
        path=MediaPath,
        query=LinkQuery,
        binary="image/jpeg",
        errors=(403, 404, 503),
        tags=tags,
        summary="显示照片（带签名的链接，由上传或求助详情给出）",
    )
    app.router.add_get("/api/v1/wechat/push", push_verify)
    app.router.add_post("/api/v1/wechat/push", push)
