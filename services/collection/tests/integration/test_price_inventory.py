"""Price & stock collection through the real collection servicer, the real planning servicer as the
visit's source, and the real store and broker (docs/domain.md §1.5.8.1, §3.5 items 1, 2, 7; P-004-15)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest

from baifang_common.testing.calls import rpc_error
from collection.demo import demo_catalogue

from .price_support import ADMIN, M001, M002, S01, S02, World, zhonghua

pytestmark = pytest.mark.integration


def test_R_1_5_8_1_k_form_lists_preset_skus_with_references_and_previous_stock(world: World) -> None:
    customer = world.customer()
    form = world.form(customer)
    assert len(form.lines) == len([s for s in demo_catalogue() if s.active])
    first = next(line for line in form.lines if line.sku.sku == "SKU001")
    assert (first.sku.ref_pack_price_fen, first.sku.ref_carton_price_fen, first.prev_stock, first.first) == (
        4500,
        45000,
        0,
        True,
    )
    world.submit(world.visit(customer, days_ago=1), [zhonghua(stock=12, purchased=20)])
    after = next(line for line in world.form(customer).lines if line.sku.sku == "SKU001")
    assert (after.prev_stock, after.first) == (12, False)


def test_R_1_5_8_1_a_b_f_sales_computed_from_the_previous_collection_of_the_sku(world: World) -> None:
    customer = world.customer()
    first = world.submit(world.visit(customer, days_ago=7), [zhonghua(stock=30, purchased=5)]).collection.lines[0]
    assert (first.prev_stock, first.sales, first.first) == (0, -25, True)  # negative the first time, accepted
    second = world.submit(world.visit(customer), [zhonghua(stock=20, purchased=4)]).collection.lines[0]
    assert (second.prev_stock, second.purchased, second.stock, second.sales) == (30, 4, 20, 14)
    assert second.purchased_source == "entered" and not second.first


def test_R_1_5_8_1_d_g_stock_above_previous_plus_purchases_is_refused_equal_is_not(world: World) -> None:
    customer = world.customer()
    world.submit(world.visit(customer, days_ago=7), [zhonghua(stock=10, purchased=0)])
    visit = world.visit(customer)
    status, code, details = rpc_error(lambda: world.submit(visit, [zhonghua(stock=14, purchased=3)]))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_price_inventory")
    assert [(f["index"], f["field"]) for f in details["lines"]] == [(0, "stock")]
    assert world.submit(visit, [zhonghua(stock=13, purchased=3)]).collection.lines[0].sales == 0


def test_R_1_5_8_1_c_i_every_failing_line_in_one_refusal_nothing_stored(world: World) -> None:
    customer = world.customer()
    visit = world.visit(customer)
    lines = [
        zhonghua(stock=1, purchased=1, pack=5400, carton=36000),  # exactly ±20 %: fine
        {"sku": "SKU002", "pack_price_fen": 7801, "carton_price_fen": 65000, "stock": 1},
        {"sku": "SKU003", "pack_price_fen": 5000, "carton_price_fen": 0, "stock": -1},
        {"sku": "NOPE", "pack_price_fen": 1, "carton_price_fen": 1, "stock": 1},
    ]
    status, code, details = rpc_error(lambda: world.submit(visit, lines))
    assert (status, code) == (grpc.StatusCode.OUT_OF_RANGE, "invalid_price_inventory")
    assert [(f["index"], f["field"]) for f in details["lines"]] == [
        (1, "pack_price"),
        (2, "carton_price"),
        (2, "stock"),
        (3, "sku"),
    ]
    assert list(world.history(customer).collections) == []


def test_R_1_5_8_1_k_op_id_replays_and_a_later_submission_supersedes(
    world: World, event_probe: Callable[..., Any]
) -> None:
    probe = event_probe("collection", "price_inventory.submitted")
    customer = world.customer()
    visit = world.visit(customer)
    first = world.submit(visit, [zhonghua(stock=5, purchased=1)], op_id="op-1")
    replay = world.submit(visit, [zhonghua(stock=999, purchased=1)], op_id="op-1")
    assert replay.replayed and replay.collection == first.collection
    corrected = world.submit(visit, [zhonghua(stock=4, purchased=1)], op_id="op-2")
    assert corrected.collection.lines[0].prev_stock == 0  # the first submission of this visit is not "previous"
    history = world.history(customer, **{"from": world.day, "to": world.day}).collections
    assert [(c.op_id, c.superseded) for c in history] == [("op-2", False), ("op-1", True)]
    bodies = probe.wait(3)  # the replay announces again under the same event id
    assert [b["op_id"] for b in bodies] == ["op-1", "op-1", "op-2"]
    assert bodies[0]["event_id"] == bodies[1]["event_id"] != bodies[2]["event_id"]
    assert bodies[0]["lines"][0]["pack_price_fen"] == 4500 and bodies[0]["customer_id"] == customer


def test_collection_needs_a_checked_in_visit_of_the_caller(world: World) -> None:
    customer = world.customer()
    planned = world.visit(customer, checked_in=False, days_ago=1)
    status, code, _ = rpc_error(lambda: world.submit(planned, [zhonghua(stock=1)]))
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "not_checked_in")
    visit = world.visit(customer)
    for who in (M002, S01):
        status, code, _ = rpc_error(lambda who=who: world.submit(visit, [zhonghua(stock=1)], who=who))
        assert status == grpc.StatusCode.PERMISSION_DENIED, who
    status, code, _ = rpc_error(lambda: world.submit("no-such-visit", [zhonghua(stock=1)]))
    assert status == grpc.StatusCode.NOT_FOUND


def test_P_004_15_supervisor_and_admin_read_others_are_refused(world: World) -> None:
    customer = world.customer()
    world.submit(world.visit(customer), [zhonghua(stock=3, purchased=3)])
    for reader in (M001, S01, ADMIN):
        assert len(world.history(customer, who=reader).collections) == 1
        assert world.form(customer, who=reader).lines
    for stranger in (M002, S02):
        status, _, _ = rpc_error(lambda who=stranger: world.history(customer, who=who))
        assert status == grpc.StatusCode.PERMISSION_DENIED
    status, code, _ = rpc_error(lambda: world.form("no-such-customer"))
    assert (status, code) == (grpc.StatusCode.NOT_FOUND, "customer_not_found")
    status, _, _ = rpc_error(lambda: world.history(customer, **{"from": "yesterday"}))
    assert status == grpc.StatusCode.INVALID_ARGUMENT
