"""Collection ops of an offline batch (POST /sync) as checkin hands them over: ApplyOfflineOp through the
real collection servicer, the real planning servicer and the real store (docs/domain.md R-1.3.3-a)."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from baifang.collection.v1 import collection_pb2
from baifang_common.testing.calls import caller_md, rpc_error

from .price_support import World

pytestmark = pytest.mark.integration


def apply(world: World, kind: str, payload: dict[str, Any], op_id: str = "", issuer: str = "checkin") -> Any:
    body = struct_pb2.Struct()
    body.update(payload)
    request = collection_pb2.OfflineOpRequest(
        op_id=op_id or str(uuid.uuid4()), type=kind, payload=body, client_ts="2026-11-28T10:00:00+08:00"
    )
    return world.stub.ApplyOfflineOp(request, metadata=caller_md("m001", "manager", "t01", issuer=issuer))


def test_R_1_3_3_a_collection_ops_apply_once_by_op_id_with_the_online_rules(world: World) -> None:
    customer = world.customer()
    visit = world.visit(customer)
    line = {"sku": "SKU001", "pack_price": 4500, "carton_price": 45000, "stock": 3, "purchased": 5}
    first = apply(world, "price_inventory", {"visit_id": visit, "lines": [line]}, op_id="op-pi")
    collected = json_format.ParseDict(
        json_format.MessageToDict(first.result), collection_pb2.SubmitPriceInventoryResponse()
    )
    assert not first.replayed and collected.collection.lines[0].sales == 2
    again = apply(world, "price_inventory", {"visit_id": visit, "lines": [{**line, "stock": 99}]}, op_id="op-pi")
    assert again.replayed and again.result == first.result
    month = world.day[:7]
    agreed = apply(
        world, "agreed_quantity", {"customer_id": customer, "month": month, "lines": [{"sku": "SKU002", "qty": 7}]}
    )
    assert json_format.MessageToDict(agreed.result)["total"] == "7"
    info = apply(world, "terminal_info", {"customer_id": customer, "values": {"terminal_type": "便利店"}})
    assert json_format.MessageToDict(info.result)["latest"]["values_json"] == '{"terminal_type": "便利店"}'

    status, code, details = rpc_error(
        lambda: apply(world, "price_inventory", {"visit_id": visit, "lines": [{**line, "pack_price": 4500.5}]})
    )
    assert (status, code, details["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid_argument",
        "payload.lines.0.pack_price",
    )
    status, code, _ = rpc_error(
        lambda: apply(world, "price_inventory", {"visit_id": visit, "lines": [{**line, "pack_price": 9000}]})
    )
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_price_inventory")
    planned = world.visit(customer, checked_in=False, days_ago=1)
    status, code, _ = rpc_error(lambda: apply(world, "price_inventory", {"visit_id": planned, "lines": [line]}))
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "not_checked_in")


def test_only_checkin_hands_over_offline_ops(world: World) -> None:
    status, _, _ = rpc_error(lambda: apply(world, "agreed_quantity", {}, issuer="gateway"))
    assert status == grpc.StatusCode.PERMISSION_DENIED
