"""POST /checkins (checkin service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from baifang.checkin.v1 import checkin_pb2
from baifang.common.v1 import common_pb2
from baifang_common.context import Caller
from gateway.auth import current_caller
from gateway.deps import Deps, get_deps
from gateway.errors import JsonResponse
from gateway.routes import API_PREFIX
from gateway.schemas.checkin import CheckinRequest

router = APIRouter(prefix=API_PREFIX, tags=["checkin"])


@router.post("/checkins", status_code=201)
async def record_checkin(
    body: CheckinRequest,
    caller: Annotated[Caller, Depends(current_caller)],
    deps: Annotated[Deps, Depends(get_deps)],
) -> Response:
    """QR check-in at an outlet: 201 with the verdict; 409 customer_not_in_plan, 422 invalid_qr.

    A replayed op_id gets the first answer from the checkin service, so the same 201 and body.
    """
    request = checkin_pb2.RecordCheckinRequest(
        op=common_pb2.OpMeta(op_id=body.op_id, client_ts=body.client_ts),
        qr=body.qr,
        lat=body.lat,
        lon=body.lon,
        accuracy_m=body.accuracy_m,
        mock_location=body.mock_location,
        fix_ts=body.fix_ts or "",
        visit_id=body.visit_id,
    )
    answer = await deps.clients.call(deps.clients.checkin.RecordCheckin, request, caller, write=True)
    return JsonResponse(
        {
            "checkin_id": answer.checkin_id,
            "visit_id": answer.visit_id,
            "customer_id": answer.customer_id,
            "distance_m": round(answer.distance_m, 1),
            "verdict": answer.verdict,
            "verdict_reason": answer.verdict_reason or None,
            "checked_in_at": answer.checked_in_at or None,
        },
        status_code=201,
    )
