"""Photos judged by their bytes (docs/domain.md §1.2) and the collection ops' payloads (R-1.3.3-a)."""

from __future__ import annotations

import pytest

from baifang_common.errors import InvalidArgument
from baifang_common.testing.images import jpeg, png
from collection.domain import offline, photos
from collection.domain.errors import PhotoTooLarge, UnsupportedPhoto

LIMIT = 1024


def test_png_and_jpeg_are_read_from_their_headers_whatever_they_are_called() -> None:
    assert photos.inspect(png(7, 5), LIMIT) == photos.ImageInfo("image/png", 7, 5)
    assert photos.inspect(jpeg(1920, 1080), LIMIT) == photos.ImageInfo("image/jpeg", 1920, 1080)


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a\x01\x00\x01\x00",  # another image type
        png()[:20],  # truncated PNG header
        png(0, 5),  # no size
        b"\xff\xd8\xff\xe0\x00\x10JFIF",  # JPEG without a frame header
        b"\xff\xd8\xff\xda\x00\x08" + b"\x00" * 20,  # scan before any frame
        b"hello, world",
    ],
)
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedPhoto):
        photos.inspect(data, LIMIT)


def test_a_photo_above_the_limit_is_refused() -> None:
    with pytest.raises(PhotoTooLarge):
        photos.inspect(png() + b"\x00" * LIMIT, LIMIT)


def test_R_1_3_3_a_offline_payload_numbers_must_be_whole() -> None:
    line = {"sku": "SKU001", "pack_price": 4500.0, "carton_price": 45000, "stock": 3.0}
    fields = offline.price_inventory_fields({"visit_id": "v1", "lines": [line]})
    assert (fields.lines[0].pack_price_fen, fields.lines[0].stock, fields.lines[0].purchased) == (4500, 3, None)
    for bad in ({**line, "pack_price": 4500.5}, {**line, "stock": "3"}, {**line, "carton_price": None}):
        with pytest.raises(InvalidArgument):
            offline.price_inventory_fields({"visit_id": "v1", "lines": [bad]})
    with pytest.raises(InvalidArgument):
        offline.agreed_quantity_fields({"customer_id": "c1", "lines": []})
