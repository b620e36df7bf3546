"""OrderViewsStore: the precomputed order-tracking views (docs/domain.md §1.8), derived from FactsStore.

    order_months  _id "<customer_id>:<month>", customer_id, month, manager_id, team_id, agreed,
                  adjusted (approved increases), effective, ordered, amount_fen, order_days,
                  last_order_date, by_sku [[sku, qty, amount_fen], ...]
                  indexes (manager_id, month), (team_id, month), (customer_id, month)
    order_days    _id "<customer_id>:<date>", customer_id, date, month, manager_id, team_id,
                  quantity, amount_fen, lines [[sku, qty, amount_fen], ...]
                  indexes (manager_id, date), (team_id, date)

Each document is a pure function of the facts of one (customer, month) (usecases/order_views.py),
written whole with `ReplaceOne`: recomputing a key any number of times, in any order, after a
replay or from scratch (the rebuild) gives the same document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DeleteMany, IndexModel, ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database

from baifang_common.mongo import Document, ensure_indexes, store_adapter


@store_adapter
class OrderViewsStore:
    def __init__(self, db: Database[Document]) -> None:
        self.months: Collection[Document] = db["order_months"]
        self.days: Collection[Document] = db["order_days"]

    def ensure_indexes(self) -> None:
        ensure_indexes(
            self.months,
            [
                IndexModel([("manager_id", ASCENDING), ("month", ASCENDING)]),
                IndexModel([("team_id", ASCENDING), ("month", ASCENDING)]),
                IndexModel([("customer_id", ASCENDING), ("month", ASCENDING)]),
            ],
        )
        ensure_indexes(
            self.days,
            [
                IndexModel([("manager_id", ASCENDING), ("date", ASCENDING)]),
                IndexModel([("team_id", ASCENDING), ("date", ASCENDING)]),
                IndexModel([("customer_id", ASCENDING), ("month", ASCENDING)]),
            ],
        )

    def replace(self, months: Sequence[Document], days: Sequence[Document]) -> None:
        """The recomputed (customer, month) documents; a day no longer in the facts is removed."""
        if months:
            self.months.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in months], ordered=False)
        ops: list[Any] = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in days]
        kept: dict[tuple[str, str], list[str]] = {(m["customer_id"], m["month"]): [] for m in months}
        for d in days:
            kept.setdefault((d["customer_id"], d["month"]), []).append(d["_id"])
        for (customer_id, month), ids in kept.items():
            ops.append(DeleteMany({"customer_id": customer_id, "month": month, "_id": {"$nin": ids}}))
        if ops:
            self.days.bulk_write(ops, ordered=True)

    def customer_months(self, customer_ids: Sequence[str]) -> list[tuple[str, str]]:
        """The (customer, month) keys with a month document (to recompute after a reassignment)."""
        docs = self.months.find({"customer_id": {"$in": list(customer_ids)}}, {"customer_id": 1, "month": 1})
        return [(doc["customer_id"], doc["month"]) for doc in docs]

    def month_rows(self, month: str, manager_id: str = "", team_id: str = "") -> list[Document]:
        return list(self.months.find(_scoped({"month": month}, manager_id, team_id)).sort("customer_id", ASCENDING))

    def month_of(self, customer_ids: Sequence[str], months: Sequence[str]) -> list[Document]:
        return list(self.months.find({"customer_id": {"$in": list(customer_ids)}, "month": {"$in": list(months)}}))

    def day_rows(self, date: str, manager_id: str = "", team_id: str = "") -> list[Document]:
        return list(self.days.find(_scoped({"date": date}, manager_id, team_id)).sort("customer_id", ASCENDING))

    def clear(self) -> None:
        """Empty both views (the first step of a rebuild)."""
        self.months.delete_many({})
        self.days.delete_many({})

    def snapshot(self) -> dict[str, list[Document]]:
        """Every document, sorted by id: what a test compares between incremental and rebuilt views."""
        return {
            "order_months": list(self.months.find().sort("_id", ASCENDING)),
            "order_days": list(self.days.find().sort("_id", ASCENDING)),
        }


def _scoped(query: dict[str, Any], manager_id: str, team_id: str) -> dict[str, Any]:
    if manager_id:
        query["manager_id"] = manager_id
    if team_id:
        query["team_id"] = team_id
    return query
