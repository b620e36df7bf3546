"""Request body of POST /sync: the envelope of each op is validated here, the payloads by the services."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from gateway.schemas.common import ApiModel, OpId


class SyncOp(ApiModel):
    op_id: OpId
    type: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]
    # Checked by the checkin service, per op: one bad clock must not block the rest of the queue.
    client_ts: str = Field(min_length=1, max_length=64)


class SyncRequest(ApiModel):
    """The tablet's offline queue; the checkin service caps its length (400 too_many_ops)."""

    ops: list[SyncOp]
