"""POST /sync: the offline batch of DOMAIN §1.3.3, applied by the checkin service in client-time order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from google.protobuf import json_format, struct_pb2

from baifang.checkin.v1 import checkin_pb2
from baifang_common.context import Caller
from gateway.auth import current_caller
from gateway.deps import Deps, get_deps
from gateway.routes import API_PREFIX
from gateway.schemas.sync import SyncRequest

router = APIRouter(prefix=API_PREFIX, tags=["checkin"])

# A batch is many writes in a row (each with its own planning call and confirmed event).
SYNC_TIMEOUT_SECONDS = 30.0


@router.post("/sync")
async def sync(
    body: SyncRequest,
    caller: Annotated[Caller, Depends(current_caller)],
    deps: Annotated[Deps, Depends(get_deps)],
) -> dict[str, Any]:
    """One result per op, in the request's order: applied / duplicate (with the result) or rejected (with the error).

    Replaying the batch answers `duplicate` for every op applied before, whether online or by an earlier sync.
    """
    request = checkin_pb2.ApplyOfflineBatchRequest(
        ops=[
            checkin_pb2.OfflineOp(op_id=op.op_id, type=op.type, payload=_struct(op.payload), client_ts=op.client_ts)
            for op in body.ops
        ]
    )
    answer = await deps.clients.call(
        deps.clients.checkin.ApplyOfflineBatch, request, caller, write=True, timeout=SYNC_TIMEOUT_SECONDS
    )
    # The service answers one result per op, in the request's order.
    return {"results": [op_result(r, op.type) for r, op in zip(answer.results, body.ops, strict=True)]}


def op_result(result: checkin_pb2.OfflineOpResult, op_type: str) -> dict[str, Any]:
    item: dict[str, Any] = {"op_id": result.op_id, "status": result.status}
    if result.error_code:
        code = "invalid_request" if result.error_code == "invalid_argument" else result.error_code
        details = json_format.MessageToDict(result.error_details) if result.HasField("error_details") else {}
        item["error"] = {"code": code, "message": result.error_message, "details": _whole_numbers(details)}
    if result.HasField("result"):
        data = _whole_numbers(json_format.MessageToDict(result.result))
        item["result"] = checkin_body(data) if op_type == "checkin" else data
    return item


def checkin_body(data: dict[str, Any]) -> dict[str, Any]:
    """The same body POST /checkins answers."""
    return {
        "checkin_id": data.get("checkin_id", ""),
        "visit_id": data.get("visit_id", ""),
        "customer_id": data.get("customer_id", ""),
        "distance_m": round(float(data.get("distance_m", -1.0)), 1),
        "verdict": data.get("verdict", ""),
        "verdict_reason": data.get("verdict_reason") or None,
        "checked_in_at": data.get("checked_in_at") or None,
    }


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(data)
    return message


def _whole_numbers(value: Any) -> Any:
    """protobuf Struct carries every number as a double; 2.0 goes back to 2 (counts, stars)."""
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
