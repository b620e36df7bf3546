"""Shelving facts through the real collection servicer and planning (P-002-T3, §3.5 item 7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from baifang.collection.v1 import collection_pb2
from baifang.common.v1 import common_pb2
from baifang_common.testing.calls import caller_md, rpc_error

from .price_support import M001, S01, World

pytestmark = pytest.mark.integration


def _record(world: World, visit_id: str, facts: dict[str, bool], op_id: str) -> Any:
    request = collection_pb2.RecordShelvingRequest(
        op=common_pb2.OpMeta(op_id=op_id),
        visit_id=visit_id,
        facts=[collection_pb2.ShelvingFact(brand=b, shelved=s) for b, s in facts.items()],
    )
    return world.stub.RecordShelving(request, metadata=caller_md(*M001))


def test_P_002_T3_shelved_yes_no_per_brand_at_a_checked_in_visit(world: World, event_probe: Callable[..., Any]) -> None:
    probe = event_probe("collection", "shelving.recorded")
    customer = world.customer()
    planned = world.visit(customer, checked_in=False, days_ago=1)
    status, code, _ = rpc_error(lambda: _record(world, planned, {"黄山": True}, "op-0"))
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "not_checked_in")
    visit = world.visit(customer)
    recorded = _record(world, visit, {"黄山": True, "中华": False}, "op-1")
    assert not recorded.replayed and _record(world, visit, {"黄山": False}, "op-1").replayed
    state = world.stub.GetShelving(collection_pb2.GetShelvingRequest(customer_id=customer), metadata=caller_md(*S01))
    assert {(f.brand, f.shelved) for f in state.facts} == {("黄山", True), ("中华", False)}
    (body,) = probe.wait(1)
    assert body["facts"][0] == {"brand": "黄山", "shelved": True}
