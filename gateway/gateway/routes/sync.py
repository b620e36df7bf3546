"""POST /sync: the offline batch of docs/domain.md §1.3.3, applied by the checkin service in client-time order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from google.protobuf import json_format, struct_pb2
from pydantic import ValidationError

from baifang.checkin.v1 import checkin_pb2
from baifang.collection.v1 import collection_pb2
from baifang_common.context import Caller
from gateway.auth import require_roles
from gateway.bounds import json_problem
from gateway.deps import Deps, get_deps
from gateway.errors import validation_details
from gateway.routes import API_PREFIX
from gateway.routes.collection import agreed_item, collection_item, terminal_profile
from gateway.schemas.sync import SyncOp, SyncRequest

router = APIRouter(prefix=API_PREFIX, tags=["checkin"])

# A batch is many writes in a row (each with its own planning call and confirmed event).
SYNC_TIMEOUT_SECONDS = 30.0


@router.post("/sync")
async def sync(
    body: SyncRequest,
    caller: Annotated[Caller, Depends(require_roles("manager"))],
    deps: Annotated[Deps, Depends(get_deps)],
) -> dict[str, Any]:
    """One result per op, in the request's order: applied / duplicate (with the result) or rejected (with the error).

    Replaying the batch answers `duplicate` for every op applied before, whether online or by an earlier sync.
    An op the gateway cannot pass on (malformed, or a payload out of bounds) is rejected here, alone,
    with `invalid_request`; the others go to the checkin service and its answers are merged in order.
    """
    results: list[dict[str, Any] | None] = []
    valid: list[SyncOp] = []
    for raw in body.ops:
        op, rejection = checked_op(raw)
        results.append(rejection)
        if op is not None:
            valid.append(op)
    if valid:
        request = checkin_pb2.ApplyOfflineBatchRequest(
            ops=[
                checkin_pb2.OfflineOp(op_id=op.op_id, type=op.type, payload=_struct(op.payload), client_ts=op.client_ts)
                for op in valid
            ]
        )
        answer = await deps.clients.call(
            deps.clients.checkin.ApplyOfflineBatch, request, caller, write=True, timeout=SYNC_TIMEOUT_SECONDS
        )
        # The service answers one result per op it was given, in that order.
        answers = iter([op_result(r, op.type) for r, op in zip(answer.results, valid, strict=True)])
        results = [r if r is not None else next(answers) for r in results]
    return {"results": results}


def rejected(op_id: str, message: str, details: dict[str, str]) -> dict[str, Any]:
    """The per-op answer for an op refused by the gateway itself."""
    return {
        "op_id": op_id,
        "status": "rejected",
        "error": {"code": "invalid_request", "message": message, "details": details},
    }


def checked_op(raw: Any) -> tuple[SyncOp | None, dict[str, Any] | None]:
    """(the op, None) when it can go to the service, else (None, its rejection)."""
    given = raw.get("op_id") if isinstance(raw, dict) else None
    op_id = given if isinstance(given, str) and len(given) <= 128 else ""
    if not isinstance(raw, dict):
        return None, rejected(op_id, "an op must be an object", {"op": "not an object"})
    try:
        op = SyncOp.model_validate(raw)
    except ValidationError as exc:
        return None, rejected(op_id, "malformed op", validation_details(exc.errors()))
    problem = json_problem(op.payload, "payload")
    if problem is not None:
        field, text = problem
        return None, rejected(op.op_id, f"{field} {text}", {field: text})
    return op, None


def op_result(result: checkin_pb2.OfflineOpResult, op_type: str) -> dict[str, Any]:
    item: dict[str, Any] = {"op_id": result.op_id, "status": result.status}
    if result.error_code:
        code = "invalid_request" if result.error_code == "invalid_argument" else result.error_code
        details = json_format.MessageToDict(result.error_details) if result.HasField("error_details") else {}
        item["error"] = {"code": code, "message": result.error_message, "details": _whole_numbers(details)}
    if result.HasField("result"):
        if op_type in COLLECTION_BODIES:
            item["result"] = COLLECTION_BODIES[op_type](json_format.MessageToDict(result.result))
        else:
            data = _whole_numbers(json_format.MessageToDict(result.result))
            item["result"] = checkin_body(data) if op_type == "checkin" else data
    return item


def _price_inventory_body(data: dict[str, Any]) -> dict[str, Any]:
    answer = json_format.ParseDict(data, collection_pb2.SubmitPriceInventoryResponse(), ignore_unknown_fields=True)
    return collection_item(answer.collection)


def _agreed_body(data: dict[str, Any]) -> dict[str, Any]:
    return agreed_item(json_format.ParseDict(data, collection_pb2.AgreedQuantityResponse(), ignore_unknown_fields=True))


def _terminal_body(data: dict[str, Any]) -> dict[str, Any]:
    return terminal_profile(json_format.ParseDict(data, collection_pb2.TerminalProfile(), ignore_unknown_fields=True))


# Collection's ops answer the collection's proto JSON: the same bodies as the online routes.
COLLECTION_BODIES = {
    "price_inventory": _price_inventory_body,
    "agreed_quantity": _agreed_body,
    "terminal_info": _terminal_body,
}


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
