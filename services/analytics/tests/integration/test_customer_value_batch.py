"""The batched writes of the analytics worker: the value class of a whole batch of customers (a few
`_id` reads and one bulk write) against the same customers judged one at a time and against the
order lines themselves; facts inserted first against the upserts they stand for. The history of
classes: hand-computed across months, and the worker's (events shuffled and replayed) equal to a
rebuild from the stored facts."""

from __future__ import annotations

import functools
import random
from datetime import date, timedelta
from typing import Any

import pytest

from analytics.adapters.facts_store import Fact, FactsStore
from analytics.adapters.value_store import ValueStore
from analytics.bootstrap import GrpcDeps
from analytics.domain.business import months_back
from analytics.domain.value import ValuePolicy, classify, figures, history
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


def _by_lines(deps: GrpcDeps, on: date) -> dict[str, tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """What judging each customer from its order lines gives (the facts, one query per customer)."""
    out = {}
    for n in range(CUSTOMERS):
        lines = deps.facts.customer_orders(f"bc{n:03d}")
        values = figures(lines, on, POLICY)
        out[f"bc{n:03d}"] = (classify(values, POLICY), values, history(lines, on, POLICY))
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

    for event in (first, again):
        apply([event], values=batched)  # the worker's path: one batch, every customer of the import
        for customer_id in ids:
            customer_value.recompute([customer_id], facts=grpc_deps.facts, book=single, on=on)
        expected = _by_lines(grpc_deps, on)
        stored = _stored(batched)
        assert {cid: (doc["value_class"], doc["figures"], doc["history"]) for cid, doc in stored.items()} == {
            cid: expected[cid] for cid in stored
        }
        assert set(stored) == {line["customer_id"] for line in event.lines}
        assert stored == {cid: doc for cid, doc in _stored(single).items() if cid in stored}
        before = _stored(batched)
        apply([event, event], values=batched)  # a redelivery: nothing changes, no history
        assert _stored(batched) == before
        assert customer_value.recompute_all(facts=grpc_deps.facts, book=batched, on=on) >= len(before)
        assert {cid: doc for cid, doc in _stored(batched).items() if cid in before} == before


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


def _month_end(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return (date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)).isoformat()


def _history_orders(on: date) -> tuple[list[OrdersRecorded], dict[str, list[tuple[str, str, int, int]]]]:
    """Thresholds of POLICY (C ≥ 50,000, B ≥ 120,000, A ≥ 200,000 fen over 12 months; 24 months lift).

    h1: 60,000 on the 1st five months ago, 70,000 on the 10th three months ago, 80,000 on the 5th last
    month; a later import corrects the line of three months ago to 10,000. Month ends: −5 C (60,000),
    −4 C, −3 C (70,000), −2 C, −1 B (150,000); today B (150,000, tenure 5 or 4): history C, B.
    h2: 60,000 thirty months ago (C, tenure 0: no lift), nothing since until 60,000 last month: the
    window empties at the end of month −18 (D); at −1 C with 29 months of tenure lifted to B.
    h3: a first order this month, 20,000: D judged today only.
    """
    month = months_back(on.isoformat()[:7], 31)  # month[-1 - n] is n months back

    def line(oid: str, cid: str, back: int, day: int, amount: int) -> dict[str, Any]:
        return {"order_id": oid, "line_no": 1, "customer_id": cid, "manager_id": "m1", "team_id": "t1", "sku": "S1",
                "quantity": 1, "amount_fen": amount, "order_date": f"{month[-1 - back]}-{day:02d}"}  # fmt: skip

    first = OrdersRecorded(import_id="h1", occurred_at="2030-01-01T00:00:01+00:00", lines=[
        line("H1", "h1", 5, 1, 60000), line("H2", "h1", 3, 10, 70000), line("H3", "h1", 1, 5, 80000),
        line("H4", "h2", 30, 1, 60000), line("H5", "h2", 1, 1, 60000), line("H6", "h3", 0, 1, 20000),
    ])  # fmt: skip
    correction = OrdersRecorded(
        import_id="h2", occurred_at="2030-01-01T00:00:09+00:00", lines=[line("H2", "h1", 3, 10, 10000)]
    )
    expected = {
        "h1": [("C", _month_end(month[-6]), 60000, 0), ("B", _month_end(month[-2]), 150000, 4)],
        "h2": [("C", _month_end(month[-31]), 60000, 0), ("D", _month_end(month[-19]), 0, 12),
               ("B", _month_end(month[-2]), 60000, 29)],
        "h3": [("D", on.isoformat(), 20000, 0)],
    }  # fmt: skip
    return [first, correction], expected


@pytest.mark.parametrize("seed", [1, 2])
def test_the_history_is_the_class_at_each_months_end_and_a_rebuild_gives_the_workers(
    grpc_deps: GrpcDeps, apply_shuffled: Any, seed: int
) -> None:
    """Events shuffled, replayed and batched at random (the worker's path, value classes included): the
    hand-computed history; forgetting every class and judging again from the facts gives the same documents."""
    on = today(grpc_deps.timezone)
    book = ValueBook(grpc_deps.values.store, POLICY, grpc_deps.timezone, grpc_deps.order_views)
    events, expected = _history_orders(on)
    apply_shuffled(events, seed=seed, max_batch=2, values=book)
    stored = _stored(book)
    assert {cid: [(h["value_class"], h["since"], h["amount_fen"], h["tenure_months"]) for h in doc["history"]]
            for cid, doc in stored.items()} == expected  # fmt: skip
    assert {cid: doc["value_class"] for cid, doc in stored.items()} == {"h1": "B", "h2": "B", "h3": "D"}
    assert stored["h1"]["figures"]["amount_fen"] == 150000
    assert customer_value.rebuild(facts=grpc_deps.facts, book=book, on=on) == 3
    assert _stored(book) == stored


def test_the_daily_run_judges_every_customer_once_a_day_as_the_window_moves(grpc_deps: GrpcDeps) -> None:
    on = today(grpc_deps.timezone)
    db = grpc_deps.values.store.c.database
    book = ValueBook(ValueStore(db["customer_values"]), POLICY, grpc_deps.timezone, grpc_deps.order_views)
    ordered = (on - timedelta(days=300)).isoformat()  # inside the 12-month window today, outside it in 100 days
    line = {"order_id": "D1", "line_no": 0, "customer_id": "dc1", "manager_id": "m1", "team_id": "t1", "sku": "S1",
            "quantity": 5, "amount_fen": 300_000, "order_date": ordered}  # fmt: skip
    business_facts.apply_events(
        [OrdersRecorded(import_id="d1", occurred_at="2030-01-01T00:00:00+00:00", lines=[line])],
        facts=grpc_deps.facts, views=grpc_deps.order_views, values=book,
    )  # fmt: skip
    assert _stored(book)["dc1"]["value_class"] == "A"

    assert customer_value.judge_the_day(facts=grpc_deps.facts, book=book, on=on) == 1
    assert customer_value.judge_the_day(facts=grpc_deps.facts, book=book, on=on) == 0  # the day's run is done
    assert _stored(book)["dc1"]["value_class"] == "A"

    later = on + timedelta(days=100)
    assert customer_value.judge_the_day(facts=grpc_deps.facts, book=book, on=later) == 1
    stored = _stored(book)["dc1"]
    assert (stored["value_class"], stored["computed_on"]) == ("D", later.isoformat())
    assert stored["history"] == history(grpc_deps.facts.customer_orders("dc1"), later, POLICY)
    assert [entry["value_class"] for entry in stored["history"]][-1] == "D"
    # A replica finishing an older day's run late does not move the record of the last run back.
    book.store.note_everyone_judged(on.isoformat())
    assert customer_value.judge_the_day(facts=grpc_deps.facts, book=book, on=later) == 0
