"""Lists answer {"items": [...], "next_cursor": ...}; the cursor is an opaque token over an offset."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from fastapi import Query

from gateway.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# No list the API pages through comes near this; a larger offset is not a cursor we handed out
# (and 2^63 would overflow the store's skip).
MAX_OFFSET = 10_000_000

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=200)]


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"o": offset})).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The offset a cursor stands for; 400 for anything we did not hand out."""
    if not cursor:
        return 0
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = data["o"]
    except (binascii.Error, ValueError, TypeError, KeyError, orjson.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_request", "invalid cursor", {"cursor": "not a cursor from this API"}) from exc
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise ApiError(400, "invalid_request", "invalid cursor", {"cursor": "not a cursor from this API"})
    return offset


def page(items: Sequence[Any], limit: int, offset: int) -> dict[str, Any]:
    """One page from `offset` (decode the cursor before calling a service: bad input fails first)."""
    chunk = list(items[offset : offset + limit])
    end = offset + len(chunk)
    return {"items": chunk, "next_cursor": encode_cursor(end) if end < len(items) else None}
