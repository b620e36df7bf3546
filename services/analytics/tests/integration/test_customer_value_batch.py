"""The batched writes of the analytics worker: the value class of a whole batch of customers (a few
`_id` reads and one bulk write) against the same customers judged one at a time and against the
order lines themselves; facts inserted first against the upserts they stand for."""

from __future__ import annotations

import functools
import random
from datetime import date, timedelta
from typing import Any

import pytest

from analytics.adapters.facts_store import Fact, FactsStore
from analytics.adapters.value_store import ValueStore
from analytics.bootstrap import GrpcDeps
from analytics.domain.value import ValuePolicy, classify, figures
from analytics.usecases import business_facts, customer_value
from analytics.usecases.customer_value import ValueBook
from baifang_common import mongo
from baifang_common.events import OrdersRecorded
from baifang_common.mongo import bulk_write_chunked
from baifang_common.timeutil import today

pytestmark = pytest.mark.integration

POLICY = ValuePolicy(window_months=12, a_min_fen=200_000, b_min_fen=120_000, c_min_fen=50_000, tenure_lift_months=24)
CUSTOMERS = 40


def _lines(rng: random.Random, on: date, scale: int) -> list[dict[str, Any]]:
    """Order lines of CUSTOMERS customers over the last three years, a few dated after `on`."""
    lines = []
    for n in range(CUSTOMERS):
        for line_no in range(rng.randint(0, 6)):
            day = on - timedelta(days=rng.randint(-20, 1100))
            lines.append({"order_id": f"B{n:03d}", "line_no": line_no, "customer_id": f"bc{n:03d}", "manager_id": "m1",
                          "team_id": "t1", "sku": "S1", "quantity": rng.randint(1, 9),
                          "amount_fen": scale * rng.randint(1, 40_000), "order_date": day.isoformat()})  # fmt: skip
    return lines


def _by_lines(deps: GrpcDeps, on: date) -> dict[str, tuple[str, dict[str, Any]]]:
    """What judging each customer from its order lines gives (the facts, one query per customer)."""
    out = {}
    for n in range(CUSTOMERS):
        values = figures(deps.facts.customer_orders(f"bc{n:03d}"), on, POLICY)
        out[f"bc{n:03d}"] = (classify(values, POLICY), values)
    return out


def _stored(book: ValueBook) -> dict[str, Any]:
    return {doc["_id"]: doc for doc in book.store.snapshot()}


def test_a_batch_judges_like_one_customer_at_a_time_and_a_replay_adds_no_history(
    grpc_deps: GrpcDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_value, "CHUNK", 7)  # several rounds of reads and writes per batch
    monkeypatch.setattr(mongo, "READ_CHUNK", 5)
    on = today(grpc_deps.timezone)
    db = grpc_deps.values.store.c.database
    batched = ValueBook(ValueStore(db["customer_values"]), POLICY, grpc_deps.timezone, grpc_deps.order_views)
    single = ValueBook(ValueStore(db["customer_values_single"]), POLICY, grpc_deps.timezone, grpc_deps.order_views)
    apply = functools.partial(business_facts.apply_events, facts=grpc_deps.facts, views=grpc_deps.order_views)
    ids = [f"bc{n:03d}" for n in range(CUSTOMERS)]
    at = "2030-01-01T00:00:0{}+00:00"
    first = OrdersRecorded(import_id="b1", occurred_at=at.format(1), lines=_lines(random.Random(6), on, 1))
    # The re-import restates the same lines with three times the amounts: classes move.
    again = OrdersRecorded(import_id="b2", occurred_at=at.format(2), lines=_lines(random.Random(6), on, 3))

    history_lengths = []
    for event in (first, again):
        apply([event], values=batched)  # the worker's path: one batch, every customer of the import
        for customer_id in ids:
            customer_value.recompute([customer_id], facts=grpc_deps.facts, book=single, on=on)
        expected = _by_lines(grpc_deps, on)
        stored = _stored(batched)
        assert {cid: (doc["value_class"], doc["figures"]) for cid, doc in stored.items()} == {
            cid: expected[cid] for cid in stored
        }
        assert set(stored) == {line["customer_id"] for line in event.lines}
        assert stored == {cid: doc for cid, doc in _stored(single).items() if cid in stored}
        history_lengths.append(sum(len(doc["history"]) for doc in stored.values()))
        before = _stored(batched)
        apply([event, event], values=batched)  # a redelivery: nothing changes, no history
        assert _stored(batched) == before
        assert customer_value.recompute_all(facts=grpc_deps.facts, book=batched, on=on) >= len(before)
        assert {cid: doc for cid, doc in _stored(batched).items() if cid in before} == before
    assert history_lengths[1] > history_lengths[0]  # the re-import changed some classes, and said so


