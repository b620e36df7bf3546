"""SupplyAdjustmentStore: collection `supply_adjustments`, every increase request and its decision.

    _id (adjustment_id, derived from caller and op_id), customer_id, month, manager_id, team_id,
    lines [{sku, qty}], reason, requested_at, op_id, status, decided_by, decided_at, note
    indexes: (customer_id, month) for effective quantities; (team_id, status) for the supervisor's inbox;
             (manager_id, requested_at) for the requester's list

A decision is a whole-document replace conditioned on `status: pending` (replace keeps dates dates on
NX-27017), so two supervisors deciding at once cannot both win.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter
from collection.domain.model import AgreedLine, SupplyAdjustment


def _doc(a: SupplyAdjustment) -> dict[str, Any]:
    return {
        "_id": a.adjustment_id,
        "customer_id": a.customer_id,
        "month": a.month,
        "manager_id": a.manager_id,
        "team_id": a.team_id,
        "lines": [{"sku": line.sku, "qty": line.qty} for line in a.lines],
        "reason": a.reason,
        "requested_at": a.requested_at,
        "op_id": a.op_id,
        "status": a.status,
        "decided_by": a.decided_by,
        "decided_at": a.decided_at,
        "note": a.note,
    }


def _adjustment(doc: dict[str, Any]) -> SupplyAdjustment:
    return SupplyAdjustment(
        adjustment_id=str(doc["_id"]),
        customer_id=str(doc["customer_id"]),
        month=str(doc["month"]),
        manager_id=str(doc["manager_id"]),
        team_id=str(doc.get("team_id", "")),
        lines=tuple(AgreedLine(str(line["sku"]), int(line["qty"])) for line in doc.get("lines", [])),
        reason=str(doc.get("reason", "")),
        requested_at=doc["requested_at"],
        op_id=str(doc.get("op_id", "")),
        status=str(doc.get("status", "pending")),
        decided_by=str(doc.get("decided_by", "")),
        decided_at=doc.get("decided_at"),
        note=str(doc.get("note", "")),
    )


@store_adapter
class SupplyAdjustmentStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_indexes(
            [
                IndexModel([("customer_id", ASCENDING), ("month", ASCENDING)]),
                IndexModel([("team_id", ASCENDING), ("status", ASCENDING)]),
                IndexModel([("manager_id", ASCENDING), ("requested_at", DESCENDING)]),
            ]
        )

    def get(self, adjustment_id: str) -> SupplyAdjustment | None:
        doc = self.collection.find_one({"_id": adjustment_id})
        return _adjustment(doc) if doc else None

    def add(self, adjustment: SupplyAdjustment) -> SupplyAdjustment:
        """Insert once; a replay finds the stored request."""
        try:
            self.collection.insert_one(_doc(adjustment))
        except DuplicateKeyError:
            stored = self.get(adjustment.adjustment_id)
            return stored if stored is not None else adjustment
        return adjustment

    def decide(self, decided: SupplyAdjustment) -> bool:
        """Store the decision if the request is still pending; False when another decision came first."""
        pending = {"$and": [{"_id": decided.adjustment_id}, {"status": "pending"}]}
        return self.collection.replace_one(pending, _doc(decided)).modified_count == 1

    def for_customer(self, customer_id: str, month: str) -> list[SupplyAdjustment]:
        docs = self.collection.find({"customer_id": customer_id, "month": month})
        return [_adjustment(doc) for doc in docs]

    def listing(self, *, team_id: str = "", manager_id: str = "", status: str = "") -> list[SupplyAdjustment]:
        """A team's or a manager's requests, oldest first (a supervisor's inbox works from the oldest)."""
        query: dict[str, Any] = {"team_id": team_id} if team_id else {"manager_id": manager_id}
        if status:
            query["status"] = status
        docs = self.collection.find(query).sort([("requested_at", ASCENDING), ("_id", ASCENDING)])
        return [_adjustment(doc) for doc in docs]
