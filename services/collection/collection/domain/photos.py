"""Photos (§1.2): what a stored photo is, judged from its bytes alone.

JPEG or PNG only: the signature must match and the header must decode to positive dimensions
(PNG: the IHDR chunk right after the signature; JPEG: the first start-of-frame segment before the
scan), so a renamed text file or a truncated header is refused whatever its name or declared type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from baifang_common.errors import InvalidArgument
from collection.domain.errors import InvalidPhotoReference, PhotoTooLarge, UnsupportedPhoto
from collection.domain.model import Photo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
# Start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT (C4), JPG (C8), DAC (CC).
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
SOS = 0xDA
MAX_REFERENCES = 20
KINDS = frozenset({"shelf", "storefront", "terminal", "promotion", "special_use", "other"})


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


def _png(data: bytes) -> ImageInfo:
    if len(data) < 33 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise UnsupportedPhoto(reason="PNG without an IHDR header")
    return _sized("image/png", int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))


def _jpeg(data: bytes) -> ImageInfo:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in STANDALONE:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in SOF_MARKERS and length >= 7 and pos + 9 <= len(data):
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            return _sized("image/jpeg", width, height)
        if marker == SOS or length < 2:
            break
        pos += 2 + length
    raise UnsupportedPhoto(reason="JPEG without a readable frame header")


def _sized(content_type: str, width: int, height: int) -> ImageInfo:
    if width <= 0 or height <= 0:
        raise UnsupportedPhoto(reason="the image has no size")
    return ImageInfo(content_type, width, height)


def inspect(data: bytes, max_bytes: int) -> ImageInfo:
    """The image's type and dimensions; refused when too large or not a JPEG/PNG by content."""
    if len(data) > max_bytes:
        raise PhotoTooLarge(limit_bytes=max_bytes, size=len(data))
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(JPEG_SOI + b"\xff"):
        return _jpeg(data)
    raise UnsupportedPhoto(reason="not a JPEG or PNG image")


def checked_references(customer_id: str, photo_ids: Sequence[str], found: Mapping[str, Photo]) -> tuple[str, ...]:
    """Referenced photos (`found`: those stored) must exist and show this customer: 422 naming each one."""
    if len(photo_ids) > MAX_REFERENCES:
        raise InvalidArgument(f"at most {MAX_REFERENCES} photos", field="photo_ids")
    problems = {
        pid: "no such photo" if pid not in found else "a photo of another customer"
        for pid in photo_ids
        if pid not in found or found[pid].customer_id != customer_id
    }
    if problems:
        raise InvalidPhotoReference(photo_ids=problems)
    return tuple(dict.fromkeys(photo_ids))
