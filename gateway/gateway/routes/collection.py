"""Collection routes (collection service): the cigarette catalogue and the price & stock collection.

Money is integer fen in and out (`pack_price`, `carton_price`, `ref_pack_price`, `ref_carton_price`).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from baifang.collection.v1 import collection_pb2
from baifang.common.v1 import common_pb2
from baifang_common.context import Caller
from baifang_common.timeutil import iso, now_utc
from gateway.auth import current_caller, require_roles
from gateway.deps import Deps, get_deps
from gateway.errors import ApiError
from gateway.multipart import parse_form
from gateway.order_import import parse as parse_order_file
from gateway.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, page
from gateway.routes import API_PREFIX
from gateway.schemas.collection import (
    AgreedQuantityRequest,
    DecisionRequest,
    FeedbackRequest,
    PriceInventoryRequest,
    PromotionEntry,
    ShelvingRequest,
    SkuEntry,
    SpecialUseRequest,
    SupplyAdjustmentRequest,
    TerminalItemsRequest,
    TerminalSaveRequest,
)
from gateway.sku_import import parse as parse_sku_file

router = APIRouter(prefix=API_PREFIX, tags=["collection"])

Id = Annotated[str, Path(min_length=1, max_length=128)]
Day = Annotated[str | None, Query(max_length=10)]
CallerDep = Annotated[Caller, Depends(current_caller)]
DepsDep = Annotated[Deps, Depends(get_deps)]
AdminDep = Annotated[Caller, Depends(require_roles("admin"))]


def sku_item(s: collection_pb2.Sku) -> dict[str, Any]:
    return {
        "sku": s.sku,
        "name": s.name,
        "brand": s.brand,
        "short_code": s.short_code,
        "price_class": s.price_class,
        "ref_pack_price": s.ref_pack_price_fen,
        "ref_carton_price": s.ref_carton_price_fen,
        "packs_per_carton": s.packs_per_carton,
        "active": s.active,
    }


def collected_line(line: collection_pb2.CollectedLine) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "name": line.name,
        "pack_price": line.pack_price_fen,
        "carton_price": line.carton_price_fen,
        "ref_pack_price": line.ref_pack_price_fen,
        "ref_carton_price": line.ref_carton_price_fen,
        "prev_stock": line.prev_stock,
        "purchased": line.purchased,
        "purchased_source": line.purchased_source,
        "stock": line.stock,
        "sales": line.sales,
        "first": line.first,
    }


def collection_item(c: collection_pb2.PriceInventory) -> dict[str, Any]:
    return {
        "collection_id": c.collection_id,
        "visit_id": c.visit_id,
        "customer_id": c.customer_id,
        "manager_id": c.manager_id,
        "date": c.date,
        "submitted_at": c.submitted_at,
        "client_ts": c.client_ts or None,
        "op_id": c.op_id,
        "superseded": c.superseded,
        "lines": [collected_line(line) for line in c.lines],
        "photo_ids": list(c.photo_ids),
    }


@router.get("/customers/{customer_id}/price-inventory/form")
async def price_inventory_form(customer_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """The preset SKUs with reference prices (fen), previous stock (0 the first time) and known purchases."""
    answer = await deps.clients.call(
        deps.clients.collection.GetPriceInventoryForm,
        collection_pb2.GetPriceInventoryFormRequest(customer_id=customer_id),
        caller,
    )
    lines = [
        {**sku_item(line.sku), "prev_stock": line.prev_stock, "first": line.first, "purchased": line.purchased}
        for line in answer.lines
    ]
    return {"customer_id": customer_id, "lines": lines}


@router.post("/visits/{visit_id}/price-inventory", status_code=201)
async def submit_price_inventory(
    visit_id: Id, body: PriceInventoryRequest, caller: CallerDep, deps: DepsDep
) -> dict[str, Any]:
    """Price & stock of a checked-in visit; 422 names every failing line and field; op_id replays."""
    lines = [
        collection_pb2.PriceLineInput(
            sku=line.sku,
            pack_price_fen=line.pack_price,
            carton_price_fen=line.carton_price,
            stock=line.stock,
            **({"purchased": line.purchased} if line.purchased is not None else {}),
        )
        for line in body.lines
    ]
    request = collection_pb2.SubmitPriceInventoryRequest(
        op=common_pb2.OpMeta(op_id=body.op_id, client_ts=body.client_ts or iso(now_utc())),
        visit_id=visit_id,
        lines=lines,
        photo_ids=body.photo_ids,
    )
    answer = await deps.clients.call(deps.clients.collection.SubmitPriceInventory, request, caller, write=True)
    return collection_item(answer.collection)


@router.get("/customers/{customer_id}/price-inventory")
async def price_inventory_history(
    customer_id: Id,
    caller: CallerDep,
    deps: DepsDep,
    start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Every submission for the customer, newest first (superseded ones flagged), visit dates in [from, to]."""
    offset = decode_cursor(cursor)
    request = collection_pb2.ListPriceInventoryRequest(customer_id=customer_id, to=end or "")
    setattr(request, "from", start or "")
    answer = await deps.clients.call(deps.clients.collection.ListPriceInventory, request, caller)
    return page([collection_item(c) for c in answer.collections], limit, offset)


