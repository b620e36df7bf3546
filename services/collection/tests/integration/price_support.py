"""A small world for the price & stock tests: the real planning servicer with a manager's visits,
the collection servicer in front of it, the demo catalogue, and the ownership cache fed through
its own use case (as planning's `customer.assigned` would)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from baifang.collection.v1 import collection_pb2, collection_pb2_grpc
from baifang.common.v1 import common_pb2
from baifang_common.events import CustomerAssigned, CustomerUpserted
from baifang_common.testing.calls import caller_md
from baifang_common.testing.plugin import unique
from collection.bootstrap import GrpcDeps
from collection.usecases.ownership import record_customer_assignment
from planning.bootstrap import GrpcDeps as PlanningDeps
from planning.domain.model import Customer, Visit

M001 = ("m001", "manager", "t01")
M002 = ("m002", "manager", "t01")
S01 = ("s01", "supervisor", "t01")
S02 = ("s02", "supervisor", "t02")
ADMIN = ("admin", "admin", "")


@dataclass
class World:
    planning: PlanningDeps
    collection: GrpcDeps
    stub: collection_pb2_grpc.CollectionServiceStub
    day: str

    def customer(self, manager_id: str = "m001", team_id: str = "t01") -> str:
        customer_id = unique("cu")
        self.planning.customers.upsert_many(
            [
                Customer(
                    id=customer_id, code="C" + customer_id, name="王记便利店", manager_id=manager_id, team_id=team_id
                )
            ]
        )
        assigned = CustomerAssigned(customer_id=customer_id, manager_id=manager_id, team_id=team_id)
        record_customer_assignment(assigned, owners=self.collection.owners, timezone="Asia/Shanghai")
        return customer_id

    def visit(self, customer_id: str, manager_id: str = "m001", checked_in: bool = True, days_ago: int = 0) -> str:
        """A visit of that day (one visit per customer and day, as planning keeps them)."""
        visit_id = unique("v")
        day = (date.fromisoformat(self.day) - timedelta(days=days_ago)).isoformat()
        self.planning.visits.insert_many(
            [Visit(id=visit_id, manager_id=manager_id, team_id="t01", date=day, customer_id=customer_id)]
        )
        if checked_in:
            assert self.planning.visits.mark_checked_in(visit_id, unique("ck"), datetime.now(UTC))
        return visit_id

    def submit(
        self, visit_id: str, lines: list[dict[str, Any]], who=M001, op_id: str | None = None, photo_ids: Any = ()
    ) -> Any:
        request = collection_pb2.SubmitPriceInventoryRequest(
            op=common_pb2.OpMeta(op_id=op_id or str(uuid.uuid4()), client_ts="2026-11-28T10:00:00+08:00"),
            visit_id=visit_id,
            lines=[collection_pb2.PriceLineInput(**line) for line in lines],
            photo_ids=list(photo_ids),
        )
        return self.stub.SubmitPriceInventory(request, metadata=caller_md(*who))

    def form(self, customer_id: str, who=M001) -> Any:
        request = collection_pb2.GetPriceInventoryFormRequest(customer_id=customer_id)
        return self.stub.GetPriceInventoryForm(request, metadata=caller_md(*who))

    def import_orders(self, lines: list[dict[str, Any]], who=ADMIN) -> Any:
        request = collection_pb2.ImportOrdersRequest(lines=[collection_pb2.OrderLine(**line) for line in lines])
        return self.stub.ImportOrders(request, metadata=caller_md(*who))

    def history(self, customer_id: str, who=M001, **dates: str) -> Any:
        request = collection_pb2.ListPriceInventoryRequest(customer_id=customer_id, **dates)
        return self.stub.ListPriceInventory(request, metadata=caller_md(*who))


def zhonghua(stock: int, purchased: int | None = None, pack: int = 4500, carton: int = 45000) -> dict[str, Any]:
    line: dict[str, Any] = {"sku": "SKU001", "pack_price_fen": pack, "carton_price_fen": carton, "stock": stock}
    if purchased is not None:
        line["purchased"] = purchased
    return line


def order(
    customer_id: str, order_id: str, quantity: int, day: str, sku: str = "SKU001", line_no: int = 1
) -> dict[str, Any]:
    """An order line of `quantity` cartons at the demo reference carton price of 中华(硬)."""
    return {
        "order_id": order_id,
        "line_no": line_no,
        "customer_id": customer_id,
        "sku": sku,
        "quantity": quantity,
        "amount_fen": quantity * 45000,
        "order_date": day,
    }


def upserted(customer_id: str, code: str) -> CustomerUpserted:
    """planning's `customer.upserted` of an outlet with that code (other fields blank)."""
    fields: dict[str, Any] = dict.fromkeys(
        ("short_code", "name", "licence_no", "address", "terminal_type", "credit_grade", "value_class"), ""
    )
    fields.update(order_type="", settlement_method="", location={"lat": 31.8, "lon": 117.2}, star=3)
    return CustomerUpserted(customer_id=customer_id, code=code, **fields)
