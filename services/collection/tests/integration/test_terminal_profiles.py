"""Terminal resources and information through the real collection servicer, store and broker."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from baifang.collection.v1 import collection_pb2
from baifang.common.v1 import common_pb2
from baifang_common.testing.calls import caller_md, rpc_error

from .price_support import ADMIN, M001, M002, S01, S02, World

pytestmark = pytest.mark.integration


def _save(world: World, customer: str, kind: str, values: dict[str, Any], op_id: str, who=M001) -> Any:
    request = collection_pb2.SaveTerminalProfileRequest(
        op=common_pb2.OpMeta(op_id=op_id), customer_id=customer, kind=kind, values_json=json.dumps(values)
    )
    return world.stub.SaveTerminalProfile(request, metadata=caller_md(*who))


def _get(world: World, customer: str, kind: str, who=M001) -> Any:
    request = collection_pb2.GetTerminalProfileRequest(customer_id=customer, kind=kind)
    return world.stub.GetTerminalProfile(request, metadata=caller_md(*who))


def test_R_1_5_8_3_a_every_save_is_a_version_and_the_latest_prefills(world: World) -> None:
    customer = world.customer()
    empty = _get(world, customer, "terminal_resources")
    assert not empty.HasField("latest") and [i.code for i in empty.items][:2] == ["shop_area", "counter_length"]
    first = _save(world, customer, "terminal_resources", {"shop_area": 30, "lightbox": True}, "op-1")
    assert (first.latest.version, first.replayed) == (1, False)
    replay = _save(world, customer, "terminal_resources", {"shop_area": 99}, "op-1")
    assert replay.replayed and replay.latest == first.latest
    _save(world, customer, "terminal_resources", {"shop_area": 32.5, "lightbox": False}, "op-2")
    profile = _get(world, customer, "terminal_resources", who=S01)
    assert json.loads(profile.latest.values_json) == {"shop_area": 32.5, "lightbox": False}
    assert [v.version for v in profile.history] == [2, 1] and profile.latest.saved_by == "m001"
    status, code, details = rpc_error(
        lambda: _save(world, customer, "terminal_resources", {"shop_area": "big"}, "op-3")
    )
    assert (status, code, list(details["fields"])) == (
        grpc.StatusCode.OUT_OF_RANGE,
        "invalid_terminal_values",
        ["shop_area"],
    )


def test_R_1_5_8_4_a_terminal_info_announces_its_card_fields(world: World, event_probe: Callable[..., Any]) -> None:
    probe = event_probe("collection", "terminal_info.updated")
    customer = world.customer()
    saved = _save(world, customer, "terminal_info", {"terminal_type": "超市", "opening_hours": "8-22"}, "op-1")
    assert saved.latest.version == 1
    (body,) = probe.wait(1)
    assert body["card_fields"] == {"terminal_type": "超市"} and body["customer_id"] == customer
    assert body["values"]["opening_hours"] == "8-22"


def test_P_004_15_only_the_manager_saves_admins_configure_items(world: World) -> None:
    customer = world.customer()
    for who in (M002, S01, ADMIN):
        status, _, _ = rpc_error(lambda who=who: _save(world, customer, "terminal_info", {}, "op", who=who))
        assert status == grpc.StatusCode.PERMISSION_DENIED
    status, _, _ = rpc_error(lambda: _get(world, customer, "terminal_info", who=S02))
    assert status == grpc.StatusCode.PERMISSION_DENIED
    status, _, _ = rpc_error(lambda: _get(world, customer, "shop_sign"))
    assert status == grpc.StatusCode.INVALID_ARGUMENT

    items = [collection_pb2.TerminalItem(code="shelf_count", label="货架数", type="number")]
    request = collection_pb2.SetTerminalItemsRequest(kind="terminal_resources", items=items)
    status, _, _ = rpc_error(lambda: world.stub.SetTerminalItems(request, metadata=caller_md(*M001)))
    assert status == grpc.StatusCode.PERMISSION_DENIED
    world.stub.SetTerminalItems(request, metadata=caller_md(*ADMIN))
    assert [i.code for i in _get(world, customer, "terminal_resources").items] == ["shelf_count"]
    assert _save(world, customer, "terminal_resources", {"shelf_count": 3}, "op-9").latest.version == 1
