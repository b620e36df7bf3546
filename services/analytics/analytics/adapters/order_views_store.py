"""OrderViewsStore: the precomputed order-tracking view (docs/domain.md §1.8), derived from FactsStore.

    order_rows    _id "<customer_id>:<month>", customer_id, month, manager_id, team_id, seq, agreed,
                  agreed_submitted (an agreed quantity of the month exists, even of 0 cartons),
                  adjusted (approved increases), effective, ordered, amount_fen, last_order_date,
                  day_totals {date: [quantity, amount_fen]}, day_lines {date: [[sku, qty,
                  amount_fen], ...]} (what the summaries take each order day's lines from),
                  manager_month "<manager_id>|<month>", team_month: what the page of a list
                  view and the summaries read; indexes manager_month, team_month, month,
                  customer_id. The whole month document (by SKU and by day, `month_view`) is
                  rebuilt from its row on read (`month_of`): one document per key is written,
                  not two (the retired `order_months` held the same figures and lines)
    order_keys    _id "<customer_id>:<month>", seq: how many batches changed that key's facts
                  (a month document carries the seq its facts were read at, see `replace`)
    order_customers  _id customer_id, months [month, ...]: the months with facts of each customer,
                  so a reassignment finds them with one `_id` query (NX-27017 scans for `$in` on
                  any other field); filed {"<manager_id>|<team_id>": true} (dots and dollars
                  escaped): every owner a month of the customer was ever filed under (added
                  before the row is written, see usecases/order_views.py), the summaries a
                  recompute sums again
    owner_notes   _id customer_id, owners {"<manager_id>|<team_id>": true}: every owner a
                  customer.assigned named for the customer (noted before the owner is written;
                  its own collection: NX-27017 0.8.1 adds nothing with `$addToSet` to a field an
                  existing document lacks, so `order_customers.months` must be its first field)
    owner_rosters _id "<manager_id>|<team_id>", manager_id, team_id, seq, customers (JSON text,
                  sorted), tiers (JSON text {customer_id: the card's value class}, what the
                  visit-frequency report asks of each; read again after a customer.upserted batch
                  for the rosters whose tier of its customers differs, `stale_tiers`): the
                  customers the manager owns in that team, read from the owners after
                  every customer.assigned batch for each owner its customers were ever assigned
                  to (the daily orders' "not ordered yet" of a team: 10 documents, not 1,000
                  owners); roster_keys _id as owner_rosters, seq: its change count; index
                  manager_id, team_id
    order_summaries  _id "<manager_id>|<team_id>|<month>": one manager's month in one team, summed
                  from its rows: manager_id, team_id, month, manager_month, team_month, seq,
                  customers, agreed, adjusted, effective, ordered, amount_fen, remaining, and as
                  JSON text (one element each: NX-27017 reads a document at a cost per element)
                  rows [[customer_id, ordered], ...] by customer, day_totals {date: [quantity,
                  amount_fen]}, day_orders {date: [[customer_id, quantity, amount_fen,
                  [[sku, qty, amount_fen], ...]], ...]} (one text per date), day_skus {date:
                  [[sku, cartons], ...]}, agreed_rows [[customer_id, agreed], ...] (the customers
                  whose agreed quantity of the month was submitted: what the forecast compares with);
                  what the group views read (30 small documents instead of 3,000 rows); indexes
                  manager_month, team_month, month. An owner that no longer holds a customer of
                  the month keeps a summary of 0 customers (readers skip it).
    summary_keys  _id as order_summaries, seq: how many recomputes summed that summary; taken
                  after the rows are written and claimed by the summary summed from them
    month_cartons _id month, seq, cartons {customer_id: ordered} as JSON text: every customer's
                  cartons of the month, summed from the month's summaries after they are written
                  (what the similar-outlet comparison reads: one document per month, not a row per
                  peer); month_carton_keys _id month, seq: its change count, as summary_keys
    forecast_summaries  _id "<manager_id>|<team_id>|<month>": the sales forecast of one manager's
                  customers in one team for a forecast month (domain/forecast.py), summed from that
                  owner's summaries of the basis months and of the month itself: manager_id,
                  team_id, month, manager_month, team_month, seq, customers, forecast (the lines'
                  sum: what the indicators read), lines (JSON text)
                  [[customer_id, [ordered per basis month, most recent first], forecast, agreed or
                  null], ...] by customer; what the forecast list reads (a team: 10 documents, not
                  the rows of 1,000 customers over four months). Written after the summaries of
                  each month m for the months m..m+3 (m's agreed quantities, then m as a basis
                  month); forecast_keys _id as forecast_summaries, seq: its change count, as
                  summary_keys; indexes manager_month, team_month, month
    forecast_months  _id month, seq, totals: JSON text [[manager_id, team_id, forecast], ...] of the
                  month's forecast summaries, gathered after they are written (what the
                  indicators read: one document, not 30); forecast_month_keys _id month, seq

Each document is a pure function of the facts of one (customer, month) (usecases/order_views.py),
written whole with `ReplaceOne`: recomputing a key any number of times, in any order, after a
replay or from scratch (the rebuild) gives the same document.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from pymongo import ASCENDING, IndexModel, ReplaceOne, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from analytics.domain.business import Owner, sku_totals
from baifang_common.mongo import (
    WRITE_CHUNK,
    Document,
    bulk_write_chunked,
    ensure_indexes,
    find_ids,
    only_duplicates,
    store_adapter,
    write_newer,
)

if TYPE_CHECKING:
    from analytics.adapters.visit_tally_store import VisitTallyStore

SUMMED = ("agreed", "adjusted", "effective", "ordered", "amount_fen")  # a row's figures a summary adds up
SCOPED_FIELDS = ("manager_month", "team_month", "month")  # what a manager's, a team's or everyone's read asks
PACKED = ("rows", "day_totals", "day_orders", "day_skus", "agreed_rows")  # a summary's fields stored as JSON text


@store_adapter
class OrderViewsStore:
    def __init__(self, db: Database[Document], visit_tallies: VisitTallyStore | None = None) -> None:
        # The completed-visit tallies ride along (bootstrap.business_stores): the worker's batches
        # reach every derived view through the facts and this store.
        self.visit_tallies = visit_tallies
        self.retired_months: Collection[Document] = db["order_months"]  # read for old rows, emptied by `clear`
        self.seqs: Collection[Document] = db["order_keys"]
        self.rows: Collection[Document] = db["order_rows"]
        self.customers: Collection[Document] = db["order_customers"]
        self.summaries: Collection[Document] = db["order_summaries"]
        self.summary_seqs: Collection[Document] = db["summary_keys"]
        self.cartons: Collection[Document] = db["month_cartons"]
        self.carton_seqs: Collection[Document] = db["month_carton_keys"]
        self.rosters: Collection[Document] = db["owner_rosters"]
        self.owner_notes: Collection[Document] = db["owner_notes"]
        self.roster_seqs: Collection[Document] = db["roster_keys"]
        self.forecasts: Collection[Document] = db["forecast_summaries"]
        self.forecast_seqs: Collection[Document] = db["forecast_keys"]
        self.forecast_months: Collection[Document] = db["forecast_months"]
        self.forecast_month_seqs: Collection[Document] = db["forecast_month_keys"]

    def ensure_indexes(self) -> None:
        """Single-field indexes only: NX-27017 (0.8.1) plans no query on a compound index."""
        ensure_indexes(
            self.rows,
            [IndexModel([(name, ASCENDING)]) for name in ("manager_month", "team_month", "month", "customer_id")],
        )
        ensure_indexes(self.rosters, [IndexModel([(name, ASCENDING)]) for name in ("manager_id", "team_id")])
        for scoped in (self.summaries, self.forecasts):
            ensure_indexes(scoped, [IndexModel([(name, ASCENDING)]) for name in SCOPED_FIELDS])

    def touch(self, keys: Iterable[tuple[str, str]]) -> None:
        """Count a change of the facts of each key; called after the facts are written, and before
        their owner is read (so a reassignment that reads after it sees the key: `needing_owner`)."""
        keys = sorted(set(keys))
        self.index_months(keys)
        ops = [UpdateOne({"_id": f"{c}:{m}"}, {"$inc": {"seq": 1}}, upsert=True) for c, m in keys]
        bulk_write_chunked(self.seqs, ops)

    def index_months(self, keys: Iterable[tuple[str, str]]) -> None:
        """Record each key's month under its customer (touch; the rebuild for every key)."""
        months: dict[str, set[str]] = {}
        for customer_id, month in keys:
            months.setdefault(customer_id, set()).add(month)
        ops = [
            UpdateOne({"_id": c}, {"$addToSet": {"months": {"$each": sorted(ms)}}}, upsert=True)
            for c, ms in sorted(months.items())
        ]
        bulk_write_chunked(self.customers, ops)

    def months_of(self, customer_ids: Sequence[str]) -> list[tuple[str, str]]:
        """Every (customer, month) with facts of the customers (one `_id` query)."""
        docs = self.customers.find({"_id": {"$in": sorted(set(customer_ids))}})
        return [(doc["_id"], month) for doc in docs for month in doc.get("months", [])]

    def needing_owner(
        self, keys: Sequence[tuple[str, str]], owners: dict[str, tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """The keys whose view is not known to be filed under the customer's (manager, team) now.

        Read after the owner was written: a key is left alone only when its month row names that
        owner and carries the key's current seq. A recompute still in flight bumped the seq first
        (touch), so its row is missing or behind and the key is recomputed; one that bumps it later
        reads the new owner itself.
        """
        if not keys:
            return []
        ids = [f"{c}:{m}" for c, m in keys]
        seqs = self.seqs_of(keys)
        rows = {
            doc["_id"]: doc for doc in self.rows.find({"_id": {"$in": ids}}, {"manager_id": 1, "team_id": 1, "seq": 1})
        }
        stale = []
        for (customer_id, month), doc_id in zip(keys, ids, strict=True):
            row = rows.get(doc_id) or {}
            current = int(row.get("seq", -1)) >= seqs[(customer_id, month)]
            if not current or (row.get("manager_id"), row.get("team_id")) != owners.get(customer_id):
                stale.append((customer_id, month))
        return stale

    def order_days(self, customer_ids: Sequence[str]) -> dict[str, list[dict[str, Any]] | None]:
        """Per customer, every order day {order_date, quantity, amount_fen} (the day's lines summed):
        all a value class needs (purchases in the window, the first order date), in three `_id` reads.

        None for a customer one of whose month rows is missing or older than its key's change count
        (`order_keys`): a recompute of that month is in flight elsewhere (another queue or replica),
        so the caller reads that customer's order lines instead.
        """
        keys = [f"{doc['_id']}:{month}" for doc in find_ids(self.customers, list(customer_ids))
                for month in doc.get("months", [])]  # fmt: skip
        seqs = {doc["_id"]: int(doc.get("seq", 0)) for doc in find_ids(self.seqs, keys)}
        days: dict[str, list[dict[str, Any]] | None] = {customer_id: [] for customer_id in customer_ids}
        settled: set[str] = set()
        for row in find_ids(self.rows, keys, {"customer_id": 1, "day_totals": 1, "seq": 1}):
            settled.add(row["_id"])
            held = days.get(row["customer_id"])
            if int(row.get("seq", 0)) < seqs.get(row["_id"], 0) or held is None:
                days[row["customer_id"]] = None
                continue
            held.extend(
                {"order_date": day, "quantity": quantity, "amount_fen": amount}
                for day, (quantity, amount) in row.get("day_totals", {}).items()
            )
        for key in set(keys) - settled:
            days[key.rsplit(":", 1)[0]] = None
        return days

    def seqs_of(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Each key's change count, read before its facts are read (0 for a key never touched)."""
        ids = [f"{c}:{m}" for c, m in keys]
        found = {doc["_id"]: int(doc["seq"]) for doc in find_ids(self.seqs, ids)}
        return {key: found.get(f"{key[0]}:{key[1]}", 0) for key in keys}

    def replace(self, months: Sequence[Document]) -> None:
        """The recomputed month documents, each carrying the `seq` its facts were read at, stored as
        their rows (`lean_row`: the month document is rebuilt from it on read, `month_of`).

        A write lands only over a document of a lower seq, so when two batches recompute one key
        at once the one that read the facts later wins, whatever order their writes arrive in
        (the other's upsert fails on the duplicate _id: ignored). A key recomputed for the first
        time (seq 1) is inserted instead (half an upsert's cost on NX-27017), with the upsert for
        one stored already (a recompute of seq 1 that lost to a later one).
        """
        rows = [lean_row(d) for d in months]
        first = [d for d in rows if d["seq"] == 1]
        write_newer(self.rows, [*_stored_before(self.rows, first), *(d for d in rows if d["seq"] != 1)])

    def filed_of(self, customer_ids: Iterable[str]) -> dict[str, set[str]]:
        """Each customer's owners ("<manager_id>|<team_id>") its months were ever filed under."""
        docs = self.customers.find({"_id": {"$in": sorted(set(customer_ids))}}, {"filed": 1})
        return {doc["_id"]: {_unescape(key) for key in doc.get("filed", {})} for doc in docs}

    def file_under(self, owners: dict[str, set[str]]) -> None:
        """Note the owners ("<manager_id>|<team_id>") customers' rows are about to be filed under
        (a `$set` of one key per owner: NX-27017 0.8.1 adds nothing with `$addToSet` to a field an
        existing document lacks)."""
        ops = [
            UpdateOne({"_id": c}, {"$set": {f"filed.{_escape(owner)}": True for owner in sorted(o)}}, upsert=True)
            for c, o in sorted(owners.items())
        ]
        bulk_write_chunked(self.customers, ops)

    def note_owners(self, owners: dict[str, set[str]]) -> None:
        """Note the owners ("<manager_id>|<team_id>") customer.assigned events name, before the
        owners are written: the rosters an assignment batch reads back and sums again."""
        ops = [
            UpdateOne({"_id": c}, {"$set": {f"owners.{_escape(owner)}": True for owner in sorted(o)}}, upsert=True)
            for c, o in sorted(owners.items())
        ]
        bulk_write_chunked(self.owner_notes, ops)

    def owners_noted(self, customer_ids: Iterable[str]) -> set[str]:
        """Every owner ever noted for the customers."""
        docs = self.owner_notes.find({"_id": {"$in": sorted(set(customer_ids))}}, {"owners": 1})
        return {_unescape(key) for doc in docs for key in doc.get("owners", {})}

    def bump_rosters(self, roster_ids: Iterable[str]) -> dict[str, int]:
        """As `bump_summaries`, for owner rosters (after the owners are written)."""
        return bump_counts(self.roster_seqs, roster_ids)

    def write_rosters(self, docs: Sequence[Document]) -> None:
        """Rosters {_id, manager_id, team_id, seq, customers: [...], tiers: {...}}: each lands only
        over a lower seq."""
        write_newer(self.rosters, [
            {**d, "customers": orjson.dumps(sorted(d["customers"])).decode(),
             "tiers": orjson.dumps(dict(sorted(d.get("tiers", {}).items()))).decode()}
            for d in docs
        ])  # fmt: skip

    def rosters_with_seq(self, roster_ids: Sequence[str]) -> dict[str, tuple[int, list[str]]]:
        """The customers of each roster ("<manager_id>|<team_id>") with the seq it was read at ((0, [])
        for a roster never written)."""
        found = {doc["_id"]: (int(doc["seq"]), orjson.loads(doc["customers"]))
                 for doc in find_ids(self.rosters, list(roster_ids), {"seq": 1, "customers": 1})}  # fmt: skip
        return {roster_id: found.get(roster_id, (0, [])) for roster_id in roster_ids}

    def owned(self, manager_id: str = "", team_id: str = "") -> list[Owner]:
        """Customers owned by the manager or team (both empty: everyone's), from the rosters."""
        return _owners(self._rosters(manager_id, team_id, {"tiers": 0}))

    def _rosters(self, manager_id: str, team_id: str, fields: dict[str, int] | None = None) -> list[Document]:
        query = {"manager_id": manager_id} if manager_id else {"team_id": team_id} if team_id else {}
        return [doc for doc in self.rosters.find(query, fields) if not team_id or doc["team_id"] == team_id]

    def owned_tiers(self, manager_id: str = "", team_id: str = "") -> tuple[list[Owner], dict[str, str] | None]:
        """As `owned`, with each customer's tier (the card's value class; "" without a card); None
        for the tiers when a roster was written before rosters carried them (read the cards)."""
        docs = self._rosters(manager_id, team_id)
        owners = _owners(docs)
        if any("tiers" not in doc for doc in docs):
            return owners, None
        return owners, {cid: tier for doc in docs for cid, tier in orjson.loads(doc["tiers"]).items()}

    def stale_tiers(self, tiers: dict[str, str], roster_ids: Iterable[str]) -> list[str]:
        """The rosters to read again after cards were written (`tiers`: each card's value class, read
        after the write): those listing one of the customers under another tier, those without
        tiers, and those whose change count is ahead of them (a read in flight may predate the
        cards). A roster counted after this check reads the cards itself."""
        ids = sorted(set(roster_ids))
        seqs = {doc["_id"]: int(doc["seq"]) for doc in find_ids(self.roster_seqs, ids)}
        docs = {doc["_id"]: doc for doc in find_ids(self.rosters, ids)}
        stale = []
        for roster_id in ids:
            doc = docs.get(roster_id)
            if doc is None:
                if roster_id in seqs:
                    stale.append(roster_id)
                continue
            held = orjson.loads(doc.get("tiers", "null"))
            listed = set(orjson.loads(doc["customers"]))
            if (
                int(doc["seq"]) < seqs.get(roster_id, 0)
                or held is None
                or any(held.get(cid, "") != tier for cid, tier in tiers.items() if cid in listed)
            ):
                stale.append(roster_id)
        return stale

    def bump_summaries(self, summary_ids: Iterable[str]) -> dict[str, int]:
        """Count a change of each summary's rows (after the rows are written) and return the counts,
        read before the rows are summed: the summary summed last claims the highest count."""
        return bump_counts(self.summary_seqs, summary_ids)

    def bump_month_cartons(self, months: Iterable[str]) -> dict[str, int]:
        """As `bump_summaries`, for the months' cartons (after their summaries are written)."""
        return bump_counts(self.carton_seqs, months)

    def write_month_cartons(self, month: str, cartons: dict[str, int], seq: int) -> None:
        """Every customer's cartons of the month, summed at `seq`: lands only over a lower seq."""
        doc = {"_id": month, "seq": seq, "cartons": orjson.dumps(dict(sorted(cartons.items()))).decode()}
        write_newer(self.cartons, [doc])

    def month_cartons(self, months: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per month: every customer's cartons ordered (months without orders absent)."""
        return {doc["_id"]: orjson.loads(doc["cartons"]) for doc in self.cartons.find({"_id": {"$in": list(months)}})}

    def summary_rows(self, manager_month: str) -> list[Document]:
        """The rows a manager's month summaries sum (figures, team, day totals and SKU cartons)."""
        fields = dict.fromkeys((*SUMMED, "customer_id", "team_id", "day_totals", "day_lines", "agreed_submitted"), 1)
        return list(self.rows.find({"manager_month": manager_month}, fields))

    def write_summaries(self, docs: Sequence[Document]) -> None:
        """Summaries, each carrying the `seq` it was summed at: a write lands only over a lower seq."""
        write_newer(self.summaries, [_pack(d) for d in docs])

    def month_summaries(
        self, month: str, manager_id: str = "", team_id: str = "", unpack: Sequence[str] = PACKED
    ) -> list[Document]:
        """The month's summaries in scope that hold customers, by manager then team, with the packed
        fields named in `unpack` decoded (the others left out)."""
        left_out = dict.fromkeys((name for name in PACKED if name not in unpack), 0)
        docs = self.summaries.find({**_scoped(month, manager_id, team_id), "customers": {"$gt": 0}}, left_out or None)
        return sorted((_unpack(d, unpack) for d in docs), key=lambda d: (d["manager_id"], d["team_id"]))

    def summaries_by_id(self, summary_ids: Sequence[str], unpack: Sequence[str]) -> dict[str, Document]:
        """Summaries by _id ("<manager_id>|<team_id>|<month>"), with the packed fields named in
        `unpack` decoded and the others left out (absent ids absent)."""
        left_out = dict.fromkeys((name for name in PACKED if name not in unpack), 0)
        docs = find_ids(self.summaries, list(summary_ids), left_out or None)
        return {d["_id"]: _unpack(d, unpack) for d in docs}

    def bump_forecasts(self, forecast_ids: Iterable[str]) -> dict[str, int]:
        """As `bump_summaries`, for forecast summaries (after the summaries they read are written)."""
        return bump_counts(self.forecast_seqs, forecast_ids)

    def write_forecasts(self, docs: Sequence[Document]) -> None:
        """Forecast summaries {_id, manager_id, team_id, month, seq, lines: [...]}: each lands only
        over a lower seq."""
        write_newer(self.forecasts, [
            {**d, "customers": len(d["lines"]), "forecast": sum(int(line[2]) for line in d["lines"]),
             "lines": orjson.dumps(d["lines"]).decode()}
            for d in docs
        ])  # fmt: skip

    def forecast_lines(self, month: str, manager_id: str = "", team_id: str = "") -> dict[str, list[Any]]:
        """Per customer of the scope's forecast summaries of `month`: [basis, forecast, agreed or None]."""
        query = {**_scoped(month, manager_id, team_id), "customers": {"$gt": 0}}
        return {
            line[0]: line[1:] for doc in self.forecasts.find(query, {"lines": 1}) for line in orjson.loads(doc["lines"])
        }

    def forecast_totals(self, month: str) -> list[list[Any]]:
        """[manager_id, team_id, forecast] of every forecast summary of `month` with customers."""
        docs = self.forecasts.find({"month": month, "customers": {"$gt": 0}}, {"manager_id": 1, "team_id": 1,
                                                                               "forecast": 1})  # fmt: skip
        return sorted([d["manager_id"], d["team_id"], int(d.get("forecast", 0))] for d in docs)

    def bump_forecast_months(self, months: Iterable[str]) -> dict[str, int]:
        """As `bump_summaries`, for the months' forecast totals (after their forecast summaries are written)."""
        return bump_counts(self.forecast_month_seqs, months)

    def write_forecast_month(self, month: str, totals: list[list[Any]], seq: int) -> None:
        """The month's forecast per owner, gathered at `seq`: lands only over a lower seq."""
        doc = {"_id": month, "seq": seq, "totals": orjson.dumps(totals).decode()}
        write_newer(self.forecast_months, [doc])

    def forecast_month_totals(self, months: Sequence[str]) -> dict[str, list[list[Any]]]:
        """Per month: [[manager_id, team_id, forecast], ...] (months without forecasts absent)."""
        return {d["_id"]: orjson.loads(d["totals"]) for d in self.forecast_months.find({"_id": {"$in": list(months)}})}

    def day_orders(self, day: str, manager_id: str = "", team_id: str = "") -> list[Document]:
        """The summaries in scope of the day's month with that day's orders alone decoded:
        {manager_id, team_id, orders [[customer_id, quantity, amount_fen, lines], ...]}."""
        path = f"day_orders.{day}"
        query = {**_scoped(day[:7], manager_id, team_id), "customers": {"$gt": 0}}
        out = []
        for doc in self.summaries.find(query, {"manager_id": 1, "team_id": 1, path: 1}):
            # NX-27017 answers a nested projection under the dotted key; MongoDB nests it.
            text = doc.get(path) or (doc.get("day_orders") or {}).get(day) or "[]"
            out.append({"manager_id": doc["manager_id"], "team_id": doc["team_id"], "orders": orjson.loads(text)})
        return out

    def rows_of(self, customer_ids: Sequence[str], month: str) -> list[Document]:
        """The lean rows of a page of customers, in the order given (by _id: one indexed `$in`)."""
        ids = [f"{c}:{month}" for c in customer_ids]
        docs = {d["customer_id"]: d for d in self.rows.find({"_id": {"$in": ids}}, {"day_totals": 0, "day_lines": 0})}
        return [docs[c] for c in customer_ids if c in docs]

    def month_rows(self, month: str, manager_id: str = "", team_id: str = "") -> list[Document]:
        """The lean rows of the month (figures only), by customer."""
        return list(self.rows.find(_scoped(month, manager_id, team_id)).sort("customer_id", ASCENDING))

    def month_of(self, customer_ids: Sequence[str], months: Sequence[str]) -> list[Document]:
        """Whole month documents (by SKU and by day) of a few customers, rebuilt from their rows."""
        ids = [f"{cid}:{m}" for cid in customer_ids for m in months]
        rows = find_ids(self.rows, ids)
        # A row written before rows kept their lines: the month document of then (until a rebuild).
        older = [row["_id"] for row in rows if "day_lines" not in row]
        kept = {d["_id"]: d for d in find_ids(self.retired_months, older, {"days": 0})}
        return [kept.get(row["_id"]) or month_of_row(row) for row in rows]

    def ordered(self, customer_ids: Sequence[str], months: Sequence[str]) -> dict[str, int]:
        """Cartons ordered per customer over the months (lean rows: cheap for hundreds of customers)."""
        totals: dict[str, int] = {}
        query = {"_id": {"$in": [f"{cid}:{m}" for cid in customer_ids for m in months]}}
        for doc in self.rows.find(query, {"customer_id": 1, "ordered": 1}):
            totals[doc["customer_id"]] = totals.get(doc["customer_id"], 0) + int(doc.get("ordered", 0))
        return totals

    def day_rows(self, date: str, manager_id: str = "", team_id: str = "") -> list[Document]:
        """Customers with orders on `date`: {customer_id, manager_id, team_id, quantity, amount_fen}."""
        # `day_totals.<date>` exists, not `dates` holds: NX-27017 (0.8.1) does not match inside arrays.
        query = {**_scoped(date[:7], manager_id, team_id), f"day_totals.{date}": {"$exists": True}}
        rows = []
        for doc in self.rows.find(query).sort("customer_id", ASCENDING):
            quantity, amount = doc["day_totals"][date]
            rows.append({"customer_id": doc["customer_id"], "manager_id": doc["manager_id"], "team_id": doc["team_id"],
                         "quantity": quantity, "amount_fen": amount})  # fmt: skip
        return rows

    def clear(self) -> None:
        """Empty the views (the first step of a rebuild; the change counts stay)."""
        self.retired_months.delete_many({})
        self.rows.delete_many({})
        self.customers.delete_many({})
        self.summaries.delete_many({})
        self.cartons.delete_many({})
        self.rosters.delete_many({})
        self.forecasts.delete_many({})
        self.forecast_months.delete_many({})

    def snapshot(self) -> dict[str, list[Document]]:
        """Every document, sorted by id: what a test compares between incremental and rebuilt views."""
        return {
            "order_months": [
                {name: value for name, value in month_of_row(d).items() if name != "seq"}
                for d in self.rows.find({}).sort("_id", ASCENDING)
            ],  # as `month_of` reads them
            "order_rows": list(self.rows.find({}, {"seq": 0}).sort("_id", ASCENDING)),
            "order_summaries": [
                {name: value for name, value in _unpack(d).items() if name != "seq"}
                for d in self.summaries.find({"customers": {"$gt": 0}}).sort("_id", ASCENDING)
            ],
            "owner_rosters": [
                {"_id": d["_id"], "customers": orjson.loads(d["customers"])}
                for d in self.rosters.find({}).sort("_id", ASCENDING)
                if d["customers"] != "[]"
            ],
            "month_cartons": [
                {"_id": d["_id"], "cartons": orjson.loads(d["cartons"])}
                for d in self.cartons.find({}).sort("_id", ASCENDING)
            ],
            "forecast_months": [
                {"_id": d["_id"], "totals": orjson.loads(d["totals"])}
                for d in self.forecast_months.find({}).sort("_id", ASCENDING)
            ],
            "forecast_summaries": [
                {**{name: value for name, value in d.items() if name != "seq"}, "lines": orjson.loads(d["lines"])}
                for d in self.forecasts.find({"customers": {"$gt": 0}}).sort("_id", ASCENDING)
            ],
        }


def empty_summary(manager_id: str, team_id: str, month: str) -> Document:
    """A manager's month in a team before any row is added (what a summary of no rows is)."""
    return {
        "_id": f"{manager_id}|{team_id}|{month}", "manager_id": manager_id, "team_id": team_id, "month": month,
        "manager_month": f"{manager_id}|{month}", "team_month": f"{team_id}|{month}", "customers": 0,
        **dict.fromkeys(SUMMED, 0), "remaining": 0, "rows": [], "day_totals": {}, "day_orders": {},
        "day_skus": {}, "agreed_rows": [],
    }  # fmt: skip


def bump_counts(counts: Collection[Document], ids: Iterable[str]) -> dict[str, int]:
    """Add one to each id's change count (one bulk) and read the counts back (one query)."""
    todo = sorted(set(ids))
    if not todo:
        return {}
    bulk_write_chunked(counts, [UpdateOne({"_id": i}, {"$inc": {"seq": 1}}, upsert=True) for i in todo])
    return {doc["_id"]: int(doc["seq"]) for doc in counts.find({"_id": {"$in": todo}})}


def _stored_before(collection: Collection[Document], docs: Sequence[Document]) -> list[Document]:
    """Insert the documents in unordered chunks; returns those whose _id was stored already."""
    stored = []
    for start in range(0, len(docs), WRITE_CHUNK):
        chunk = list(docs[start : start + WRITE_CHUNK])
        try:
            collection.insert_many(chunk, ordered=False)
        except BulkWriteError as exc:
            if not only_duplicates(exc):
                raise
            stored += [chunk[int(e["index"])] for e in exc.details.get("writeErrors", [])]
    return stored


def write_over_read(collection: Collection[Document], docs: Sequence[Document]) -> set[str]:
    """Documents {_id, seq, ...}, each summed from the stored one of seq - 1 (none stored: seq 1), in
    one bulk: each lands only over that one. Returns the ids that did not land (another writer
    wrote the document since it was read; the caller adds its change again to what that one wrote)."""
    if not docs:
        return set()
    ops = [ReplaceOne({"_id": d["_id"], "seq": d["seq"] - 1}, d, upsert=True) for d in docs]
    try:
        collection.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        if not only_duplicates(exc):
            raise
        return {docs[int(e["index"])]["_id"] for e in exc.details.get("writeErrors", [])}
    return set()


def _owners(rosters: Iterable[Document]) -> list[Owner]:
    return [Owner(customer_id=cid, manager_id=doc["manager_id"], team_id=doc["team_id"])
            for doc in rosters for cid in orjson.loads(doc["customers"])]  # fmt: skip


def shard_key(key: str, customer_id: str, shards: int) -> str:
    """`<shard>|<key>`: the document holding the outlet's share of what is kept per key (a day, a
    month), so a write touches a small share of the company. The shard is a CRC (the same in every
    process) and comes first: NX-27017 (0.8.1) matches no `_id` that starts with a date and goes on
    ("2025-06-02|07") inside an `$and`."""
    return f"{zlib.crc32(customer_id.encode()) % shards:02d}|{key}"


def _escape(key: str) -> str:
    """An owner as a document key: reversible, and no dot or dollar can break the path."""
    return key.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def _unescape(key: str) -> str:
    return key.replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def _pack(summary: Document) -> Document:
    """The summary as stored: each packed field as JSON text; `day_orders` one text per day (the
    daily orders read one day of a month)."""
    packed = {name: orjson.dumps(summary[name]).decode() for name in PACKED if name != "day_orders"}
    days = {day: orjson.dumps(orders).decode() for day, orders in summary["day_orders"].items()}
    return {**summary, **packed, "day_orders": days}


def _unpack(doc: Document, names: Sequence[str] = PACKED) -> Document:
    out = {name: value for name, value in doc.items() if name not in PACKED}
    names = [name for name in names if name in doc]  # a summary written before `agreed_rows` lacks it
    unpacked = {name: orjson.loads(doc[name]) for name in names if name != "day_orders"}
    if "day_orders" in names:
        unpacked["day_orders"] = {day: orjson.loads(text) for day, text in doc["day_orders"].items()}
    return {**out, **unpacked}


LEAN = ("customer_id", "month", "manager_id", "team_id", "seq", "agreed", "adjusted", "effective", "ordered",
        "amount_fen", "last_order_date", "agreed_submitted")  # fmt: skip


def lean_row(month: Document) -> Document:
    """The month document's figures without its lines: what the list views read (a small document
    reads ~100× faster than the whole month on NX-27017), with the totals of each order day."""
    return {
        "_id": month["_id"],
        **{name: month[name] for name in LEAN},
        "manager_month": f"{month['manager_id']}|{month['month']}",
        "team_month": f"{month['team_id']}|{month['month']}",
        "day_totals": {day: [d["quantity"], d["amount_fen"]] for day, d in month["days"].items()},
        "day_lines": {day: d["lines"] for day, d in month["days"].items()},
    }


def month_of_row(row: Document) -> Document:
    """The month document (usecases/order_views.month_view) its row stands for: the day lines
    summed per SKU and per day. Every figure is the row's, so a month reads as it was computed."""
    days: dict[str, Document] = {}
    for day, lines in sorted((row.get("day_lines") or {}).items()):
        quantity, amount = (row.get("day_totals") or {}).get(day, [0, 0])
        days[day] = {"quantity": quantity, "amount_fen": amount, "lines": lines}
    return {
        "_id": row["_id"],
        **{name: row[name] for name in LEAN if name in row},
        "order_days": len(days),
        "by_sku": sku_totals(days.values()),
        "days": days,
    }


def _scoped(month: str, manager_id: str, team_id: str) -> dict[str, Any]:
    """The one-field query of a month's rows for a manager, a team, both or all."""
    query: dict[str, Any] = {"month": month}
    if manager_id:
        query = {"manager_month": f"{manager_id}|{month}"}
    if team_id:
        query = {**query, "team_month": f"{team_id}|{month}"} if manager_id else {"team_month": f"{team_id}|{month}"}
    return query
