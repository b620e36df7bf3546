"""PromotionStore: collections `promotions` (the material) and `promotion_feedback` (every answer).

promotions: _id (promotion_id), title, skus, content, valid_from, valid_to (YYYY-MM-DD), active
promotion_feedback: _id (feedback_id, derived from caller and op_id), promotion_id, customer_id,
    manager_id, team_id, visit_id, feedback, intent, intended_qty, recorded_at, op_id, photo_ids
    indexes: (promotion_id, customer_id)
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common.mongo import Document, store_adapter
from collection.domain.model import Promotion, PromotionFeedback

FEEDBACK_FIELDS = tuple(f for f in PromotionFeedback.__dataclass_fields__ if f not in ("feedback_id", "photo_ids"))


def _promotion(doc: dict[str, Any]) -> Promotion:
    return Promotion(
        promotion_id=str(doc["_id"]),
        title=str(doc.get("title", "")),
        skus=tuple(doc.get("skus", ())),
        content=str(doc.get("content", "")),
        valid_from=str(doc.get("valid_from", "")),
        valid_to=str(doc.get("valid_to", "")),
        active=bool(doc.get("active", True)),
    )


@store_adapter
class PromotionStore:
    def __init__(self, promotions: Collection[Document], feedback: Collection[Document]) -> None:
        self.promotions = promotions
        self.feedback = feedback

    def ensure_indexes(self) -> None:
        self.feedback.create_indexes([IndexModel([("promotion_id", ASCENDING), ("customer_id", ASCENDING)])])

    def upsert(self, p: Promotion) -> None:
        doc = {
            "_id": p.promotion_id,
            "title": p.title,
            "skus": list(p.skus),
            "content": p.content,
            "valid_from": p.valid_from,
            "valid_to": p.valid_to,
            "active": p.active,
        }
        self.promotions.replace_one({"_id": p.promotion_id}, doc, upsert=True)

    def get(self, promotion_id: str) -> Promotion | None:
        doc = self.promotions.find_one({"_id": promotion_id})
        return _promotion(doc) if doc else None

    def all(self) -> list[Promotion]:
        return sorted(
            (_promotion(doc) for doc in self.promotions.find({})), key=lambda p: (p.valid_from, p.promotion_id)
        )

    def get_feedback(self, feedback_id: str) -> PromotionFeedback | None:
        doc = self.feedback.find_one({"_id": feedback_id})
        if doc is None:
            return None
        photo_ids = tuple(str(p) for p in doc.get("photo_ids", []))
        return PromotionFeedback(feedback_id=feedback_id, **{f: doc[f] for f in FEEDBACK_FIELDS}, photo_ids=photo_ids)

    def add_feedback(self, f: PromotionFeedback) -> PromotionFeedback:
        """Insert once; a replay finds the stored answer."""
        try:
            fields = {name: getattr(f, name) for name in FEEDBACK_FIELDS}
            self.feedback.insert_one({"_id": f.feedback_id, **fields, "photo_ids": list(f.photo_ids)})
        except DuplicateKeyError:
            stored = self.get_feedback(f.feedback_id)
            return stored if stored is not None else f
        return f