def test_facts_inserted_first_end_as_the_upserts_would(grpc_deps: GrpcDeps) -> None:
    """New documents are inserted, stored ones get the policy's update: the same documents as upserting all."""
    db = grpc_deps.values.store.c.database
    first = [
        Fact("k", "late", {"v": 1}, "latest", "2"), Fact("k", "early", {"v": 1}, "earliest", "5"),
        Fact("k", "once", {"v": 1}, "first"), Fact("k", "visit", {"date": "d", "unplanned.e1": {"t": 1}}, "merge"),
    ]  # fmt: skip
    then = [
        Fact("k", "late", {"v": 2}, "latest", "3"), Fact("k", "early", {"v": 2}, "earliest", "6"),
        Fact("k", "once", {"v": 2}, "first"), Fact("k", "visit", {"unplanned.e2": {"t": 2}, "missed": True}, "merge"),
        Fact("k", "new", {"v": 2}, "latest", "1"),
    ]  # fmt: skip
    older = [Fact("k", "late", {"v": 0}, "latest", "1"), Fact("k", "early", {"v": 0}, "earliest", "4")]
    for facts in (first, then, older, then):
        FactsStore._insert_or_update(db["inserted"], facts)
        bulk_write_chunked(db["upserted"], [fact.update() for fact in facts], duplicates_ok=True)
    inserted = list(db["inserted"].find().sort("_id"))
    assert inserted == list(db["upserted"].find().sort("_id"))
    assert {doc["_id"]: doc.get("v") for doc in inserted} == {"early": 0, "late": 2, "new": 2, "once": 1, "visit": None}
    assert inserted[-1] == {"_id": "visit", "date": "d", "unplanned": {"e1": {"t": 1}, "e2": {"t": 2}}, "missed": True}


def test_a_customer_whose_month_is_being_recomputed_is_judged_from_its_order_lines(grpc_deps: GrpcDeps) -> None:
    """Another batch wrote and counted new lines but has not replaced the month row yet: the row is
    behind its count, so the value reads the lines (which hold the new ones), not the stale row."""
    on = today(grpc_deps.timezone)
    book = ValueBook(grpc_deps.values.store, POLICY, grpc_deps.timezone, grpc_deps.order_views)
    lines = _lines(random.Random(6), on, 1)
    business_facts.apply_events([OrdersRecorded(import_id="b1", lines=lines)], facts=grpc_deps.facts,
                                views=grpc_deps.order_views, values=book)  # fmt: skip
    customer_id = lines[0]["customer_id"]
    late = {**lines[0], "order_id": "LATE", "line_no": 1, "amount_fen": 990_000, "order_date": on.isoformat()}
    ops: business_facts.Ops = []
    keys: set[tuple[str, str]] = set()
    business_facts.orders_recorded(OrdersRecorded(import_id="b2", lines=[late]), ops, keys)
    grpc_deps.facts.write(ops)
    grpc_deps.order_views.touch(keys)  # counted; the month row is not replaced yet
    customer_value.recompute([customer_id], facts=grpc_deps.facts, book=book, on=on)
    judged = book.store.get(customer_id)["figures"]
    assert judged == _by_lines(grpc_deps, on)[customer_id][1] and judged["amount_fen"] >= 990_000