@router.get("/skus")
async def search_skus(
    caller: CallerDep,
    deps: DepsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    include_inactive: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The catalogue, or the entries whose name, brand, short code or code hold every word of `q`."""
    offset = decode_cursor(cursor)
    request = collection_pb2.SearchSkusRequest(q=q, include_inactive=include_inactive)
    answer = await deps.clients.call(deps.clients.collection.SearchSkus, request, caller)
    return page([sku_item(s) for s in answer.skus], limit, offset)


@router.put("/admin/skus/{sku}")
async def upsert_sku(sku: Id, body: SkuEntry, caller: AdminDep, deps: DepsDep) -> dict[str, Any]:
    """Create or replace one catalogue entry; 422 invalid_sku names each offending field."""
    entry = collection_pb2.Sku(
        sku=sku,
        name=body.name,
        brand=body.brand,
        short_code=body.short_code,
        price_class=body.price_class,
        ref_pack_price_fen=body.ref_pack_price,
        ref_carton_price_fen=body.ref_carton_price,
        packs_per_carton=body.packs_per_carton,
        active=body.active,
    )
    request = collection_pb2.UpsertSkusRequest(skus=[entry])
    await deps.clients.call(deps.clients.collection.UpsertSkus, request, caller, write=True)
    return sku_item(entry)


@router.post("/admin/import/skus")
async def import_skus(request: Request, caller: AdminDep, deps: DepsDep) -> dict[str, Any]:
    """JSON lines (default) or CSV (`Content-Type: text/csv`): sound rows stored, the rest reported by line."""
    try:
        parsed = parse_sku_file(await request.body(), request.headers.get("content-type", ""))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_request", "the file is not UTF-8 text", {"body": "not UTF-8"}) from exc
    answer = await deps.clients.call(
        deps.clients.collection.ImportSkus,
        collection_pb2.UpsertSkusRequest(skus=parsed.entries),
        caller,
        write=True,
    )
    refused = [
        {"row": parsed.lines[p.index], "sku": p.sku, "field": p.field, "reason": p.reason} for p in answer.rejected
    ]
    rejected = sorted(parsed.rejected + refused, key=lambda r: r["row"])
    return {
        "received": len(parsed.entries) + len({r["row"] for r in parsed.rejected}),
        "upserted": answer.upserted,
        "rejected": rejected,
    }


# Lines per ImportOrders call: a large file goes to the service in slices well under the message size.
ORDER_SLICE = 5000


@router.post("/admin/import/orders")
async def import_orders(request: Request, caller: AdminDep, deps: DepsDep) -> dict[str, Any]:
    """JSON lines (default) or CSV (`Content-Type: text/csv`) order lines; a repeated import answers all unchanged."""
    try:
        parsed = parse_order_file(await request.body(), request.headers.get("content-type", ""))
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_request", "the file is not UTF-8 text", {"body": "not UTF-8"}) from exc
    applied = unchanged = 0
    rejected = list(parsed.rejected)
    for start in range(0, len(parsed.lines), ORDER_SLICE):
        lines = parsed.lines[start : start + ORDER_SLICE]
        answer = await deps.clients.call(
            deps.clients.collection.ImportOrders, collection_pb2.ImportOrdersRequest(lines=lines), caller, write=True
        )
        applied, unchanged = applied + answer.applied, unchanged + answer.unchanged
        rejected += [
            {"row": parsed.rows[start + p.index], "field": p.field, "reason": p.reason} for p in answer.rejected
        ]
    return {"applied": applied, "unchanged": unchanged, "rejected": sorted(rejected, key=lambda r: r["row"])}


def agreed_item(a: collection_pb2.AgreedQuantityResponse) -> dict[str, Any]:
    return {
        "customer_id": a.customer_id,
        "month": a.month,
        "status": a.status,
        "lines": [{"sku": line.sku, "qty": line.qty} for line in a.lines],
        "total": a.total,
        "submitted_at": a.submitted_at or None,
        "submitted_by": a.submitted_by or None,
    }


@router.get("/customers/{customer_id}/agreed-quantities")
async def agreed_quantity(
    customer_id: Id, caller: CallerDep, deps: DepsDep, month: Annotated[str, Query(max_length=7)] = ""
) -> dict[str, Any]:
    """The month's agreed quantity (the current month by default); status `none` until submitted."""
    request = collection_pb2.GetAgreedQuantityRequest(customer_id=customer_id, month=month)
    return agreed_item(await deps.clients.call(deps.clients.collection.GetAgreedQuantity, request, caller))


@router.post("/customers/{customer_id}/agreed-quantities", status_code=201)
async def submit_agreed_quantity(
    customer_id: Id, body: AgreedQuantityRequest, caller: CallerDep, deps: DepsDep
) -> dict[str, Any]:
    """Current month only (422 otherwise); once submitted, 409 immutable; a replayed op_id answers the first."""
    request = collection_pb2.SubmitAgreedQuantityRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        customer_id=customer_id,
        month=body.month,
        lines=[collection_pb2.AgreedLine(sku=line.sku, qty=line.qty) for line in body.lines],
    )
    answer = await deps.clients.call(deps.clients.collection.SubmitAgreedQuantity, request, caller, write=True)
    return agreed_item(answer)


