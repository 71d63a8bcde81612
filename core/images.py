"""Photos a worker sends: check what the bytes really are, drop their metadata, bound their size.

`prepare_photo(data, max_side=…)` opens the bytes with Pillow (the file name and the declared
content type are never trusted), accepts JPEG, PNG and WebP only, turns the picture upright
(EXIF orientation), and re-encodes it as a JPEG no larger than `max_side` on its longer side,
written without EXIF, XMP or comments: a rider's phone puts their GPS position and the phone's
serial in the EXIF block, and none of that may reach staff or the object store.

Raises `ImageRejected` (a ValueError with a Chinese message the worker can act on).
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# A 12-megapixel phone photo is 12 M pixels; anything far above that is a decompression bomb
# (a few kilobytes of PNG that would expand to gigabytes), refused before it is decoded.
MAX_PIXELS = 50_000_000
DEFAULT_MAX_SIDE = 1600
JPEG_QUALITY = 82
OUTPUT_TYPE = "image/jpeg"
TOO_MANY_PIXELS = "照片太大了，请换一张或截图后再上传。"


class ImageRejected(ValueError):
    """The upload is not a photo we accept; the message says what to do, in Chinese."""


@dataclass(frozen=True)
class Photo:
    """A re-encoded photo, ready to store."""

    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str
    source_format: str  # JPEG | PNG | WEBP: what the upload really was


def prepare_photo(data: bytes, *, max_side: int = DEFAULT_MAX_SIDE) -> Photo:
    """The upload re-encoded as a bounded, metadata-free JPEG (CPU-bound: run it in a thread)."""
    if not data:
        raise ImageRejected("没有收到照片，请重新选择后上传。")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                source_format = probe.format or ""
                width, height = probe.size
                if source_format not in ACCEPTED_FORMATS:
                    raise ImageRejected("只能上传 JPG、PNG 或 WebP 格式的照片。")
                if width * height > MAX_PIXELS:
                    raise ImageRejected(TOO_MANY_PIXELS)
                probe.verify()  # a truncated or corrupted file fails here, before decoding
            with Image.open(io.BytesIO(data)) as image:
                if source_format == "JPEG":
                    # Decode at a reduced scale when the photo is much larger than we keep.
                    image.draft("RGB", (max_side, max_side))
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                rgb = _flatten(upright)
                out = io.BytesIO()
                # No `exif=`, `xmp=` or `comment=`: the new file carries none of the old ones.
                rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(TOO_MANY_PIXELS) from None
        except UnidentifiedImageError:
            raise ImageRejected("这不是一张能打开的照片，请换一张再试。") from None
        except (OSError, ValueError, SyntaxError, EOFError):
            # Pillow reports broken files with any of these.
            raise ImageRejected("照片文件已损坏，请重新拍一张再上传。") from None
    encoded = out.getvalue()
    return Photo(
        data=encoded,
        content_type=OUTPUT_TYPE,
        width=rgb.width,
        height=rgb.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
        source_format=source_format,
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and a transparent PNG would turn black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
