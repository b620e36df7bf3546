"""Special-use reports through the real collection servicer, store and broker (docs/domain.md §1.5.9.2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from baifang.collection.v1 import collection_pb2
from baifang.common.v1 import common_pb2
from baifang_common.testing.calls import caller_md, rpc_error

from .price_support import M001, M002, S01, World

pytestmark = pytest.mark.integration


def _file(world: World, customer: str, op_id: str, who=M001, **fields: Any) -> Any:
    request = collection_pb2.FileSpecialUseReportRequest(
        op=common_pb2.OpMeta(op_id=op_id),
        customer_id=customer,
        consumer_name=fields.get("consumer_name", "张先生"),
        phone="13800000000",
        occasion=fields.get("occasion", "wedding"),
        area="city",
        event_date="2026-12-18",
        lines=[collection_pb2.AgreedLine(sku=sku, qty=10) for sku in fields.get("skus", ["SKU001", "SKU019"])],
    )
    return world.stub.FileSpecialUseReport(request, metadata=caller_md(*who))


def test_P_002_T9_a_report_is_filed_with_its_price_warnings(world: World, event_probe: Callable[..., Any]) -> None:
    probe = event_probe("collection", "special_use.reported")
    customer = world.customer()
    filed = _file(world, customer, "op-1")
    assert (filed.status, [w.sku for w in filed.warnings], filed.replayed) == ("filed", ["SKU019"], False)
    assert _file(world, customer, "op-1").replayed
    listed = world.stub.ListSpecialUseReports(
        collection_pb2.ListSpecialUseReportsRequest(customer_id=customer), metadata=caller_md(*S01)
    )
    assert [r.report_id for r in listed.reports] == [filed.report_id]
    (body,) = probe.wait(1)
    assert (body["occasion"], body["warnings"]) == ("wedding", 1) and "phone" not in body


def test_R_1_5_9_2_refusals(world: World) -> None:
    customer = world.customer()
    status, code, details = rpc_error(lambda: _file(world, customer, "op-1", consumer_name="", occasion="party"))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_special_use_report")
    assert set(details) == {"consumer_name", "occasion"}
    status, _, _ = rpc_error(lambda: _file(world, customer, "op-2", who=M002))
    assert status == grpc.StatusCode.PERMISSION_DENIED
