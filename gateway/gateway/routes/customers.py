"""The customer file (P-004-4, P-004-13, P-004-14): card, route and area, contacts with their roles
(the payment contact among them), the responsible manager since when, and every change versioned."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from baifang.planning.v1 import planning_pb2
from baifang_common.context import Caller
from gateway.auth import current_caller
from gateway.deps import Deps, get_deps
from gateway.routes import API_PREFIX
from gateway.routes.assistant import contact_item
from gateway.routes.planning import customer_info
from gateway.schemas.planning import CustomerFileEdit

router = APIRouter(prefix=API_PREFIX, tags=["customers"])

CallerDep = Annotated[Caller, Depends(current_caller)]
DepsDep = Annotated[Deps, Depends(get_deps)]
Id = Annotated[str, Path(min_length=1, max_length=64)]


def customer_file_item(f: planning_pb2.CustomerFile) -> dict[str, Any]:
    c = f.customer
    return {
        "customer": {**customer_info(c), "route_id": c.route_id, "area_id": c.area_id, "version": c.version},
        "responsible": {"manager_id": c.manager_id, "team_id": c.team_id, "since": f.responsible_since or None},
        "contacts": [contact_item(x) for x in f.contacts],
    }


@router.get("/customers/{customer_id}")
async def customer_file(customer_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """The customer's own manager, the team's supervisor and admins; others 403."""
    request = planning_pb2.CustomerFileRequest(customer_id=customer_id)
    return customer_file_item(await deps.clients.call(deps.clients.planning.GetCustomerFile, request, caller))


@router.patch("/customers/{customer_id}")
async def edit_customer_file(
    customer_id: Id, body: CustomerFileEdit, caller: CallerDep, deps: DepsDep
) -> dict[str, Any]:
    """Change route, area, address, phone or short code on `version`; recorded as the next version."""
    fields = {k: v for k, v in body.model_dump(exclude={"version"}).items() if v is not None}
    request = planning_pb2.UpdateCustomerFileRequest(
        customer_id=customer_id, expected_version=body.version, fields=fields
    )
    answer = await deps.clients.call(deps.clients.planning.UpdateCustomerFile, request, caller, write=True)
    return customer_file_item(answer)


@router.get("/customers/{customer_id}/history")
async def customer_history(customer_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Every recorded version of the customer record, oldest first: who, when, what changed."""
    request = planning_pb2.CustomerFileRequest(customer_id=customer_id)
    answer = await deps.clients.call(deps.clients.planning.ListCustomerVersions, request, caller)
    items = [
        {
            "version": v.version,
            "changed_by": v.changed_by,
            "changed_at": v.changed_at,
            "source": v.source,
            "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in v.changes],
        }
        for v in answer.versions
    ]
    return {"items": items, "next_cursor": None}
