"""Admin: terminal devices and their keys (`X-Device-Key` of POST /scans). Owned by the gateway's store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from baifang.planning.v1 import planning_pb2
from baifang_common.context import Caller
from gateway.auth import require_roles
from gateway.deps import Deps, get_deps
from gateway.devices import key_digest, new_device_key
from gateway.errors import ApiError, JsonResponse
from gateway.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, encode_cursor
from gateway.routes import API_PREFIX
from gateway.schemas.devices import CreateDeviceRequest

router = APIRouter(prefix=API_PREFIX, tags=["admin"], dependencies=[Depends(require_roles("admin"))])

DepsDep = Annotated[Deps, Depends(get_deps)]
AdminDep = Annotated[Caller, Depends(require_roles("admin"))]
DeviceId = Annotated[str, Path(min_length=1, max_length=128)]


async def ensure_customer_exists(customer_id: str, caller: Caller, deps: Deps) -> None:
    """404 customer_not_found from planning for an unknown customer.

    Planning has no customer lookup RPC yet; GetCustomerQr (admin only, like this route) answers
    NOT_FOUND for an unknown customer and is an idempotent read, so it serves as the existence check.
    """
    request = planning_pb2.GetCustomerQrRequest(customer_id=customer_id)
    await deps.clients.call(deps.clients.planning.GetCustomerQr, request, caller)


@router.post("/admin/devices", status_code=201)
async def create_device(body: CreateDeviceRequest, caller: AdminDep, deps: DepsDep) -> Response:
    """A new device of a customer's outlet; the answer carries its key, shown this once and never again.

    404 customer_not_found when planning does not know the customer.
    """
    await ensure_customer_exists(body.customer_id, caller, deps)
    key = new_device_key()
    device = await deps.devices.store.create(body.customer_id, body.name, key_digest(key))
    return JsonResponse(
        {"device_id": device.id, "key": key, "customer_id": device.customer_id, "name": device.name}, status_code=201
    )


@router.get("/admin/devices")
async def list_devices(
    deps: DepsDep,
    customer_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Devices, oldest first, optionally of one customer (never their keys)."""
    offset = decode_cursor(cursor)
    devices = await deps.devices.store.page(customer_id, offset, limit + 1)
    items = [d.public() for d in devices[:limit]]
    return {"items": items, "next_cursor": encode_cursor(offset + limit) if len(devices) > limit else None}


@router.post("/admin/devices/{device_id}/revoke")
async def revoke_device(device_id: DeviceId, deps: DepsDep) -> dict[str, Any]:
    """Its key stops working (within the key cache's few seconds on other gateway processes); idempotent."""
    device = await deps.devices.store.revoke(device_id)
    if device is None:
        raise ApiError(404, "not_found", "no such device", {"device_id": device_id})
    deps.devices.forget(device.id)
    return device.public()
