"""Agreed quantities through the real collection servicer, store and broker (docs/domain.md §1.5.8.2, §3.5 item 8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import grpc
import pytest

from baifang.collection.v1 import collection_pb2
from baifang.common.v1 import common_pb2
from baifang_common.testing.calls import caller_md, rpc_error

from .price_support import M002, S01, S02, World

pytestmark = pytest.mark.integration


def _submit(world: World, customer: str, month: str, lines: dict[str, int], op_id: str, who=("m001", "manager", "t01")):
    request = collection_pb2.SubmitAgreedQuantityRequest(
        op=common_pb2.OpMeta(op_id=op_id),
        customer_id=customer,
        month=month,
        lines=[collection_pb2.AgreedLine(sku=sku, qty=qty) for sku, qty in lines.items()],
    )
    return world.stub.SubmitAgreedQuantity(request, metadata=caller_md(*who))


def _get(world: World, customer: str, month: str = "", who=("m001", "manager", "t01")):
    request = collection_pb2.GetAgreedQuantityRequest(customer_id=customer, month=month)
    return world.stub.GetAgreedQuantity(request, metadata=caller_md(*who))


def _month(world: World, shift: int = 0) -> str:
    day = date.fromisoformat(world.day)
    index = day.year * 12 + day.month - 1 + shift
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_R_1_5_8_2_a_b_submitted_once_with_its_total_then_immutable(
    world: World, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("collection", "agreed_quantity.submitted")
    customer = world.customer()
    month = _month(world)
    assert (_get(world, customer).status, _get(world, customer).month) == ("none", month)
    first = _submit(world, customer, month, {"SKU001": 20, "SKU005": 30}, "op-1")
    assert (first.status, first.total, first.replayed) == ("submitted", 50, False)
    replay = _submit(world, customer, month, {"SKU001": 99}, "op-1")
    assert replay.replayed and (replay.total, list(replay.lines)) == (50, list(first.lines))
    status, code, _ = rpc_error(lambda: _submit(world, customer, month, {"SKU001": 21}, "op-2"))
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "immutable")
    assert _get(world, customer, month, who=S01).total == 50
    bodies = probe.wait(2)
    assert bodies[0]["total"] == 50 and bodies[0]["event_id"] == bodies[1]["event_id"]


def test_R_1_5_8_2_c_past_and_next_months_are_refused(world: World) -> None:
    customer = world.customer()
    for month in (_month(world, -1), _month(world, 1)):
        status, code, _ = rpc_error(lambda month=month: _submit(world, customer, month, {"SKU001": 1}, month))
        assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "month_not_current")
    status, code, details = rpc_error(lambda: _submit(world, customer, _month(world), {"SKU001": 0}, "op"))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_agreed_quantity")
    assert details["lines"][0]["field"] == "qty"
    assert _get(world, customer).status == "none"


def test_P_004_15_only_the_customers_manager_submits_the_team_reads(world: World) -> None:
    customer = world.customer()
    month = _month(world)
    for who in (M002, S01):
        status, _, _ = rpc_error(lambda who=who: _submit(world, customer, month, {"SKU001": 1}, "op", who=who))
        assert status == grpc.StatusCode.PERMISSION_DENIED
    status, _, _ = rpc_error(lambda: _get(world, customer, who=S02))
    assert status == grpc.StatusCode.PERMISSION_DENIED
