"""Brand promotion (docs/domain.md §1.5.10, P-002-T4): admins publish material, managers record the answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.events import PromotionFeedbackRecorded
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import iso, local_date, now_utc
from collection.adapters.customer_owner_store import CustomerOwnerStore
from collection.adapters.photo_store import PhotoStore
from collection.adapters.promotion_store import PromotionStore
from collection.adapters.sku_store import SkuStore
from collection.domain import agreed_quantity as agreed_rules
from collection.domain import promotion as rules
from collection.domain.errors import AdminOnly, CustomerNotFound, PromotionNotFound
from collection.domain.model import Promotion, PromotionFeedback
from collection.domain.photos import checked_references

NAMESPACE = uuid.UUID("2a9c7e15-6b3d-4f8a-9e0c-4d1b8f7a6c32")


@dataclass(frozen=True)
class ListPromotions:
    caller: Caller
    include_all: bool = False


@dataclass(frozen=True)
class SavePromotion:
    caller: Caller
    promotion: Promotion


@dataclass(frozen=True)
class RecordFeedback:
    caller: Caller
    promotion_id: str
    customer_id: str
    op_id: str
    feedback: str
    intent: str
    intended_qty: int = 0
    visit_id: str = ""
    photo_ids: Sequence[str] = ()


def list_promotions(
    query: ListPromotions, *, promotions: PromotionStore, timezone: str, now: Callable[[], datetime] = now_utc
) -> list[Promotion]:
    """The promotions current today; everything (expired, inactive) for an admin asking for all."""
    everything = promotions.all()
    if query.include_all and query.caller.is_admin:
        return everything
    today = local_date(now(), timezone)
    return [p for p in everything if rules.is_current(p, today)]


def save_promotion(cmd: SavePromotion, *, promotions: PromotionStore, skus: SkuStore) -> Promotion:
    if not cmd.caller.is_admin:
        raise AdminOnly(role=cmd.caller.role)
    checked = rules.check_promotion(cmd.promotion, {s.sku for s in skus.list(include_inactive=True)})
    promotions.upsert(checked)
    return checked


def record_feedback(
    cmd: RecordFeedback,
    *,
    owners: CustomerOwnerStore,
    promotions: PromotionStore,
    photos: PhotoStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> tuple[PromotionFeedback, bool]:
    """The customer's manager records feedback and intention; replay by op_id answers the stored one."""
    if not cmd.op_id:
        raise InvalidArgument("op_id is required", field="op_id")
    feedback_id = str(uuid.uuid5(NAMESPACE, f"{cmd.caller.id}:{cmd.op_id}"))
    stored = promotions.get_feedback(feedback_id)
    if stored is not None:
        return stored, True
    if promotions.get(cmd.promotion_id) is None:
        raise PromotionNotFound(promotion_id=cmd.promotion_id)
    owner = owners.get(cmd.customer_id)
    if owner is None:
        raise CustomerNotFound(customer_id=cmd.customer_id)
    agreed_rules.ensure_can_write(cmd.caller, owner)
    rules.check_feedback(cmd.feedback, cmd.intent, cmd.intended_qty)
    photo_ids = checked_references(cmd.customer_id, cmd.photo_ids, photos.many(cmd.photo_ids))
    at = now()
    recorded = promotions.add_feedback(
        PromotionFeedback(
            feedback_id, cmd.promotion_id, cmd.customer_id, owner.manager_id, owner.team_id, cmd.visit_id,
            cmd.feedback.strip(), cmd.intent, cmd.intended_qty, at.replace(microsecond=at.microsecond // 1000 * 1000),
            cmd.op_id, photo_ids,
        )
    )  # fmt: skip
    publisher.publish(
        PromotionFeedbackRecorded(
            event_id=str(uuid.uuid5(NAMESPACE, f"event:{feedback_id}")),
            feedback_id=feedback_id,
            promotion_id=recorded.promotion_id,
            customer_id=recorded.customer_id,
            manager_id=recorded.manager_id,
            team_id=recorded.team_id,
            visit_id=recorded.visit_id,
            intent=recorded.intent,
            intended_qty=recorded.intended_qty,
            feedback=recorded.feedback,
            recorded_at=iso(recorded.recorded_at),
        )
    )
    return recorded, False
