"""CollectionServicer: proto → query → use case → proto, nothing else; plus the gRPC process entry."""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from baifang.collection.v1 import collection_pb2, collection_pb2_grpc
from baifang_common.context import require_caller
from baifang_common.errors import InvalidArgument
from baifang_common.grpc_server import Servicer, serve
from baifang_common.identity import FROM_GATEWAY
from baifang_common.logging import configure_logging
from baifang_common.timeutil import iso
from collection import bootstrap
from collection.bootstrap import GrpcDeps
from collection.domain.model import (
    AgreedLine,
    AgreedQuantity,
    CollectedLine,
    FormLine,
    OrderLine,
    Photo,
    PriceInventory,
    PriceLineInput,
    Promotion,
    PromotionFeedback,
    ShelvingFact,
    Sku,
    SpecialUseReport,
    SupplyAdjustment,
    TerminalItem,
    TerminalVersion,
)
from collection.settings import CollectionSettings
from collection.usecases.agreed_quantity import AgreedAnswer, MonthQuery, SubmitAgreedQuantity
from collection.usecases.catalogue import ListSkus, SearchSkus, WriteSkus
from collection.usecases.offline import OfflineAnswer, OfflineOp
from collection.usecases.orders import ImportOrders
from collection.usecases.photos import PhotoQuery, UploadPhoto
from collection.usecases.price_inventory import CustomerQuery, SubmitPriceInventory, Submitted
from collection.usecases.promotion import ListPromotions, RecordFeedback, SavePromotion
from collection.usecases.shelving import RecordShelving
from collection.usecases.special_use import FileReport
from collection.usecases.supply_adjustment import ActOnAdjustment, ListAdjustments, RequestAdjustment
from collection.usecases.terminal import SaveTerminal, SetTerminalItems, TerminalProfile, TerminalQuery

SERVICE_NAME = "baifang.collection.v1.CollectionService"
# Who may call each RPC (issuers of the signed identity, enforced by the common server interceptor):
# every collection RPC is public API, reached through the gateway only.
CALLERS = {
    **dict.fromkeys(collection_pb2.DESCRIPTOR.services_by_name["CollectionService"].methods_by_name, FROM_GATEWAY),
    # The collection ops of POST /sync come through checkin's offline batch, in the batch's order.
    "ApplyOfflineOp": frozenset({"checkin"}),
}


def _sku(s: Sku) -> collection_pb2.Sku:
    return collection_pb2.Sku(
        sku=s.sku,
        name=s.name,
        brand=s.brand,
        short_code=s.short_code,
        price_class=s.price_class,
        ref_pack_price_fen=s.ref_pack_price_fen,
        ref_carton_price_fen=s.ref_carton_price_fen,
        packs_per_carton=s.packs_per_carton,
        active=s.active,
    )


def _entry(s: collection_pb2.Sku) -> Sku:
    return Sku(
        sku=s.sku.strip(),
        name=s.name.strip(),
        brand=s.brand.strip(),
        short_code=s.short_code.strip(),
        price_class=s.price_class,
        ref_pack_price_fen=s.ref_pack_price_fen,
        ref_carton_price_fen=s.ref_carton_price_fen,
        packs_per_carton=s.packs_per_carton,
        active=s.active,
    )


def _order_line(line: collection_pb2.OrderLine) -> OrderLine:
    return OrderLine(
        order_id=line.order_id.strip(),
        line_no=line.line_no,
        customer_id=line.customer_id.strip(),
        sku=line.sku.strip(),
        quantity=line.quantity,
        amount_fen=line.amount_fen,
        order_date=line.order_date.strip(),
    )


def _form_line(line: FormLine) -> collection_pb2.FormLine:
    return collection_pb2.FormLine(
        sku=_sku(line.sku), prev_stock=line.base.prev_stock, first=line.base.first, purchased=line.base.ordered
    )


def _line_input(line: collection_pb2.PriceLineInput) -> PriceLineInput:
    return PriceLineInput(
        sku=line.sku,
        pack_price_fen=line.pack_price_fen,
        carton_price_fen=line.carton_price_fen,
        stock=line.stock,
        purchased=line.purchased if line.HasField("purchased") else None,
    )


def _collected(line: CollectedLine) -> collection_pb2.CollectedLine:
    return collection_pb2.CollectedLine(**{f: getattr(line, f) for f in CollectedLine.__dataclass_fields__})


