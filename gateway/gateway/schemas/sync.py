"""Request body of POST /sync. Only the list is checked for the whole request: each op is validated
alone (SyncOp, then the payload's bounds), so one malformed op is rejected by itself and the rest of
the tablet's queue is applied. The payloads' meaning is checked by the services.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from gateway.schemas.common import ApiModel, OpId


class SyncOp(ApiModel):
    op_id: OpId
    type: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]
    # Checked by the checkin service, per op: one bad clock must not block the rest of the queue.
    client_ts: str = Field(min_length=1, max_length=64)


class SyncRequest(ApiModel):
    """The tablet's offline queue; the checkin service caps its length (400 too_many_ops)."""

    ops: Annotated[list[Any], WithJsonSchema({"type": "array", "items": SyncOp.model_json_schema()})]
