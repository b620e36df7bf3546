"""The ingestion routes' own checks: media types and device keys (the points themselves are checkin's)."""

from __future__ import annotations

import pytest

from gateway.devices import key_digest, new_device_key
from gateway.errors import ApiError
from gateway.routes.ingest import body_format


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        (None, "json"),
        ("application/json", "json"),
        ("Application/JSON; charset=utf-8", "json"),
        ("application/x-protobuf", "protobuf"),
        ("application/x-protobuf; messageType=baifang.checkin.v1.TrackBatch", "protobuf"),
    ],
)
def test_json_is_the_default_and_protobuf_is_named(content_type: str | None, kind: str) -> None:
    assert body_format(content_type) == kind


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", "json"])
def test_other_media_types_are_415(content_type: str) -> None:
    with pytest.raises(ApiError) as info:
        body_format(content_type)
    assert (info.value.status, info.value.code) == (415, "unsupported_media_type")


def test_device_keys_are_long_random_and_stored_only_as_a_digest() -> None:
    keys = {new_device_key() for _ in range(50)}
    assert len(keys) == 50
    key = keys.pop()
    assert len(key) >= 43 and all(c.isalnum() or c in "-_" for c in key)
    assert len(key_digest(key)) == 64 and key not in key_digest(key)