def _collection(c: PriceInventory) -> collection_pb2.PriceInventory:
    return collection_pb2.PriceInventory(
        collection_id=c.collection_id,
        visit_id=c.visit_id,
        customer_id=c.customer_id,
        manager_id=c.manager_id,
        date=c.date,
        submitted_at=iso(c.submitted_at),
        client_ts=c.client_ts,
        op_id=c.op_id,
        superseded=c.superseded,
        lines=[_collected(line) for line in c.lines],
        photo_ids=list(c.photo_ids),
    )


def _agreed(customer_id: str, month: str, record: AgreedQuantity | None) -> collection_pb2.AgreedQuantityResponse:
    if record is None:
        return collection_pb2.AgreedQuantityResponse(customer_id=customer_id, month=month, status="none")
    return collection_pb2.AgreedQuantityResponse(
        customer_id=record.customer_id,
        month=record.month,
        status="submitted",
        lines=[collection_pb2.AgreedLine(sku=line.sku, qty=line.qty) for line in record.lines],
        total=record.total,
        submitted_at=iso(record.submitted_at),
        submitted_by=record.submitted_by,
    )


def _item(i: TerminalItem) -> collection_pb2.TerminalItem:
    return collection_pb2.TerminalItem(
        code=i.code, label=i.label, type=i.type, unit=i.unit, choices=list(i.choices), card_field=i.card_field
    )


def _version(v: TerminalVersion) -> collection_pb2.TerminalVersion:
    return collection_pb2.TerminalVersion(
        version=v.version,
        values_json=json.dumps(v.values, ensure_ascii=False, sort_keys=True),
        saved_by=v.saved_by,
        saved_at=iso(v.saved_at),
        visit_id=v.visit_id,
        op_id=v.op_id,
        photo_ids=list(v.photo_ids),
    )


def _profile(customer_id: str, kind: str, p: TerminalProfile) -> collection_pb2.TerminalProfile:
    return collection_pb2.TerminalProfile(
        customer_id=customer_id,
        kind=kind,
        items=[_item(i) for i in p.items],
        latest=_version(p.latest) if p.latest else None,
        history=[_version(v) for v in p.history],
        replayed=p.replayed,
    )


def _values(text: str) -> dict[str, Any]:
    """The client's JSON object of values; anything else is malformed (400)."""
    try:
        values = json.loads(text or "{}")
    except ValueError as exc:
        raise InvalidArgument("values is not JSON", field="values") from exc
    if not isinstance(values, dict):
        raise InvalidArgument("values must be an object", field="values")
    return values


def _adjustment(a: SupplyAdjustment) -> collection_pb2.SupplyAdjustment:
    return collection_pb2.SupplyAdjustment(
        adjustment_id=a.adjustment_id,
        customer_id=a.customer_id,
        month=a.month,
        manager_id=a.manager_id,
        lines=[collection_pb2.AgreedLine(sku=line.sku, qty=line.qty) for line in a.lines],
        reason=a.reason,
        status=a.status,
        requested_at=iso(a.requested_at),
        decided_by=a.decided_by,
        decided_at=iso(a.decided_at) if a.decided_at else "",
        note=a.note,
    )


def _report(r: SpecialUseReport, replayed: bool = False) -> collection_pb2.SpecialUseReport:
    return collection_pb2.SpecialUseReport(
        report_id=r.report_id,
        customer_id=r.customer_id,
        consumer_name=r.consumer_name,
        phone=r.phone,
        occasion=r.occasion,
        area=r.area,
        event_date=r.event_date,
        lines=[collection_pb2.AgreedLine(sku=line.sku, qty=line.qty) for line in r.lines],
        note=r.note,
        warnings=[
            collection_pb2.PriceWarning(
                index=w["index"], sku=w["sku"], ref_carton_price_fen=w["ref_carton_price"], reason=w["reason"]
            )
            for w in r.warnings
        ],
        status=r.status,
        filed_at=iso(r.filed_at),
        manager_id=r.manager_id,
        replayed=replayed,
        photo_ids=list(r.photo_ids),
    )


def _promotion(p: Promotion) -> collection_pb2.Promotion:
    return collection_pb2.Promotion(
        promotion_id=p.promotion_id,
        title=p.title,
        skus=list(p.skus),
        content=p.content,
        valid_from=p.valid_from,
        valid_to=p.valid_to,
        active=p.active,
    )


def _feedback(f: PromotionFeedback, replayed: bool) -> collection_pb2.PromotionFeedback:
    return collection_pb2.PromotionFeedback(
        feedback_id=f.feedback_id,
        promotion_id=f.promotion_id,
        customer_id=f.customer_id,
        visit_id=f.visit_id,
        feedback=f.feedback,
        intent=f.intent,
        intended_qty=f.intended_qty,
        recorded_at=iso(f.recorded_at),
        replayed=replayed,
        photo_ids=list(f.photo_ids),
    )


