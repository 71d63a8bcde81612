"""Photos for tests, made with Pillow: a phone JPEG with GPS in its EXIF, other formats."""

from __future__ import annotations

import io

from aiohttp import FormData
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
# 呼和浩特 新城区, as a phone writes it: degrees, minutes, seconds.
GPS = {1: "N", 2: (40.0, 51.0, 28.8), 3: "E", 4: (111.0, 39.0, 55.8)}


def phone_jpeg(size: tuple[int, int] = (400, 300), *, orientation: int | None = None) -> bytes:
    """A JPEG that carries the phone's make and the rider's GPS position in its EXIF."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: see rotation
    exif = Image.Exif()
    exif[0x010F] = "RiderPhone"
    exif[GPS_IFD] = GPS
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def encoded(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    color: tuple[int, ...] = (10, 120, 10, 0) if mode == "RGBA" else (10, 120, 10)
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(GPS_IFD)) or bool(exif) or "exif" in image.info


def upload_form(data: bytes, *, field: str = "file", name: str = "tmp.jpg") -> FormData:
    """The body `wx.uploadFile({name: "file", filePath})` sends."""
    form = FormData()
    form.add_field(field, data, filename=name, content_type="image/jpeg")
    return form