class TerminalPath(StrEnum):
    """The two re-collectable terminal records, by their API path."""

    resources = "terminal-resources"
    info = "terminal-info"

    @property
    def kind(self) -> str:
        return "terminal_resources" if self is TerminalPath.resources else "terminal_info"


def _terminal_version(v: collection_pb2.TerminalVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "values": json.loads(v.values_json or "{}"),
        "saved_by": v.saved_by,
        "saved_at": v.saved_at,
        "visit_id": v.visit_id or None,
        "photo_ids": list(v.photo_ids),
    }


def _terminal_item(i: collection_pb2.TerminalItem) -> dict[str, Any]:
    return {
        "code": i.code,
        "label": i.label,
        "type": i.type,
        "unit": i.unit,
        "choices": list(i.choices),
        "card_field": i.card_field or None,
    }


def terminal_profile(p: collection_pb2.TerminalProfile) -> dict[str, Any]:
    return {
        "customer_id": p.customer_id,
        "items": [_terminal_item(i) for i in p.items],
        "latest": _terminal_version(p.latest) if p.HasField("latest") else None,
        "history": [_terminal_version(v) for v in p.history],
    }


async def _get_profile(customer_id: str, kind: str, caller: Caller, deps: Deps) -> dict[str, Any]:
    request = collection_pb2.GetTerminalProfileRequest(customer_id=customer_id, kind=kind)
    return terminal_profile(await deps.clients.call(deps.clients.collection.GetTerminalProfile, request, caller))


async def _save_profile(
    customer_id: str, kind: str, body: TerminalSaveRequest, caller: Caller, deps: Deps
) -> dict[str, Any]:
    request = collection_pb2.SaveTerminalProfileRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        customer_id=customer_id,
        kind=kind,
        values_json=json.dumps(body.values, ensure_ascii=False),
        visit_id=body.visit_id,
        photo_ids=body.photo_ids,
    )
    answer = await deps.clients.call(deps.clients.collection.SaveTerminalProfile, request, caller, write=True)
    return terminal_profile(answer)


