"""Proto ↔ domain for ApplyOfflineBatch (kept beside grpc_api so the servicer method stays one call)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

from baifang.checkin.v1 import checkin_pb2
from checkin.domain.sync import OfflineOp, OpOutcome


def offline_ops(request: checkin_pb2.ApplyOfflineBatchRequest) -> list[OfflineOp]:
    """The ops as uploaded; Struct numbers arrive as floats, the payload rules accept those."""
    return [
        OfflineOp(
            op_id=op.op_id,
            type=op.type,
            payload=json_format.MessageToDict(op.payload) if op.HasField("payload") else {},
            client_ts=op.client_ts,
        )
        for op in request.ops
    ]


def batch_response(outcomes: list[OpOutcome]) -> checkin_pb2.ApplyOfflineBatchResponse:
    response = checkin_pb2.ApplyOfflineBatchResponse()
    for outcome in outcomes:
        result = response.results.add(
            op_id=outcome.op_id,
            status=outcome.status.value,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
        )
        if outcome.error_details:
            result.error_details.CopyFrom(_struct(outcome.error_details))
        if outcome.result is not None:
            result.result.CopyFrom(_struct(outcome.result))
    return response


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(data)
    return message
