"""Order import (docs/domain.md §1.8) and the purchases it prefills (R-1.5.8.1-h), through the real
collection servicer, store and broker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import grpc
import pytest

from baifang_common.testing.calls import rpc_error
from baifang_common.testing.plugin import unique
from collection.usecases.ownership import record_customer_codes

from .price_support import M001, World, order, upserted, zhonghua

pytestmark = pytest.mark.integration


def _day(world: World, days_ago: int) -> str:
    return (date.fromisoformat(world.day) - timedelta(days=days_ago)).isoformat()


def test_order_import_reports_rows_and_a_repeat_is_unchanged(world: World, event_probe: Callable[..., Any]) -> None:
    probe = event_probe("collection", "orders.recorded")
    customer, order_id = world.customer(), unique("o")
    lines = [
        order(customer, order_id, 3, _day(world, 2)),
        order(customer, order_id, 2, _day(world, 2), sku="SKU002", line_no=2),
        order(customer, order_id, 0, _day(world, 2), line_no=3),  # no cartons
        order(customer, order_id, 1, "2026-13-01", sku="NOPE", line_no=4),
        order(customer, order_id, 5, _day(world, 2), line_no=2),  # same key twice
    ]
    first = world.import_orders(lines)
    assert (first.applied, first.unchanged) == (2, 0)
    assert sorted((p.index, p.field) for p in first.rejected) == [
        (2, "quantity"),
        (3, "order_date"),
        (3, "sku"),
        (4, "line_no"),
    ]
    again = world.import_orders(lines[:2])
    assert (again.applied, again.unchanged, list(again.rejected)) == (0, 2, [])
    changed = world.import_orders([{**lines[0], "quantity": 4, "amount_fen": 180000}])
    assert (changed.applied, changed.unchanged) == (1, 0)
    bodies = probe.wait(3)
    assert bodies[0]["event_id"] == bodies[1]["event_id"]  # the repeat republishes the same event
    assert bodies[0]["import_id"] == bodies[1]["import_id"] != bodies[2]["import_id"]
    assert [(x["sku"], x["quantity"], x["manager_id"], x["team_id"]) for x in bodies[0]["lines"]] == [
        ("SKU001", 3, "m001", "t01"),
        ("SKU002", 2, "m001", "t01"),
    ]


def test_order_import_is_for_admins(world: World) -> None:
    status, code, _ = rpc_error(lambda: world.import_orders([order(world.customer(), "o1", 1, world.day)], who=M001))
    assert (status, code) == (grpc.StatusCode.PERMISSION_DENIED, "forbidden")


def test_R_1_5_8_1_h_purchases_prefilled_from_orders_since_the_last_collection(world: World) -> None:
    customer = world.customer()
    world.import_orders(
        [
            order(customer, unique("o"), 4, _day(world, 20)),
            order(customer, unique("o"), 6, _day(world, 10)),  # the day of the collection below: counted in it
            order(customer, unique("o"), 7, _day(world, 3)),
            order(customer, unique("o"), 9, _day(world, -2)),  # dated after today: not yet
        ]
    )
    form = {line.sku.sku: line for line in world.form(customer).lines}
    assert (form["SKU001"].purchased, form["SKU002"].purchased) == (17, 0)  # never collected: every order so far
    earlier = world.submit(world.visit(customer, days_ago=10), [zhonghua(stock=2)]).collection.lines[0]
    assert (earlier.purchased, earlier.purchased_source) == (10, "orders")
    form = {line.sku.sku: line for line in world.form(customer).lines}
    assert (form["SKU001"].prev_stock, form["SKU001"].purchased) == (2, 7)
    line = world.submit(world.visit(customer), [zhonghua(stock=5)]).collection.lines[0]
    assert (line.prev_stock, line.purchased, line.purchased_source, line.sales) == (2, 7, "orders", 4)
    overridden = world.submit(world.visit(customer, days_ago=-1), [zhonghua(stock=5, purchased=0)])
    assert overridden.collection.lines[0].purchased_source == "entered"


def test_order_lines_may_name_the_outlet_by_its_code(world: World) -> None:
    customer = world.customer()
    record_customer_codes([upserted(customer, "C" + customer)], codes=world.collection.codes)
    by_code = {**order("", unique("o"), 2, world.day), "customer_code": "C" + customer}
    unknown = {**order("", unique("o"), 2, world.day), "customer_code": "C-nobody"}
    report = world.import_orders([by_code, unknown])
    assert report.applied == 1
    assert [(p.index, p.field, p.reason) for p in report.rejected] == [
        (1, "customer", "unknown customer code C-nobody")
    ]
    assert {line.sku.sku: line.purchased for line in world.form(customer).lines}["SKU001"] == 2
