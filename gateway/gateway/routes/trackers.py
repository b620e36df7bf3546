"""Standard GPS trackers: admins issue a manager's tracker key; phones (Traccar Client, OsmAnd) send
positions to GET or POST /osmand, which go through checkin's durable track pipeline as that manager's."""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from baifang.checkin.v1 import checkin_pb2
from baifang_common.context import Caller
from gateway.auth import require_roles
from gateway.deps import Deps, get_deps
from gateway.devices import key_digest, new_device_key
from gateway.errors import ApiError, JsonResponse
from gateway.osmand import MAX_KEY_LENGTH, OsmandError, OsmandRequest, parse_json, parse_params
from gateway.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor
from gateway.routes import API_PREFIX
from gateway.routes.ingest import ingest_answer, read_body
from gateway.schemas.ingest import IngestResult
from gateway.schemas.trackers import OSMAND_OPENAPI, OSMAND_QUERY_OPENAPI, CreateTrackerRequest
from gateway.trackers import Tracker

admin = APIRouter(prefix=API_PREFIX, tags=["admin"], dependencies=[Depends(require_roles("admin"))])
phones = APIRouter(prefix=API_PREFIX, tags=["ingestion"])

DepsDep = Annotated[Deps, Depends(get_deps)]
TrackerId = Annotated[str, Path(min_length=1, max_length=128)]
FORM = "application/x-www-form-urlencoded"


@admin.post("/admin/trackers", status_code=201)
async def create_tracker(body: CreateTrackerRequest, deps: DepsDep) -> Response:
    """A GPS tracker for a manager; the answer carries its key, shown this once and never again.

    The key is what the phone sends as OsmAnd's `id` (Traccar Client: "Device identifier").
    """
    user = await deps.users.get(body.manager_id)
    if user is None or user.role != "manager":
        raise ApiError(404, "manager_not_found", "no such manager account", {"manager_id": body.manager_id})
    key = new_device_key()
    tracker = await deps.trackers.store.create(user.id, body.name, key_digest(key))
    return JsonResponse({"tracker_id": tracker.id, "key": key, **tracker.public()}, status_code=201)


@admin.get("/admin/trackers")
async def list_trackers(
    deps: DepsDep,
    manager_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Trackers, oldest first, optionally of one manager (never their keys)."""
    offset = decode_cursor(cursor)
    trackers = await deps.trackers.store.page(manager_id, offset, limit + 1)
    items = [t.public() for t in trackers[:limit]]
    return {"items": items, "next_cursor": encode_cursor(offset + limit) if len(trackers) > limit else None}


@admin.post("/admin/trackers/{tracker_id}/revoke")
async def revoke_tracker(tracker_id: TrackerId, deps: DepsDep) -> dict[str, Any]:
    """Its key stops working (within the key cache's few seconds on other gateway processes); idempotent."""
    tracker = await deps.trackers.store.revoke(tracker_id)
    if tracker is None:
        raise ApiError(404, "not_found", "no such tracker", {"tracker_id": tracker_id})
    deps.trackers.forget(tracker.id)
    return tracker.public()


async def _decode(request: Request, deps: Deps) -> OsmandRequest:
    """The query parameters, merged with a form body, or Traccar Client's JSON body."""
    body = await read_body(request, deps.settings.ingest_max_body_bytes) if request.method == "POST" else b""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json" or (media != FORM and body.lstrip().startswith(b"{")):
        return parse_json(body)
    params = dict(request.query_params)
    if body:
        try:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise OsmandError("body", "not UTF-8 form data") from None
    return parse_params(params)


def _invalid_tracker_key() -> ApiError:
    return ApiError(401, "invalid_tracker_key", "missing, unknown or revoked tracker key")


async def _authenticate(key: str, deps: Deps) -> tuple[Tracker, Caller]:
    """The active tracker this key is and its manager (an active account) as the caller; 401 otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise _invalid_tracker_key()
    tracker = await deps.trackers.authenticate(key)
    user = await deps.active_users.get(tracker.manager_id) if tracker else None
    if tracker is None or user is None or user.role != "manager":
        raise _invalid_tracker_key()
    return tracker, Caller(user.id, user.role, user.team_id)


@phones.get("/osmand", response_model=IngestResult, openapi_extra=OSMAND_QUERY_OPENAPI)
@phones.post("/osmand", response_model=IngestResult, openapi_extra=OSMAND_OPENAPI)
async def osmand(request: Request, deps: DepsDep) -> Response:
    """One position from a tracker phone (OsmAnd protocol), stored once durable as its manager's point.

    200 with nothing stored when the request has no fix; 400 invalid_osmand_request for a malformed value;
    401 invalid_tracker_key; 503 when checkin cannot make the point durable (the phone keeps it and retries).
    """
    try:
        decoded = await _decode(request, deps)
    except OsmandError as exc:
        raise ApiError(400, "invalid_osmand_request", str(exc), {"field": exc.field, "reason": exc.reason}) from None
    tracker, caller = await _authenticate(decoded.key, deps)
    if decoded.fix is None:
        return JsonResponse({"accepted": 0, "rejected": []})
    point = decoded.fix.point(int(time.time() * 1000))
    # A resend of the same fix (the phone never saw the answer) has the same batch id: a no-op downstream.
    batch_id = f"osmand:{tracker.id}:{point['ts']}"
    rpc = checkin_pb2.AcceptTrackBatchRequest(json=orjson.dumps({"points": [point]}), batch_id=batch_id)
    answer = await deps.clients.call(
        deps.clients.checkin.AcceptTrackBatch, rpc, caller, timeout=deps.settings.ingest_timeout_seconds
    )
    return ingest_answer(answer)
