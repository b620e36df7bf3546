"""TargetsStore: collection `indicator_targets`, one document per manager and period (P-002-T1).

    _id "<manager_id>|<period>", manager_id, team_id, period (YYYY-MM or YYYY-Www), volume,
    key_brands [[brand, cartons], ...], value_per_carton_fen, plan_execution_pct (null = no
    target for that indicator), imported_by, imported_at          index period

Written by the admin import only (a target is analytics' own record, not derived from events, so
a rebuild of the order views leaves it alone). A row equal to the stored target is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, IndexModel, ReplaceOne
from pymongo.collection import Collection

from analytics.domain.indicators import Target
from baifang_common.mongo import Document, ensure_indexes, store_adapter

FIGURES = ("manager_id", "team_id", "period", "volume", "key_brands", "value_per_carton_fen", "plan_execution_pct")


def target_id(manager_id: str, period: str) -> str:
    return f"{manager_id}|{period}"


def document(target: Target) -> Document:
    return {
        "_id": target_id(target.manager_id, target.period),
        "manager_id": target.manager_id,
        "team_id": target.team_id,
        "period": target.period,
        "volume": target.volume,
        "key_brands": [[brand, cartons] for brand, cartons in target.key_brands],
        "value_per_carton_fen": target.value_per_carton_fen,
        "plan_execution_pct": target.plan_execution_pct,
    }


def target_of(doc: Document) -> Target:
    plan = doc.get("plan_execution_pct")
    return Target(
        manager_id=str(doc["manager_id"]),
        period=str(doc["period"]),
        team_id=str(doc.get("team_id") or ""),
        volume=doc.get("volume"),
        key_brands=tuple((str(b), int(n)) for b, n in doc.get("key_brands") or ()),
        value_per_carton_fen=doc.get("value_per_carton_fen"),
        plan_execution_pct=None if plan is None else float(plan),
    )


@store_adapter
class TargetsStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        ensure_indexes(self.collection, [IndexModel([("period", ASCENDING)])])

    def stored(self, ids: Sequence[str]) -> dict[str, Document]:
        return {doc["_id"]: doc for doc in self.collection.find({"_id": {"$in": list(ids)}})}

    def save(self, targets: Sequence[Target], by: str, at: str) -> None:
        """Replace each target whole (one unordered bulk write)."""
        ops = [ReplaceOne({"_id": target_id(t.manager_id, t.period)}, {**document(t), "imported_by": by,
               "imported_at": at}, upsert=True) for t in targets]  # fmt: skip
        if ops:
            self.collection.bulk_write(ops, ordered=False)

    def period(self, period: str, manager_id: str = "", team_id: str = "") -> list[Target]:
        """The period's targets of one manager, a team, both or everyone."""
        query: dict[str, Any] = {"period": period}
        if manager_id:
            query = {"_id": target_id(manager_id, period)}
        found = [target_of(doc) for doc in self.collection.find(query)]
        return [t for t in found if not team_id or t.team_id == team_id]


def same_figures(stored: Document | None, target: Target) -> bool:
    """Whether the stored target already says exactly this (a replayed import row)."""
    if stored is None:
        return False
    fresh = document(target)
    return all(stored.get(name) == fresh[name] for name in FIGURES)
