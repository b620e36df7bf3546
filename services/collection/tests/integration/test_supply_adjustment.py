"""Supply adjustments through the real collection servicer, store and broker (docs/domain.md §1.5.9.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from baifang.collection.v1 import collection_pb2
from baifang.common.v1 import common_pb2
from baifang_common.testing.calls import caller_md, rpc_error

from .price_support import M001, M002, S01, S02, World

pytestmark = pytest.mark.integration


def _request(world: World, customer: str, lines: dict[str, int], op_id: str, reason: str = "婚宴用烟") -> Any:
    request = collection_pb2.RequestSupplyAdjustmentRequest(
        op=common_pb2.OpMeta(op_id=op_id),
        customer_id=customer,
        month=world.day[:7],
        lines=[collection_pb2.AgreedLine(sku=sku, qty=qty) for sku, qty in lines.items()],
        reason=reason,
    )
    return world.stub.RequestSupplyAdjustment(request, metadata=caller_md(*M001))


def _act(world: World, adjustment_id: str, action: str, who) -> Any:
    request = collection_pb2.ActOnSupplyAdjustmentRequest(adjustment_id=adjustment_id, action=action)
    return world.stub.ActOnSupplyAdjustment(request, metadata=caller_md(*who))


def _effective(world: World, customer: str) -> dict[str, int]:
    request = collection_pb2.GetAgreedQuantityRequest(customer_id=customer, month=world.day[:7])
    answer = world.stub.GetEffectiveQuantities(request, metadata=caller_md(*M001))
    return {line.sku: line.qty for line in answer.lines}


def _agree(world: World, customer: str) -> None:
    request = collection_pb2.SubmitAgreedQuantityRequest(
        op=common_pb2.OpMeta(op_id="agree"),
        customer_id=customer,
        month=world.day[:7],
        lines=[collection_pb2.AgreedLine(sku="SKU001", qty=20)],
    )
    world.stub.SubmitAgreedQuantity(request, metadata=caller_md(*M001))


def test_R_1_5_9_1_b_c_d_approved_increases_count_and_decisions_are_final(
    world: World, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("collection", "supply_adjustment.approved")
    customer = world.customer()
    _agree(world, customer)
    first = _request(world, customer, {"SKU001": 5, "SKU002": 2}, "op-1")
    assert first.status == "pending" and _request(world, customer, {"SKU001": 9}, "op-1") == first
    second = _request(world, customer, {"SKU001": 100}, "op-2")
    inbox = world.stub.ListSupplyAdjustments(
        collection_pb2.ListSupplyAdjustmentsRequest(status="pending"), metadata=caller_md(*S01)
    )
    assert [a.adjustment_id for a in inbox.adjustments] == [first.adjustment_id, second.adjustment_id]
    assert _effective(world, customer) == {"SKU001": 20}  # pending changes nothing

    for who in (M001, M002, S02):
        status, _, _ = rpc_error(lambda who=who: _act(world, first.adjustment_id, "approve", who))
        assert status == grpc.StatusCode.PERMISSION_DENIED
    approved = _act(world, first.adjustment_id, "approve", S01)
    assert (approved.status, approved.decided_by) == ("approved", "s01")
    assert _act(world, first.adjustment_id, "approve", S01) == approved  # repeating the decision answers it
    status, code, _ = rpc_error(lambda: _act(world, first.adjustment_id, "reject", S01))
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "already_decided")
    assert _act(world, second.adjustment_id, "reject", S01).status == "rejected"
    assert _effective(world, customer) == {"SKU001": 25, "SKU002": 2}
    (body,) = probe.wait(1)[:1]
    assert body["adjustment_id"] == first.adjustment_id and body["lines"][0] == {"sku": "SKU001", "qty": 5}


def test_R_1_5_9_1_a_e_increases_with_a_reason_on_an_agreed_month(world: World) -> None:
    customer = world.customer()
    status, code, _ = rpc_error(lambda: _request(world, customer, {"SKU001": 5}, "op-0"))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "agreed_quantity_missing")
    _agree(world, customer)
    status, code, details = rpc_error(lambda: _request(world, customer, {"SKU001": -5}, "op-1", reason=""))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_supply_adjustment")
    assert details["lines"][0]["field"] == "extra_qty" and "reason" in details
    pending = _request(world, customer, {"SKU001": 5}, "op-2")
    assert _act(world, pending.adjustment_id, "withdraw", M001).status == "withdrawn"