@router.get("/customers/{customer_id}/terminal-resources")
async def get_terminal_resources(customer_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """The item list, the last collected values (for prefill) and every version, newest first."""
    return await _get_profile(customer_id, "terminal_resources", caller, deps)


@router.post("/customers/{customer_id}/terminal-resources", status_code=201)
async def save_terminal_resources(
    customer_id: Id, body: TerminalSaveRequest, caller: CallerDep, deps: DepsDep
) -> dict[str, Any]:
    """A new version by the customer's manager; 422 invalid_terminal_values names each field."""
    return await _save_profile(customer_id, "terminal_resources", body, caller, deps)


@router.get("/customers/{customer_id}/terminal-info")
async def get_terminal_info(customer_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """The item list, the last maintained values (for prefill) and every version, newest first."""
    return await _get_profile(customer_id, "terminal_info", caller, deps)


@router.post("/customers/{customer_id}/terminal-info", status_code=201)
async def save_terminal_info(
    customer_id: Id, body: TerminalSaveRequest, caller: CallerDep, deps: DepsDep
) -> dict[str, Any]:
    """A new version; customer-card fields (e.g. terminal_type) reach planning by `terminal_info.updated`."""
    return await _save_profile(customer_id, "terminal_info", body, caller, deps)


@router.put("/admin/terminal-items/{record}")
async def set_terminal_items(
    record: TerminalPath, body: TerminalItemsRequest, caller: AdminDep, deps: DepsDep
) -> dict[str, Any]:
    """Replace the configurable item list of terminal resources or terminal information."""
    items = [collection_pb2.TerminalItem(**item.model_dump()) for item in body.items]
    request = collection_pb2.SetTerminalItemsRequest(kind=record.kind, items=items)
    answer = await deps.clients.call(deps.clients.collection.SetTerminalItems, request, caller, write=True)
    return {"items": [_terminal_item(i) for i in answer.items]}


def adjustment_item(a: collection_pb2.SupplyAdjustment) -> dict[str, Any]:
    return {
        "adjustment_id": a.adjustment_id,
        "customer_id": a.customer_id,
        "month": a.month,
        "manager_id": a.manager_id,
        "lines": [{"sku": line.sku, "extra_qty": line.qty} for line in a.lines],
        "reason": a.reason,
        "status": a.status,
        "requested_at": a.requested_at,
        "decided_by": a.decided_by or None,
        "decided_at": a.decided_at or None,
        "note": a.note or None,
    }


@router.post("/supply-adjustments", status_code=201)
async def request_supply_adjustment(body: SupplyAdjustmentRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """The customer's manager asks for increases on a month with an agreed quantity → `pending`."""
    request = collection_pb2.RequestSupplyAdjustmentRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        customer_id=body.customer_id,
        month=body.month,
        lines=[collection_pb2.AgreedLine(sku=line.sku, qty=line.extra_qty) for line in body.lines],
        reason=body.reason,
    )
    answer = await deps.clients.call(deps.clients.collection.RequestSupplyAdjustment, request, caller, write=True)
    return adjustment_item(answer)


@router.get("/supply-adjustments")
async def list_supply_adjustments(
    caller: CallerDep,
    deps: DepsDep,
    status: Annotated[str, Query(max_length=16)] = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """A supervisor's team requests (`status=pending`: the inbox, oldest first); a manager's own."""
    offset = decode_cursor(cursor)
    request = collection_pb2.ListSupplyAdjustmentsRequest(status=status)
    answer = await deps.clients.call(deps.clients.collection.ListSupplyAdjustments, request, caller)
    return page([adjustment_item(a) for a in answer.adjustments], limit, offset)


async def _act(adjustment_id: str, action: str, note: str, caller: Caller, deps: Deps) -> dict[str, Any]:
    request = collection_pb2.ActOnSupplyAdjustmentRequest(adjustment_id=adjustment_id, action=action, note=note)
    answer = await deps.clients.call(deps.clients.collection.ActOnSupplyAdjustment, request, caller, write=True)
    return adjustment_item(answer)


@router.post("/supply-adjustments/{adjustment_id}/approve")
async def approve_supply_adjustment(
    adjustment_id: Id, caller: CallerDep, deps: DepsDep, body: DecisionRequest | None = None
) -> dict[str, Any]:
    """The requester's supervisor only; the increase counts from now on; 409 already_decided."""
    return await _act(adjustment_id, "approve", body.note if body else "", caller, deps)


@router.post("/supply-adjustments/{adjustment_id}/reject")
async def reject_supply_adjustment(
    adjustment_id: Id, caller: CallerDep, deps: DepsDep, body: DecisionRequest | None = None
) -> dict[str, Any]:
    """The requester's supervisor only; 409 already_decided."""
    return await _act(adjustment_id, "reject", body.note if body else "", caller, deps)


@router.post("/supply-adjustments/{adjustment_id}/withdraw")
async def withdraw_supply_adjustment(
    adjustment_id: Id, caller: CallerDep, deps: DepsDep, body: DecisionRequest | None = None
) -> dict[str, Any]:
    """The requester only, while pending."""
    return await _act(adjustment_id, "withdraw", body.note if body else "", caller, deps)


@router.get("/customers/{customer_id}/effective-quantities")
async def effective_quantities(
    customer_id: Id, caller: CallerDep, deps: DepsDep, month: Annotated[str, Query(min_length=7, max_length=7)]
) -> dict[str, Any]:
    """Agreed quantity plus approved increases, per SKU, for the month."""
    request = collection_pb2.GetAgreedQuantityRequest(customer_id=customer_id, month=month)
    answer = await deps.clients.call(deps.clients.collection.GetEffectiveQuantities, request, caller)
    return {
        "customer_id": customer_id,
        "month": month,
        "lines": [{"sku": line.sku, "qty": line.qty} for line in answer.lines],
        "total": answer.total,
    }


def report_item(r: collection_pb2.SpecialUseReport) -> dict[str, Any]:
    warnings = [
        {"index": w.index, "sku": w.sku, "ref_carton_price": w.ref_carton_price_fen, "reason": w.reason}
        for w in r.warnings
    ]
    return {
        "report_id": r.report_id,
        "customer_id": r.customer_id,
        "consumer_name": r.consumer_name,
        "phone": r.phone,
        "occasion": r.occasion,
        "area": r.area or None,
        "event_date": r.event_date,
        "lines": [{"sku": line.sku, "qty": line.qty} for line in r.lines],
        "note": r.note or None,
        "status": r.status,
        "filed_at": r.filed_at,
        "warnings": warnings,
        "photo_ids": list(r.photo_ids),
    }


@router.post("/special-use-reports", status_code=201)
async def file_special_use_report(body: SpecialUseRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Filed by the customer's manager; lines outside the P-002-T9 price band come back as `warnings`."""
    request = collection_pb2.FileSpecialUseReportRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        customer_id=body.customer_id,
        consumer_name=body.consumer_name,
        phone=body.phone,
        occasion=body.occasion,
        area=body.area,
        event_date=body.event_date,
        lines=[collection_pb2.AgreedLine(sku=line.sku, qty=line.qty) for line in body.lines],
        note=body.note,
        photo_ids=body.photo_ids,
    )
    answer = await deps.clients.call(deps.clients.collection.FileSpecialUseReport, request, caller, write=True)
    return report_item(answer)


@router.get("/special-use-reports")
async def list_special_use_reports(
    caller: CallerDep,
    deps: DepsDep,
    customer_id: Annotated[str, Query(min_length=1, max_length=128)],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """A customer's reports, newest first."""
    offset = decode_cursor(cursor)
    request = collection_pb2.ListSpecialUseReportsRequest(customer_id=customer_id)
    answer = await deps.clients.call(deps.clients.collection.ListSpecialUseReports, request, caller)
    return page([report_item(r) for r in answer.reports], limit, offset)


def promotion_item(p: collection_pb2.Promotion) -> dict[str, Any]:
    return {
        "promotion_id": p.promotion_id,
        "title": p.title,
        "skus": list(p.skus),
        "content": p.content,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "active": p.active,
    }


@router.get("/promotions")
async def list_promotions(
    caller: CallerDep, deps: DepsDep, include_all: bool = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> dict[str, Any]:
    """Brand promotion material current today (admins may ask for all)."""
    offset = decode_cursor(cursor)
    request = collection_pb2.ListPromotionsRequest(include_all=include_all)
    answer = await deps.clients.call(deps.clients.collection.ListPromotions, request, caller)
    return page([promotion_item(p) for p in answer.promotions], limit, offset)


@router.put("/admin/promotions/{promotion_id}")
async def save_promotion(promotion_id: Id, body: PromotionEntry, caller: AdminDep, deps: DepsDep) -> dict[str, Any]:
    """Create or replace a promotion; 422 invalid_promotion names each field."""
    request = collection_pb2.Promotion(promotion_id=promotion_id, **body.model_dump())
    answer = await deps.clients.call(deps.clients.collection.SavePromotion, request, caller, write=True)
    return promotion_item(answer)


@router.post("/promotions/{promotion_id}/feedback", status_code=201)
async def promotion_feedback(
    promotion_id: Id, body: FeedbackRequest, caller: CallerDep, deps: DepsDep
) -> dict[str, Any]:
    """The customer's feedback and sales intention (none, low, medium, high; optional quantity)."""
    request = collection_pb2.RecordPromotionFeedbackRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        promotion_id=promotion_id,
        customer_id=body.customer_id,
        visit_id=body.visit_id,
        feedback=body.feedback,
        intent=body.intent,
        intended_qty=body.intended_qty,
        photo_ids=body.photo_ids,
    )
    answer = await deps.clients.call(deps.clients.collection.RecordPromotionFeedback, request, caller, write=True)
    return {
        "feedback_id": answer.feedback_id,
        "promotion_id": answer.promotion_id,
        "customer_id": answer.customer_id,
        "visit_id": answer.visit_id or None,
        "feedback": answer.feedback,
        "intent": answer.intent,
        "intended_qty": answer.intended_qty,
        "recorded_at": answer.recorded_at,
        "photo_ids": list(answer.photo_ids),
    }


def shelving_item(state: collection_pb2.ShelvingState) -> dict[str, Any]:
    return {
        "customer_id": state.customer_id,
        "visit_id": state.visit_id or None,
        "brands": [{"brand": f.brand, "shelved": f.shelved, "date": f.date} for f in state.facts],
    }


@router.post("/visits/{visit_id}/shelving", status_code=201)
async def record_shelving(visit_id: Id, body: ShelvingRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Key brands shelved yes/no at a checked-in visit (P-002-T3); 409 not_checked_in; 422 invalid_shelving."""
    request = collection_pb2.RecordShelvingRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        visit_id=visit_id,
        facts=[collection_pb2.ShelvingFact(brand=f.brand, shelved=f.shelved) for f in body.brands],
    )
    answer = await deps.clients.call(deps.clients.collection.RecordShelving, request, caller, write=True)
    return shelving_item(answer)


@router.get("/customers/{customer_id}/shelving")
async def shelving_state(customer_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Per key brand, whether it was last seen shelved, and on which visit date."""
    request = collection_pb2.GetShelvingRequest(customer_id=customer_id)
    return shelving_item(await deps.clients.call(deps.clients.collection.GetShelving, request, caller))


PHOTO_UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "customer_id"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "customer_id": {"type": "string", "minLength": 1, "maxLength": 128},
                        "visit_id": {"type": "string", "maxLength": 128},
                        "kind": {"type": "string", "maxLength": 32},
                    },
                }
            }
        },
    }
}
PHOTO_READ_OPENAPI: dict[str, Any] = {
    "responses": {
        "200": {
            "description": "the photo's bytes",
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


def photo_item(p: collection_pb2.Photo) -> dict[str, Any]:
    return {
        "photo_id": p.photo_id,
        "customer_id": p.customer_id,
        "visit_id": p.visit_id or None,
        "owner_id": p.owner_id,
        "kind": p.kind,
        "content_type": p.content_type,
        "width": p.width,
        "height": p.height,
        "size": p.size,
        "uploaded_at": p.uploaded_at,
    }


def _form_text(form: Any, name: str, required: bool = False) -> str:
    value = str(form.fields.get(name, ""))
    if required and not value:
        raise ApiError(400, "invalid_request", f"{name} is required", {name: "required"})
    if len(value) > 128:
        raise ApiError(400, "invalid_request", f"{name} is too long", {name: "at most 128 characters"})
    return value


@router.post("/photos", status_code=201, openapi_extra=PHOTO_UPLOAD_OPENAPI)
async def upload_photo(request: Request, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Multipart `file` (JPEG or PNG by content, 415 otherwise; 413 above the size limit), `customer_id`,
    optional `visit_id` and `kind`; the customer's manager only. A retried upload answers the same photo."""
    try:
        form = parse_form(await request.body(), request.headers.get("content-type", ""))
    except ValueError as exc:
        raise ApiError(400, "invalid_request", str(exc), {"body": str(exc)}) from exc
    data = form.files.get("file")
    if data is None:
        raise ApiError(400, "invalid_request", "file is required", {"file": "required"})
    if len(data) > deps.settings.photo_max_bytes:
        limit = deps.settings.photo_max_bytes
        raise ApiError(413, "payload_too_large", "the photo is larger than allowed", {"limit_bytes": limit})
    upload = collection_pb2.UploadPhotoRequest(
        customer_id=_form_text(form, "customer_id", required=True),
        visit_id=_form_text(form, "visit_id"),
        kind=_form_text(form, "kind"),
        data=data,
    )
    return photo_item(await deps.clients.call(deps.clients.collection.UploadPhoto, upload, caller, write=True))


@router.get("/photos/{photo_id}", response_class=Response, openapi_extra=PHOTO_READ_OPENAPI)
async def get_photo(photo_id: Id, caller: CallerDep, deps: DepsDep) -> Response:
    """The photo's bytes with its content type, to the customer's manager, that team's supervisor and admins."""
    request = collection_pb2.GetPhotoRequest(photo_id=photo_id)
    answer = await deps.clients.call(deps.clients.collection.GetPhoto, request, caller)
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(content=answer.data, media_type=answer.photo.content_type, headers=headers)
