"""Recomputing the order views of (customer, month) keys from the stored facts (worker and rebuild).

The month document is agreed + approved increases (the effective quantity, R-1.5.9.1-c) against
the ordered cartons, with the orders per date embedded (one document per key, so one guarded
write replaces all of it). The responsible manager is the
customer's current owner (customer.assigned); without one, the manager the facts name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from analytics.adapters.facts_store import FactsStore
from analytics.adapters.order_views_store import SUMMED, OrderViewsStore, empty_summary
from analytics.domain import forecast as forecasting
from analytics.domain.business import remaining, sku_totals
from baifang_common.mongo import Document

Key = tuple[str, str]  # (customer_id, month)
# Keys recomputed per round of queries: a round reads its customers' order lines with one `$in` scan
# when they are many (facts_store._by_key); 200 keys made the seed's import scan 27k lines 48 times,
# 1,000 keys 10 times (~0.5 s of the store's time each), 5,000 twice.
CHUNK = 5000


def recompute(keys: Iterable[Key], *, facts: FactsStore, views: OrderViewsStore) -> int:
    """Rewrite the month document of every key from the facts, then the summaries of every owner
    those months were ever filed under; returns the keys done."""
    todo = sorted(set(keys))
    touched: set[str] = set()
    for start in range(0, len(todo), CHUNK):
        touched |= _recompute_chunk(todo[start : start + CHUNK], facts, views)
    refresh_summaries(touched, views=views)
    return len(todo)


def refresh_summaries(summary_ids: Iterable[str], *, views: OrderViewsStore) -> int:
    """Sum each summary ("<manager_id>|<team_id>|<month>") again from its manager's rows, claiming
    the change count taken after the rows were written: of two recomputes summing one summary at
    once, the one that counted last read every row the other wrote, and its summary is kept. Then
    the cartons of each month touched, from its summaries, and the forecasts those summaries feed,
    the same way."""
    seqs = views.bump_summaries(summary_ids)
    by_manager_month: dict[str, list[str]] = defaultdict(list)
    for summary_id in seqs:
        manager_id, team_id, month = summary_id.rsplit("|", 2)
        by_manager_month[f"{manager_id}|{month}"].append(summary_id)
    docs: list[Document] = []
    for manager_month, ids in sorted(by_manager_month.items()):
        summed = {d["_id"]: d for d in summaries_of(manager_month, views.summary_rows(manager_month))}
        for summary_id in ids:
            manager_id, team_id, month = summary_id.rsplit("|", 2)
            docs.append({**summed.get(summary_id, empty_summary(manager_id, team_id, month)), "seq": seqs[summary_id]})
    views.write_summaries(docs)
    for month, seq in views.bump_month_cartons({d["month"] for d in docs}).items():
        cartons = {cid: n for s in views.month_summaries(month, unpack=["rows"]) for cid, n in s["rows"]}
        views.write_month_cartons(month, cartons, seq)
    refresh_forecasts({f"{d['manager_id']}|{d['team_id']}|{m}" for d in docs for m in forecasting.fed_by(d["month"])},
                      views=views)  # fmt: skip
    return len(docs)


def refresh_forecasts(forecast_ids: Iterable[str], *, views: OrderViewsStore) -> int:
    """The forecast of each owner's month ("<manager_id>|<team_id>|<month>") from that owner's
    summaries of the basis months and of the month (one `_id` read for all), claiming the change
    count taken after those summaries were written (the later reader's forecast is kept); then the
    months' totals per owner the same way."""
    seqs = views.bump_forecasts(forecast_ids)
    needed = {f"{fid.rsplit('|', 1)[0]}|{m}" for fid in seqs for m in _forecast_reads(fid.rsplit("|", 1)[1])}
    summaries = views.summaries_by_id(sorted(needed), ["rows", "agreed_rows"])
    docs = []
    for forecast_id, seq in sorted(seqs.items()):
        manager_id, team_id, month = forecast_id.rsplit("|", 2)
        owner = f"{manager_id}|{team_id}"
        docs.append({
            "_id": forecast_id, "manager_id": manager_id, "team_id": team_id, "month": month,
            "manager_month": f"{manager_id}|{month}", "team_month": f"{team_id}|{month}", "seq": seq,
            "lines": forecast_lines(month, {m: summaries.get(f"{owner}|{m}") for m in _forecast_reads(month)}),
        })  # fmt: skip
    views.write_forecasts(docs)
    for month, seq in views.bump_forecast_months({d["month"] for d in docs}).items():
        views.write_forecast_month(month, views.forecast_totals(month), seq)
    return len(docs)


def _forecast_reads(month: str) -> list[str]:
    return [month, *forecasting.basis_months(month)]


def forecast_lines(month: str, summaries: dict[str, Document | None]) -> list[list[Any]]:
    """[customer_id, [cartons per basis month], forecast, agreed or None] of every customer in the
    owner's summaries of `month` and its basis months, by customer."""
    basis = forecasting.basis_months(month)
    ordered = {m: dict((summaries.get(m) or {}).get("rows", [])) for m in basis}
    agreed = dict((summaries.get(month) or {}).get("agreed_rows", []))
    customers = sorted({*agreed, *(cid for rows in ordered.values() for cid in rows)})
    lines = []
    for cid in customers:
        history = {m: int(ordered[m].get(cid, 0)) for m in basis}
        lines.append([cid, [history[m] for m in basis], forecasting.weighted(history, basis), agreed.get(cid)])
    return lines


def refresh_rosters(roster_ids: Iterable[str], *, facts: FactsStore, views: OrderViewsStore) -> int:
    """Read each owner's ("<manager_id>|<team_id>") customers again from the owners, claiming the
    change count taken after the owners were written (the later reader's roster is kept)."""
    seqs = views.bump_rosters(roster_ids)
    owned = facts.owned_by([roster_id.rsplit("|", 1)[0] for roster_id in seqs])
    held = {}
    for roster_id in sorted(seqs):
        manager_id, team_id = roster_id.rsplit("|", 1)
        held[roster_id] = [o.customer_id for o in owned[manager_id] if o.team_id == team_id]
    everyone = sorted({c for customers in held.values() for c in customers})
    tiers = {doc["_id"]: str(doc.get("value_class", "")) for doc in facts.cards(everyone, ("value_class",))}
    docs = []
    for roster_id, customers in held.items():
        manager_id, team_id = roster_id.rsplit("|", 1)
        docs.append({
            "_id": roster_id, "manager_id": manager_id, "team_id": team_id, "seq": seqs[roster_id],
            "customers": customers, "tiers": {c: tiers[c] for c in customers if c in tiers},
        })  # fmt: skip
    views.write_rosters(docs)
    return len(docs)


def refresh_tiers(customer_ids: Iterable[str], *, facts: FactsStore, views: OrderViewsStore) -> int:
    """After a customer.upserted batch wrote the cards: read again the rosters of every owner noted
    for its customers that hold another tier (value class) for one of them, or may (`stale_tiers`)."""
    ids = sorted(set(customer_ids))
    tiers = {doc["_id"]: str(doc.get("value_class", "")) for doc in facts.cards(ids, ("value_class",))}
    return refresh_rosters(views.stale_tiers(tiers, views.owners_noted(ids)), facts=facts, views=views)


def summaries_of(manager_month: str, rows: Iterable[Document]) -> list[Document]:
    """One summary per team of the manager's rows of the month: their sums, customers and order days."""
    manager_id, month = manager_month.rsplit("|", 1)
    out: dict[str, Document] = {}
    for row in sorted(rows, key=lambda r: str(r["customer_id"])):
        team_id = str(row.get("team_id", ""))
        summary = out.setdefault(team_id, empty_summary(manager_id, team_id, month))
        summary["customers"] += 1
        summary["rows"].append([row["customer_id"], int(row.get("ordered", 0))])
        if row.get("agreed_submitted"):
            summary["agreed_rows"].append([row["customer_id"], int(row.get("agreed", 0))])
        for name in SUMMED:
            summary[name] += int(row.get(name, 0))
        summary["remaining"] += remaining(int(row.get("ordered", 0)), int(row.get("effective", 0)))
        for day, (quantity, amount) in (row.get("day_totals") or {}).items():
            total = summary["day_totals"].setdefault(day, [0, 0])
            total[0], total[1] = total[0] + int(quantity), total[1] + int(amount)
            lines = (row.get("day_lines") or {}).get(day, [])
            summary["day_orders"].setdefault(day, []).append([row["customer_id"], int(quantity), int(amount), lines])
            cartons = summary["day_skus"].setdefault(day, {})
            for sku, qty, _ in lines:
                cartons[sku] = cartons.get(sku, 0) + int(qty)
    for summary in out.values():
        summary["day_totals"] = dict(sorted(summary["day_totals"].items()))
        summary["day_orders"] = dict(sorted(summary["day_orders"].items()))
        summary["day_skus"] = {day: sorted(map(list, c.items())) for day, c in sorted(summary["day_skus"].items())}
    return [out[team_id] for team_id in sorted(out)]


def _recompute_chunk(keys: list[Key], facts: FactsStore, views: OrderViewsStore) -> set[str]:
    """Rewrite the chunk's month documents; returns the summaries of every owner they were ever
    filed under. A new owner is noted on the customer before its row is written, and the owners
    are read back after: of two recomputes moving one customer, the one whose row stays read the
    other's owner too, so no summary that held the customer is left unsummed."""
    seqs = views.seqs_of(keys)  # before the facts: a view never claims a seq its facts did not include
    customers = sorted({c for c, _ in keys})
    months = sorted({m for _, m in keys})
    wanted = set(keys)
    grouped: dict[Key, dict[str, list[Document]]] = defaultdict(lambda: defaultdict(list))
    for kind, docs in (
        ("orders", facts.orders(customers, months)),
        ("agreed", facts.agreed(customers, months)),
        ("approved", facts.approved(customers, months)),
    ):
        for doc in docs:
            key = (doc["customer_id"], doc["month"])
            if key in wanted:
                grouped[key][kind].append(doc)
    owners = facts.owners(customers)
    month_docs: list[Document] = []
    for key in keys:
        found = grouped.get(key, {})
        owner = owners.get(key[0])
        manager_id, team_id = (owner.manager_id, owner.team_id) if owner else _named_owner(found)
        month_docs.append(month_view(key, found, manager_id, team_id, seqs[key]))
    filed = views.filed_of(customers)
    new: dict[str, set[str]] = defaultdict(set)
    for doc in month_docs:
        if (owner := f"{doc['manager_id']}|{doc['team_id']}") not in filed.get(doc["customer_id"], set()):
            new[doc["customer_id"]].add(owner)
    views.file_under(new)
    views.replace(month_docs)
    filed = views.filed_of(customers)
    return {f"{owner}|{month}" for customer_id, month in keys for owner in filed.get(customer_id, ())}


def _named_owner(found: dict[str, list[Document]]) -> tuple[str, str]:
    """No customer.assigned yet: the manager of the latest fact that names one."""
    named = [d for docs in found.values() for d in docs if d.get("manager_id")]
    if not named:
        return "", ""
    latest = max(named, key=lambda d: (str(d.get("rank", "")), str(d["_id"])))
    return str(latest["manager_id"]), str(latest.get("team_id", ""))


def month_view(key: Key, found: dict[str, list[Document]], manager_id: str, team_id: str, seq: int = 0) -> Document:
    """The (customer, month) document, its order days embedded, from that key's facts."""
    customer_id, month = key
    agreed = sum(int(doc.get("total", 0)) for doc in found.get("agreed", []))
    adjusted = sum(int(line.get("qty", 0)) for doc in found.get("approved", []) for line in doc.get("lines", []))
    per_day: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for order in found.get("orders", []):
        line = per_day[order["order_date"]][order["sku"]]
        line[0] += int(order["quantity"])
        line[1] += int(order["amount_fen"])
    days: dict[str, Document] = {}
    for day, lines in sorted(per_day.items()):
        rows: list[list[Any]] = [[sku, qty, amount] for sku, (qty, amount) in sorted(lines.items())]
        days[day] = {"quantity": sum(r[1] for r in rows), "amount_fen": sum(r[2] for r in rows), "lines": rows}
    return {
        "_id": f"{customer_id}:{month}",
        "customer_id": customer_id,
        "month": month,
        "manager_id": manager_id,
        "team_id": team_id,
        "seq": seq,
        "agreed": agreed,
        "agreed_submitted": bool(found.get("agreed")),
        "adjusted": adjusted,
        "effective": agreed + adjusted,
        "ordered": sum(d["quantity"] for d in days.values()),
        "amount_fen": sum(d["amount_fen"] for d in days.values()),
        "order_days": len(days),
        "last_order_date": max(days) if days else "",
        "by_sku": sku_totals(days.values()),
        "days": days,
    }


def rebuild(*, facts: FactsStore, views: OrderViewsStore) -> int:
    """Empty the order views and recompute every key the facts know: `make rebuild-analytics`."""
    facts.backfill_order_homes()  # order lines stored before their homes were kept
    keys = facts.order_keys()
    views.clear()
    views.index_months(keys)
    refresh_rosters({f"{o.manager_id}|{o.team_id}" for o in facts.owned() if o.manager_id}, facts=facts, views=views)
    return recompute(keys, facts=facts, views=views)