def _photo(p: Photo) -> collection_pb2.Photo:
    return collection_pb2.Photo(
        photo_id=p.photo_id,
        customer_id=p.customer_id,
        visit_id=p.visit_id,
        owner_id=p.owner_id,
        kind=p.kind,
        content_type=p.content_type,
        width=p.width,
        height=p.height,
        size=p.size,
        uploaded_at=iso(p.uploaded_at),
    )


class CollectionServicer(collection_pb2_grpc.CollectionServiceServicer):
    def __init__(self, deps: GrpcDeps) -> None:
        self.use = bootstrap.use_cases(deps)

    def ListSkus(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.ListSkusRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ListSkusResponse:
        query = ListSkus(caller=require_caller(), include_inactive=request.include_inactive)
        return collection_pb2.ListSkusResponse(skus=[_sku(s) for s in self.use.list_skus(query)])

    def SearchSkus(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.SearchSkusRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ListSkusResponse:
        query = SearchSkus(caller=require_caller(), q=request.q, include_inactive=request.include_inactive)
        return collection_pb2.ListSkusResponse(skus=[_sku(s) for s in self.use.search_skus(query)])

    def UpsertSkus(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.UpsertSkusRequest, context: grpc.ServicerContext
    ) -> collection_pb2.UpsertSkusResponse:
        cmd = WriteSkus(caller=require_caller(), entries=[_entry(s) for s in request.skus])
        return collection_pb2.UpsertSkusResponse(upserted=self.use.admin_upsert_skus(cmd))

    def ImportSkus(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.UpsertSkusRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ImportSkusResponse:
        cmd = WriteSkus(caller=require_caller(), entries=[_entry(s) for s in request.skus])
        report = self.use.import_skus(cmd)
        rejected = [
            collection_pb2.RowProblem(index=index, sku=cmd.entries[index].sku, field=name, reason=reason)
            for index, problems in sorted(report.rejected.items())
            for name, reason in problems.items()
        ]
        return collection_pb2.ImportSkusResponse(upserted=report.upserted, rejected=rejected)

    def ImportOrders(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.ImportOrdersRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ImportOrdersResponse:
        cmd = ImportOrders(
            caller=require_caller(),
            lines=[_order_line(line) for line in request.lines],
            customer_codes=[line.customer_code.strip() for line in request.lines],
        )
        report = self.use.import_orders(cmd)
        rejected = [
            collection_pb2.RowProblem(index=index, sku=cmd.lines[index].sku, field=name, reason=reason)
            for index, problems in sorted(report.rejected.items())
            for name, reason in problems.items()
        ]
        return collection_pb2.ImportOrdersResponse(
            applied=report.applied, unchanged=report.unchanged, rejected=rejected
        )

    def GetPriceInventoryForm(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.GetPriceInventoryFormRequest, context: grpc.ServicerContext
    ) -> collection_pb2.PriceInventoryForm:
        lines = self.use.price_inventory_form(CustomerQuery(require_caller(), request.customer_id))
        return collection_pb2.PriceInventoryForm(
            customer_id=request.customer_id, lines=[_form_line(line) for line in lines]
        )

    def SubmitPriceInventory(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.SubmitPriceInventoryRequest, context: grpc.ServicerContext
    ) -> collection_pb2.SubmitPriceInventoryResponse:
        cmd = SubmitPriceInventory(
            caller=require_caller(),
            visit_id=request.visit_id,
            op_id=request.op.op_id,
            client_ts=request.op.client_ts,
            lines=[_line_input(line) for line in request.lines],
            photo_ids=list(request.photo_ids),
        )
        answer = self.use.submit_price_inventory(cmd)
        return collection_pb2.SubmitPriceInventoryResponse(
            collection=_collection(answer.collection), replayed=answer.replayed
        )

    def ListPriceInventory(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.ListPriceInventoryRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ListPriceInventoryResponse:
        query = CustomerQuery(require_caller(), request.customer_id, getattr(request, "from"), request.to)
        history = self.use.price_inventory_history(query)
        return collection_pb2.ListPriceInventoryResponse(collections=[_collection(c) for c in history])

    def GetAgreedQuantity(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.GetAgreedQuantityRequest, context: grpc.ServicerContext
    ) -> collection_pb2.AgreedQuantityResponse:
        query = MonthQuery(require_caller(), request.customer_id, request.month)
        month, record = self.use.agreed_quantity(query)
        return _agreed(request.customer_id, month, record)

    def SubmitAgreedQuantity(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.SubmitAgreedQuantityRequest, context: grpc.ServicerContext
    ) -> collection_pb2.AgreedQuantityResponse:
        cmd = SubmitAgreedQuantity(
            caller=require_caller(),
            customer_id=request.customer_id,
            month=request.month,
            op_id=request.op.op_id,
            lines=[AgreedLine(sku=line.sku, qty=line.qty) for line in request.lines],
        )
        answer = self.use.submit_agreed_quantity(cmd)
        response = _agreed(answer.record.customer_id, answer.record.month, answer.record)
        response.replayed = answer.replayed
        return response

    def GetTerminalProfile(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.GetTerminalProfileRequest, context: grpc.ServicerContext
    ) -> collection_pb2.TerminalProfile:
        profile = self.use.terminal_profile(TerminalQuery(require_caller(), request.customer_id, request.kind))
        return _profile(request.customer_id, request.kind, profile)

    def SaveTerminalProfile(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.SaveTerminalProfileRequest, context: grpc.ServicerContext
    ) -> collection_pb2.TerminalProfile:
        cmd = SaveTerminal(
            caller=require_caller(),
            customer_id=request.customer_id,
            kind=request.kind,
            op_id=request.op.op_id,
            values=_values(request.values_json),
            visit_id=request.visit_id,
            photo_ids=list(request.photo_ids),
        )
        return _profile(request.customer_id, request.kind, self.use.save_terminal(cmd))

    def SetTerminalItems(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.SetTerminalItemsRequest, context: grpc.ServicerContext
    ) -> collection_pb2.TerminalProfile:
        items = [TerminalItem(i.code, i.label, i.type, i.unit, tuple(i.choices), i.card_field) for i in request.items]
        stored = self.use.set_terminal_items(SetTerminalItems(require_caller(), request.kind, items))
        return collection_pb2.TerminalProfile(kind=request.kind, items=[_item(i) for i in stored])

    def RequestSupplyAdjustment(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.RequestSupplyAdjustmentRequest, context: grpc.ServicerContext
    ) -> collection_pb2.SupplyAdjustment:
        cmd = RequestAdjustment(
            caller=require_caller(),
            customer_id=request.customer_id,
            month=request.month,
            op_id=request.op.op_id,
            lines=[AgreedLine(sku=line.sku, qty=line.qty) for line in request.lines],
            reason=request.reason,
        )
        return _adjustment(self.use.request_adjustment(cmd))

    def ActOnSupplyAdjustment(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.ActOnSupplyAdjustmentRequest, context: grpc.ServicerContext
    ) -> collection_pb2.SupplyAdjustment:
        cmd = ActOnAdjustment(require_caller(), request.adjustment_id, request.action, request.note)
        return _adjustment(self.use.act_on_adjustment(cmd))

    def ListSupplyAdjustments(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.ListSupplyAdjustmentsRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ListSupplyAdjustmentsResponse:
        found = self.use.list_adjustments(ListAdjustments(require_caller(), request.status))
        return collection_pb2.ListSupplyAdjustmentsResponse(adjustments=[_adjustment(a) for a in found])

    def GetEffectiveQuantities(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.GetAgreedQuantityRequest, context: grpc.ServicerContext
    ) -> collection_pb2.EffectiveQuantities:
        quantities = self.use.effective_quantities(MonthQuery(require_caller(), request.customer_id, request.month))
        return collection_pb2.EffectiveQuantities(
            customer_id=request.customer_id,
            month=request.month,
            lines=[collection_pb2.AgreedLine(sku=sku, qty=qty) for sku, qty in sorted(quantities.items())],
            total=sum(quantities.values()),
        )

    def FileSpecialUseReport(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.FileSpecialUseReportRequest, context: grpc.ServicerContext
    ) -> collection_pb2.SpecialUseReport:
        cmd = FileReport(
            caller=require_caller(),
            customer_id=request.customer_id,
            op_id=request.op.op_id,
            consumer_name=request.consumer_name,
            phone=request.phone,
            occasion=request.occasion,
            area=request.area,
            event_date=request.event_date,
            lines=[AgreedLine(sku=line.sku, qty=line.qty) for line in request.lines],
            note=request.note,
            photo_ids=list(request.photo_ids),
        )
        return _report(*self.use.file_report(cmd))

    def ListSpecialUseReports(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.ListSpecialUseReportsRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ListSpecialUseReportsResponse:
        found = self.use.list_reports(CustomerQuery(require_caller(), request.customer_id))
        return collection_pb2.ListSpecialUseReportsResponse(reports=[_report(r) for r in found])

    def ListPromotions(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.ListPromotionsRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ListPromotionsResponse:
        found = self.use.list_promotions(ListPromotions(require_caller(), request.include_all))
        return collection_pb2.ListPromotionsResponse(promotions=[_promotion(p) for p in found])

    def SavePromotion(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.Promotion, context: grpc.ServicerContext
    ) -> collection_pb2.Promotion:
        promotion = Promotion(
            promotion_id=request.promotion_id,
            title=request.title,
            skus=tuple(request.skus),
            content=request.content,
            valid_from=request.valid_from,
            valid_to=request.valid_to,
            active=request.active,
        )
        return _promotion(self.use.save_promotion(SavePromotion(require_caller(), promotion)))

    def RecordPromotionFeedback(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.RecordPromotionFeedbackRequest, context: grpc.ServicerContext
    ) -> collection_pb2.PromotionFeedback:
        cmd = RecordFeedback(
            caller=require_caller(),
            promotion_id=request.promotion_id,
            customer_id=request.customer_id,
            op_id=request.op.op_id,
            feedback=request.feedback,
            intent=request.intent,
            intended_qty=request.intended_qty,
            visit_id=request.visit_id,
            photo_ids=list(request.photo_ids),
        )
        return _feedback(*self.use.record_feedback(cmd))

    def RecordShelving(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.RecordShelvingRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ShelvingState:
        facts = [ShelvingFact(f.brand, f.shelved) for f in request.facts]
        record, replayed = self.use.record_shelving(
            RecordShelving(require_caller(), request.visit_id, request.op.op_id, facts)
        )
        return collection_pb2.ShelvingState(
            customer_id=record.customer_id,
            visit_id=record.visit_id,
            facts=[
                collection_pb2.ShelvingFact(brand=f.brand, shelved=f.shelved, date=record.date) for f in record.facts
            ],
            replayed=replayed,
        )

    def GetShelving(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.GetShelvingRequest, context: grpc.ServicerContext
    ) -> collection_pb2.ShelvingState:
        state = self.use.shelving_state(CustomerQuery(require_caller(), request.customer_id))
        facts = [
            collection_pb2.ShelvingFact(brand=brand, shelved=shelved, date=day)
            for brand, (shelved, day) in sorted(state.items())
        ]
        return collection_pb2.ShelvingState(customer_id=request.customer_id, facts=facts)

    def UploadPhoto(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.UploadPhotoRequest, context: grpc.ServicerContext
    ) -> collection_pb2.Photo:
        cmd = UploadPhoto(require_caller(), request.customer_id, request.visit_id, request.kind, request.data)
        return _photo(self.use.upload_photo(cmd))

    def GetPhoto(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.GetPhotoRequest, context: grpc.ServicerContext
    ) -> collection_pb2.PhotoContent:
        photo, data = self.use.get_photo(PhotoQuery(require_caller(), request.photo_id))
        return collection_pb2.PhotoContent(photo=_photo(photo), data=data)

    def ApplyOfflineOp(  # noqa: N802 (generated gRPC name)
        self, request: collection_pb2.OfflineOpRequest, context: grpc.ServicerContext
    ) -> collection_pb2.OfflineOpAnswer:
        payload = json_format.MessageToDict(request.payload)
        op = OfflineOp(require_caller(), request.op_id, request.type, payload, request.client_ts)
        answer = self.use.apply_offline_op(op)
        result = struct_pb2.Struct()
        result.update(json_format.MessageToDict(_offline_answer(answer), preserving_proto_field_name=True))
        return collection_pb2.OfflineOpAnswer(result=result, replayed=answer.replayed)


def _offline_answer(answer: OfflineAnswer) -> Any:
    """The answer the online RPC gives, as its proto message."""
    if isinstance(answer, Submitted):
        return collection_pb2.SubmitPriceInventoryResponse(collection=_collection(answer.collection))
    if isinstance(answer, AgreedAnswer):
        return _agreed(answer.record.customer_id, answer.record.month, answer.record)
    return _profile(answer.latest.customer_id if answer.latest else "", "terminal_info", answer)


def servicer(deps: GrpcDeps) -> Servicer:
    return Servicer(
        collection_pb2_grpc.add_CollectionServiceServicer_to_server, CollectionServicer(deps), SERVICE_NAME, CALLERS
    )


def run() -> None:
    settings = CollectionSettings()
    configure_logging("collection", "grpc", settings.log_level)
    deps = bootstrap.build_grpc(settings)
    serve(settings, [servicer(deps)], readiness=deps.readiness, on_stop=deps.close)
