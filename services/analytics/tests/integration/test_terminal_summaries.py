"""The per-owner terminal summaries (usecases/terminal_views.py) give the terminal analyses the same
answers as reading every outlet: a random data set of outlets, terminal versions, activities and
reassignments, fed shuffled with replays in random batches, is checked against the analyses computed
from the outlets' facts directly (`from_outlets_*` below, the reading the summaries replace), for
every scope, grouping attribute and window; then after a change of the evaluation standard, and
against a rebuild from the facts.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from analytics.bootstrap import GrpcDeps, business_views
from analytics.domain import terminal_analysis as ta
from analytics.domain import terminal_standard as std
from analytics.domain.business import months_back, scope_for
from analytics.usecases import business_facts, scan_views, terminal_views, terminals
from analytics.usecases.orders import ViewQuery
from analytics.usecases.terminal_analysis import TerminalQuery
from analytics.usecases.terminals import CARD_ATTRIBUTES, current_standard
from baifang_common.context import Caller
from baifang_common.events import (
    CustomerAssigned,
    CustomerUpserted,
    Event,
    OrdersRecorded,
    PriceInventorySubmitted,
    ScanBatchAccepted,
    TerminalInfoUpdated,
    TerminalResourcesCollected,
    VisitCompleted,
)
from baifang_common.timeutil import today

pytestmark = pytest.mark.integration

ADMIN = Caller("admin", "admin")
CALLERS = (ADMIN, Caller("s1", "supervisor", "t1"), Caller("s2", "supervisor", "t2"), Caller("m1", "manager", "t1"),
           Caller("m2", "manager", "t1"), Caller("m3", "manager", "t2"))  # fmt: skip
OWNERS = (("m1", "t1"), ("m2", "t1"), ("m3", "t2"))
BY = ("terminal_type", "area_id", "store_tier", "association_member", "quality_terminal", "functional_terminal")
Views = dict[str, Callable[[ViewQuery], dict[str, Any]]]


# --- the analyses computed from every outlet's facts (what the views read before the summaries) ---


def _scope_outlets(query: ViewQuery, deps: GrpcDeps, attribute: str, values: dict[str, dict[str, Any]]) -> Any:
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    ids = sorted(o.customer_id for o in deps.facts.owned(scope.manager_id, scope.team_id))
    cards = {d["_id"]: d for d in deps.facts.cards(ids, [attribute])} if attribute in CARD_ATTRIBUTES else values
    groups = {cid: _key(cards.get(cid, {}).get(attribute)) for cid in ids}
    return ids, groups


def _key(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def from_outlets_functional(query: TerminalQuery, deps: GrpcDeps) -> dict[str, Any]:
    attribute, window = query.by or "terminal_type", ta.last_days(today(deps.timezone), query.days or 30)
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    values = deps.facts.terminals(sorted(o.customer_id for o in deps.facts.owned(scope.manager_id, scope.team_id)))
    ids, groups = _scope_outlets(query, deps, attribute, values)
    latest = deps.facts.last_activity(ids)
    active = {a: {c for c, d in latest.items() if str(d.get(a) or "") >= window[0]} for a in ta.ACTIVITIES}
    anything = set().union(*active.values())
    holders = {code: [c for c in ids if ta.has_function(values.get(c, {}), item)] for code, _, item in ta.FUNCTIONS}
    functions = [
        {"code": code, "label": label, "item": item, "outlets": len(holders[code]),
         "coverage_pct": ta.share_pct(len(holders[code]), len(ids)),
         **{a: sum(1 for c in holders[code] if c in active[a]) for a in ta.ACTIVITIES},
         "active": (busy := sum(1 for c in holders[code] if c in anything)),
         "active_pct": ta.share_pct(busy, len(holders[code]))}
        for code, label, item in ta.FUNCTIONS
    ]  # fmt: skip
    members: dict[str | None, list[str]] = defaultdict(list)
    for cid in ids:
        members[groups[cid]].append(cid)
    items = [
        {"value": value, "outlets": len(group), "functions": [
            {"code": code, "outlets": len(have := [c for c in holders[code] if c in group]),
             "coverage_pct": ta.share_pct(len(have), len(group)), "active": sum(1 for c in have if c in anything)}
            for code, _, _ in ta.FUNCTIONS]}
        for value, group in sorted(members.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))
    ]  # fmt: skip
    return {"days": query.days or 30, "since": window[0], "until": window[-1], "by": attribute, "outlets": len(ids),
            "functions": functions, "items": items}  # fmt: skip


def _figures(tally: list[Any]) -> dict[str, Any]:
    outlets, evaluated, meeting, total = tally
    return {"outlets": outlets, "evaluated": evaluated, "meeting_standard": meeting,
            "avg_score": round(total / evaluated, 1) if evaluated else None}  # fmt: skip


def _count(tally: list[Any], values: dict[str, Any], result: std.Evaluation) -> None:
    tally[0] += 1
    if values:
        tally[1], tally[2], tally[3] = tally[1] + 1, tally[2] + int(result.meets_standard), tally[3] + result.score


def _quality_trend(deps: GrpcDeps, docs: dict[str, Any], months: list[str], criteria: Any) -> list[dict[str, Any]]:
    trend = []
    for month in months:
        tally = [0, 0, 0, 0.0]
        for kinds in docs.values():
            versions = {k: ta.versions_of(d, deps.timezone) for k, d in kinds.items()}
            state = ta.values_on(versions, ta.month_end(month))
            if state:
                _count(tally, state, std.evaluate(criteria, state))
        row = _figures(tally)
        trend.append({"month": month, **{k: row[k] for k in ("evaluated", "meeting_standard", "avg_score")}})
    return trend


def from_outlets_quality(query: ViewQuery, deps: GrpcDeps) -> dict[str, Any]:
    attribute, months = query.by or "terminal_type", query.months or 6
    scope = scope_for(query.caller, query.manager_id, query.team_id)
    owned = sorted(o.customer_id for o in deps.facts.owned(scope.manager_id, scope.team_id))
    docs = deps.facts.terminal_histories(owned)
    terminals_now = deps.facts.terminals([c for c in owned if c not in docs])
    values = {c: ta.latest_values(docs[c]) if c in docs else terminals_now.get(c, {}) for c in owned}
    ids, groups = _scope_outlets(query, deps, attribute, values)
    version, criteria = current_standard(deps.standards)
    total, failing, designated = [0, 0, 0, 0.0], defaultdict(int), [0, 0]  # type: ignore[var-annotated]
    tiers: dict[str | None, list[Any]] = defaultdict(lambda: [0, 0, 0, 0.0])
    by_group: dict[str | None, list[Any]] = defaultdict(lambda: [0, 0, 0, 0.0])
    for cid in ids:
        result = std.evaluate(criteria, values[cid])
        for tally in (total, tiers[ta.tier_of(values[cid])], by_group[groups[cid]]):
            _count(tally, values[cid], result)
        for c in result.failing if values[cid] else ():
            failing[c.code] += 1
        if values[cid].get("quality_terminal") is True:
            designated = [designated[0] + 1, designated[1] + int(result.meets_standard)]
    by_code = {c.code: c for c in criteria}
    return {
        "months": months, "standard_version": version, "pass_mark": std.PASS_MARK, **_figures(total),
        "meeting_pct": ta.share_pct(total[2], total[0]), "designated_quality": designated[0],
        "designated_meeting_standard": designated[1],
        "store_tiers": [{"store_tier": t, **_figures(tiers[t])} for t in [*ta.STORE_TIERS, None]], "by": attribute,
        "items": [{"value": k, **_figures(g)} for k, g in sorted(by_group.items(), key=lambda kv: (kv[0] is not None,
                                                                                               kv[0] or ""))],
        "trend": _quality_trend(deps, docs, months_back(today(deps.timezone).isoformat()[:7], months), criteria),
        "gaps": [{"code": code, "label": by_code[code].label, "weight": by_code[code].weight,
                  "failing": failing[code], "failing_pct": ta.share_pct(failing[code], total[1]),
                  "guidance": by_code[code].guidance} for code in ta.ranked_gaps(failing, by_code)],
    }  # fmt: skip


# --- a random data set -----------------------------------------------------------------------------


def _card(cid: str, rng: random.Random, version: int) -> CustomerUpserted:
    return CustomerUpserted(
        customer_id=cid, code=cid, short_code=cid, name=f"商户 {cid}", licence_no="1", address="合肥",
        location={"lat": 31.8, "lon": 117.2}, star=rng.randint(1, 5), terminal_type=rng.choice(("便利店", "超市", "")),
        credit_grade="A", value_class=rng.choice("ABCD"), order_type="online", settlement_method="e",
        area_id=rng.choice(("a1", "a2")), version=version,
    )  # fmt: skip


def _terminals(cid: str, rng: random.Random, base: date) -> list[Event]:
    """Versions saved on random days of the last five months, some near the company's midnight (16:00 UTC),
    numbered regardless of their days (a later version may be dated before an earlier one)."""
    items = ("ledger", "stock_classification", "lightbox", "online_ordering", "e_settlement", "pos_device",
             "smart_terminal", "collection_point", "brand_cultivation_point")  # fmt: skip
    events: list[Event] = []
    for number in range(1, rng.randint(0, 3) + 1):
        values = {i: rng.random() < 0.7 for i in items} | {"display_rails": rng.randint(0, 2),
                                                           "counter_length": rng.choice((1.0, 1.5))}  # fmt: skip
        saved = f"{base - timedelta(days=rng.randint(0, 150))}T{rng.choice(('02:00', '15:59', '16:01'))}:00Z"
        events.append(TerminalResourcesCollected(customer_id=cid, version=number, values=values, saved_by="m",
                                                 saved_at=saved))  # fmt: skip
    for number in range(1, rng.randint(0, 2) + 1):
        info = {"store_tier": rng.choice((*ta.STORE_TIERS, "无")), "association_member": rng.random() < 0.5,
                "quality_terminal": rng.random() < 0.5, "functional_terminal": rng.random() < 0.5}  # fmt: skip
        saved = f"{base - timedelta(days=rng.randint(0, 150))}T03:00:00Z"
        events.append(TerminalInfoUpdated(customer_id=cid, version=number, values=info, card_fields={},
                                          saved_by="m", saved_at=saved))  # fmt: skip
    return events


def _activities(cid: str, rng: random.Random, base: date, n: int) -> list[Event]:
    day = [str(base - timedelta(days=rng.randint(0, 100))) for _ in range(3)]
    return [
        VisitCompleted(visit_id=f"v{cid}{n}", customer_id=cid, manager_id="m1", team_id="t1", date=day[0],
                       temporary=False, method="field", checked_in_at="", completed_at=f"{day[0]}T03:00:00Z",
                       tasks_total=1, tasks_done=1),
        PriceInventorySubmitted(collection_id=f"col{cid}{n}", visit_id=f"pv{cid}{n}", customer_id=cid,
                                manager_id="m1", team_id="t1", date=day[1], submitted_at=f"{day[1]}T02:00:00Z",
                                client_ts=f"{day[1]}T02:00:00Z", lines=[]),
        OrdersRecorded(import_id=f"i{cid}{n}", lines=[{"order_id": f"o{cid}{n}", "line_no": 1, "customer_id": cid,
                                                       "manager_id": "", "team_id": "", "sku": "S1", "quantity": 1,
                                                       "amount_fen": 100, "order_date": day[2]}]),
    ]  # fmt: skip


def _assigned(cid: str, owner: tuple[str, str], since: str) -> CustomerAssigned:
    return CustomerAssigned(customer_id=cid, manager_id=owner[0], team_id=owner[1], effective_from=since)


def data_set(rng: random.Random, base: date, outlets: int = 14) -> list[Event]:
    """Outlets with cards (one restated), terminal versions, activities and owners: some moved to another
    manager later (the move may arrive before the first assignment), one owned without any other fact."""
    events: list[Event] = []
    for n in range(outlets):
        cid = f"c{n:02d}"
        events.append(_assigned(cid, OWNERS[n % 3], "2020-01-01"))
        if n == outlets - 1:
            continue
        events += [_card(cid, rng, 1), *_terminals(cid, rng, base)]
        events += [e for k in range(rng.randint(0, 2)) for e in _activities(cid, rng, base, k)]
        if n % 4 == 1:
            events.append(_assigned(cid, OWNERS[(n + 1) % 3], "2021-06-01"))
        if n % 5 == 2:
            events.append(_card(cid, rng, 2))
    return events


def scans(rng: random.Random, base: date, outlets: int = 14) -> list[ScanBatchAccepted]:
    def batch(n: int) -> ScanBatchAccepted:
        noon = f"{base - timedelta(days=rng.randint(0, 40))}T12:00:00+08:00"
        return ScanBatchAccepted(batch_id=f"b{n}", device_id=f"d{n}", customer_id=f"c{n % outlets:02d}",
                                 scans=[{"code": f"x{n}", "sku": "S1", "kind": "sale", "qty": 1, "unit_price": 15.0,
                                         "ts": noon}], received_at=noon)  # fmt: skip

    return [batch(n) for n in range(0, outlets, 2)]


def feed(deps: GrpcDeps, events: list[Event], rng: random.Random) -> None:
    """Every event, then a random half again, shuffled, in random batches."""
    stream = [*events, *rng.sample(events, len(events) // 2)]
    rng.shuffle(stream)
    while stream:
        size = rng.randint(1, 8)
        batch, stream = stream[:size], stream[size:]
        business_facts.apply_events(batch, facts=deps.facts, views=deps.order_views)


def assert_same_as_the_outlets(views: Views, deps: GrpcDeps) -> None:
    """Every scope, each with two grouping attributes (all six over the scopes) and windows."""
    for n, caller in enumerate(CALLERS):
        for by, days, months in ((BY[n], 1 + 29 * (n % 2), 6), (BY[(n + 3) % len(BY)], 90 - 83 * (n % 2), 24)):
            query = TerminalQuery(caller=caller, by=by, days=days)
            assert views["GetFunctionalTerminals"](query) == from_outlets_functional(query, deps), (caller, by)
            report = ViewQuery(caller=caller, by=by, months=months)
            assert views["GetQualityTerminals"](report) == from_outlets_quality(report, deps), (caller, by)


# --- the tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_the_summaries_answer_as_the_outlets_whatever_the_order_replays_and_moves(
    grpc_deps: GrpcDeps, seed: int
) -> None:
    rng, base = random.Random(seed), today(grpc_deps.timezone)
    feed(grpc_deps, data_set(rng, base), rng)
    scan_views.apply_scan_batches(scans(rng, base), scans=grpc_deps.scans, timezone=grpc_deps.timezone,
                                  facts=grpc_deps.facts)  # fmt: skip
    views = business_views(grpc_deps)
    assert views["GetFunctionalTerminals"](TerminalQuery(caller=ADMIN))["outlets"] == 14
    # A scan day no later than the one an outlet's row shows sums nothing again; a later one its owner's.
    book, c00 = terminal_views.book_of(grpc_deps.facts), "c00"
    shown = book.views.rows_of([c00])[c00]["last"]["scanned"]
    assert terminal_views.refresh_scanned([(c00, shown), ("c02", "2001-01-01")], book=book) == 0
    assert terminal_views.refresh_scanned([(c00, f"{base + timedelta(days=1)}")], book=book) == 1
    recent, old_visit = (_activities(c00, rng, base - timedelta(days=back), k)[0] for back, k in ((0, 8), (3650, 9)))
    business_facts.apply_events([recent], facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert terminal_views.after_batch([old_visit], book=book) == 0  # a visit before the one the row shows
    book.views.bump_outlets([c00])  # a recompute of c00 in flight: its row is not settled
    assert terminal_views.behind([(c00, "scanned", shown)], book=book) == {c00}
    assert terminal_views.after_batch([old_visit], book=book) == 1
    assert_same_as_the_outlets(views, grpc_deps)
    # Moved again, back to where some were: the old owner's summary loses the outlet, the new one gains it.
    moves = [_assigned(f"c{n:02d}", OWNERS[(n + 2) % 3], "2022-01-01") for n in range(0, 14, 3)]
    business_facts.apply_events(moves, facts=grpc_deps.facts, views=grpc_deps.order_views)
    assert_same_as_the_outlets(views, grpc_deps)


def test_a_new_standard_is_answered_at_once_and_summed_by_the_next_refresh(grpc_deps: GrpcDeps) -> None:
    rng, base = random.Random(7), today(grpc_deps.timezone)
    feed(grpc_deps, data_set(rng, base), rng)
    views = business_views(grpc_deps)
    strict = [c.public() for c in std.DEFAULT[:4]] + [{**std.DEFAULT[5].public(), "weight": 40}]
    terminals.set_standard(ViewQuery(caller=ADMIN, payload=strict), standards=grpc_deps.standards)
    book = terminal_views.book_of(grpc_deps.facts)
    assert {d["standard_version"] for d in book.views.summaries_in("", "", [])} == {0}  # summed under the default
    assert views["GetQualityTerminals"](ViewQuery(caller=ADMIN))["standard_version"] == 1
    assert_same_as_the_outlets(views, grpc_deps)
    # A batch about one outlet sums its owner's summary under the new standard; the others stay behind.
    business_facts.apply_events([_card("c00", rng, 3)], facts=grpc_deps.facts, views=grpc_deps.order_views)
    versions = {d["_id"]: d["standard_version"] for d in book.views.summaries_in("", "", [])}
    assert versions == {"m1|t1": 1, "m2|t1": 0, "m3|t2": 0}
    assert_same_as_the_outlets(views, grpc_deps)
    assert terminal_views.follow_the_standard(book=book) == 2  # the worker's timer
    assert {d["standard_version"] for d in book.views.summaries_in("", "", [])} == {1}
    assert_same_as_the_outlets(views, grpc_deps)


def test_a_rebuild_from_the_facts_equals_the_incremental_summaries(grpc_deps: GrpcDeps) -> None:
    rng, base = random.Random(11), today(grpc_deps.timezone)
    feed(grpc_deps, data_set(rng, base), rng)
    scan_views.apply_scan_batches(scans(rng, base), scans=grpc_deps.scans, timezone=grpc_deps.timezone,
                                  facts=grpc_deps.facts)  # fmt: skip
    book = terminal_views.book_of(grpc_deps.facts)
    incremental = book.views.snapshot()
    assert [len(incremental[name]) for name in ("terminal_rows", "terminal_summaries")] == [14, 3]
    assert terminal_views.rebuild(book=book) == 14
    assert book.views.snapshot() == incremental
    assert_same_as_the_outlets(business_views(grpc_deps), grpc_deps)


def test_a_summary_adds_only_what_changed_lands_only_over_what_it_read_and_a_replay_changes_nothing(
    grpc_deps: GrpcDeps,
) -> None:
    rng, base = random.Random(3), today(grpc_deps.timezone)
    events = data_set(rng, base)
    feed(grpc_deps, events, rng)
    book, m1 = terminal_views.book_of(grpc_deps.facts), "m1|t1"
    before = book.views.summaries_to_sum([m1])[m1]
    business_facts.apply_events([_card("c00", rng, 3)], facts=grpc_deps.facts, views=grpc_deps.order_views)
    after = book.views.summaries_to_sum([m1])[m1]  # c00 is m1's: its row came in place of the one summed
    assert after["seq"] == before["seq"] + 1 and after["members"]["c00"]["seq"] > before["members"]["c00"]["seq"]
    assert {c: r for c, r in after["members"].items() if c != "c00"} == {
        c: r for c, r in before["members"].items() if c != "c00"
    }
    # A refresh that read the summary before that one loses (it would take away a row no longer summed).
    assert book.views.write_summaries([{**before, "seq": before["seq"] + 1}]) == {m1}
    assert book.views.summaries_to_sum([m1])[m1] == after
    assert terminal_views.refresh_summaries([m1], book=book) == 1  # nothing changed: nothing written
    assert book.views.summaries_to_sum([m1])[m1]["seq"] == after["seq"]
    # Every event delivered again, shuffled: the rows are read again, the figures stay.
    incremental = book.views.snapshot()
    feed(grpc_deps, events, rng)
    assert book.views.snapshot() == incremental
    assert terminal_views.rebuild(book=book) == 14
    assert book.views.snapshot() == incremental
    assert_same_as_the_outlets(business_views(grpc_deps), grpc_deps)
