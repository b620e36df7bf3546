"""SpecialUseStore: collection `special_use_reports`, every filed report (never changed).

_id (report_id, derived from caller and op_id), customer_id, manager_id, team_id, consumer_name,
phone, occasion, area, event_date, lines [{sku, qty}], note, warnings [...], filed_at, op_id, status, photo_ids
indexes: (customer_id, filed_at desc)
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter
from collection.domain.model import AgreedLine, SpecialUseReport

FIELDS = ("customer_id", "manager_id", "team_id", "consumer_name", "phone", "occasion", "area", "event_date")


def _report(doc: dict[str, Any]) -> SpecialUseReport:
    return SpecialUseReport(
        report_id=str(doc["_id"]),
        **{f: str(doc.get(f, "")) for f in FIELDS},
        lines=tuple(AgreedLine(str(line["sku"]), int(line["qty"])) for line in doc.get("lines", [])),
        note=str(doc.get("note", "")),
        warnings=tuple(doc.get("warnings", [])),
        filed_at=doc["filed_at"],
        op_id=str(doc.get("op_id", "")),
        status=str(doc.get("status", "filed")),
        photo_ids=tuple(str(p) for p in doc.get("photo_ids", [])),
    )


@store_adapter
class SpecialUseStore:
    def __init__(self, collection: Collection[Document]) -> None:
        self.collection = collection

    def ensure_indexes(self) -> None:
        self.collection.create_indexes([IndexModel([("customer_id", ASCENDING), ("filed_at", DESCENDING)])])

    def get(self, report_id: str) -> SpecialUseReport | None:
        doc = self.collection.find_one({"_id": report_id})
        return _report(doc) if doc else None

    def add(self, r: SpecialUseReport) -> SpecialUseReport:
        """Insert once; a replay finds the stored report."""
        try:
            self.collection.insert_one(
                {
                    "_id": r.report_id,
                    **{f: getattr(r, f) for f in FIELDS},
                    "lines": [{"sku": line.sku, "qty": line.qty} for line in r.lines],
                    "note": r.note,
                    "warnings": list(r.warnings),
                    "filed_at": r.filed_at,
                    "op_id": r.op_id,
                    "status": r.status,
                    "photo_ids": list(r.photo_ids),
                }
            )
        except DuplicateKeyError:
            stored = self.get(r.report_id)
            return stored if stored is not None else r
        return r

    def for_customer(self, customer_id: str) -> list[SpecialUseReport]:
        docs = self.collection.find({"customer_id": customer_id}).sort([("filed_at", DESCENDING)])
        return [_report(doc) for doc in docs]
