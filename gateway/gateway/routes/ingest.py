"""POST /tracks (managers' GPS) and POST /scans (terminal devices): the ingestion hot path.

The gateway forwards the raw body, JSON or protobuf, as opaque bytes in one batch RPC to checkin, which
validates each point and answers only once the accepted ones are durable. No per-point work here: no
parsing, no pydantic, no per-point metric; the answer is rendered with orjson.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from baifang.checkin.v1 import checkin_pb2
from baifang_common.context import Caller
from gateway.auth import require_roles
from gateway.deps import Deps, get_deps
from gateway.devices import DEVICE_ROLE, Device, current_device
from gateway.errors import ApiError, JsonResponse
from gateway.routes import API_PREFIX
from gateway.schemas.ingest import SCANS_OPENAPI, TRACKS_OPENAPI, IngestResult

router = APIRouter(prefix=API_PREFIX, tags=["ingestion"])

JSON = "application/json"
PROTOBUF = "application/x-protobuf"

BatchId = Annotated[
    str, Header(alias="X-Batch-Id", max_length=128, description="client id of this batch (replays are harmless)")
]


def body_format(content_type: str | None) -> str:
    """'json' or 'protobuf' from the Content-Type (JSON when absent); 415 for anything else."""
    media = (content_type or JSON).split(";", 1)[0].strip().lower()
    if media == JSON:
        return "json"
    if media == PROTOBUF:
        return "protobuf"
    raise ApiError(
        415,
        "unsupported_media_type",
        f"send {JSON} or {PROTOBUF}",
        {"content_type": media[:100], "supported": [JSON, PROTOBUF]},
    )


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", "request body too large", {"limit_bytes": limit})


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it is declared or streams over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class _Rejection(Protocol):
    @property
    def index(self) -> int: ...
    @property
    def reason(self) -> str: ...


class BatchAnswer(Protocol):
    """What AcceptTrackBatch and AcceptScanBatch both answer."""

    @property
    def accepted(self) -> int: ...
    @property
    def rejected(self) -> Iterable[_Rejection]: ...


def ingest_answer(answer: BatchAnswer) -> Response:
    """{accepted, rejected: [{index, reason}]} rendered by orjson straight from the proto."""
    rejected = [{"index": r.index, "reason": r.reason} for r in answer.rejected]
    return JsonResponse({"accepted": answer.accepted, "rejected": rejected})


@router.post("/tracks", response_model=IngestResult, openapi_extra=TRACKS_OPENAPI)
async def post_tracks(
    request: Request,
    caller: Annotated[Caller, Depends(require_roles("manager"))],
    deps: Annotated[Deps, Depends(get_deps)],
    batch_id: BatchId = "",
) -> Response:
    """A batch of up to 1000 GPS points (JSON or protobuf TrackBatch), answered once the accepted are durable.

    Rejected points are reported by index with a reason; 503 with Retry-After when checkin cannot make
    the batch durable now (broker down, queue too deep): the device keeps it and retries.
    """
    kind = body_format(request.headers.get("content-type"))
    body = await read_body(request, deps.settings.ingest_max_body_bytes)
    if kind == "json":
        rpc = checkin_pb2.AcceptTrackBatchRequest(json=body, batch_id=batch_id)
    else:
        rpc = checkin_pb2.AcceptTrackBatchRequest(protobuf=body, batch_id=batch_id)
    answer = await deps.clients.call(
        deps.clients.checkin.AcceptTrackBatch, rpc, caller, timeout=deps.settings.ingest_timeout_seconds
    )
    return ingest_answer(answer)


@router.post("/scans", response_model=IngestResult, openapi_extra=SCANS_OPENAPI)
async def post_scans(
    request: Request,
    device: Annotated[Device, Depends(current_device)],
    deps: Annotated[Deps, Depends(get_deps)],
    batch_id: BatchId = "",
) -> Response:
    """A terminal device's batch of retail code scans (X-Device-Key), stored for its customer."""
    kind = body_format(request.headers.get("content-type"))
    body = await read_body(request, deps.settings.ingest_max_body_bytes)
    meta = {"device_id": device.id, "customer_id": device.customer_id, "batch_id": batch_id}
    if kind == "json":
        rpc = checkin_pb2.AcceptScanBatchRequest(json=body, **meta)
    else:
        rpc = checkin_pb2.AcceptScanBatchRequest(protobuf=body, **meta)
    answer = await deps.clients.call(
        deps.clients.checkin.AcceptScanBatch,
        rpc,
        Caller(device.id, DEVICE_ROLE),
        timeout=deps.settings.ingest_timeout_seconds,
    )
    return ingest_answer(answer)
