"""Brand promotions through the real collection servicer, store and broker (docs/domain.md §1.5.10, P-002-T4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import grpc
import pytest

from baifang.collection.v1 import collection_pb2
from baifang.common.v1 import common_pb2
from baifang_common.testing.calls import caller_md, rpc_error

from .price_support import ADMIN, M001, M002, World

pytestmark = pytest.mark.integration


def _promotion(world: World, promotion_id: str, days_from: int, days_to: int) -> collection_pb2.Promotion:
    day = date.fromisoformat(world.day)
    return collection_pb2.Promotion(
        promotion_id=promotion_id,
        title="黄山(天都)新品推介",
        skus=["SKU008"],
        content="卖点、销售策略与营销要求",
        valid_from=(day + timedelta(days=days_from)).isoformat(),
        valid_to=(day + timedelta(days=days_to)).isoformat(),
        active=True,
    )


def test_P_002_T4_current_promotions_and_the_customers_feedback(world: World, event_probe: Callable[..., Any]) -> None:
    probe = event_probe("collection", "promotion.feedback_recorded")
    current, expired = _promotion(world, "p-now", -3, 3), _promotion(world, "p-old", -30, -1)
    status, _, _ = rpc_error(lambda: world.stub.SavePromotion(current, metadata=caller_md(*M001)))
    assert status == grpc.StatusCode.PERMISSION_DENIED
    for p in (current, expired):
        world.stub.SavePromotion(p, metadata=caller_md(*ADMIN))
    listed = world.stub.ListPromotions(collection_pb2.ListPromotionsRequest(), metadata=caller_md(*M001))
    assert [p.promotion_id for p in listed.promotions] == ["p-now"]

    customer = world.customer()
    request = collection_pb2.RecordPromotionFeedbackRequest(
        op=common_pb2.OpMeta(op_id="op-1"),
        promotion_id="p-now",
        customer_id=customer,
        feedback="愿意试销",
        intent="high",
        intended_qty=10,
    )
    recorded = world.stub.RecordPromotionFeedback(request, metadata=caller_md(*M001))
    assert (recorded.intent, recorded.replayed) == ("high", False)
    assert world.stub.RecordPromotionFeedback(request, metadata=caller_md(*M001)).replayed
    status, _, _ = rpc_error(lambda: world.stub.RecordPromotionFeedback(request, metadata=caller_md(*M002)))
    assert status == grpc.StatusCode.PERMISSION_DENIED
    (body,) = probe.wait(1)
    assert (body["promotion_id"], body["intended_qty"]) == ("p-now", 10)
