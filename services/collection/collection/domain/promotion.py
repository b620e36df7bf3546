"""Pure rules of brand promotion (docs/domain.md §1.5.10, P-002-T4): material, validity, feedback and intention."""

from __future__ import annotations

from collections.abc import Container
from datetime import date

from collection.domain.errors import InvalidPromotion
from collection.domain.model import Promotion

INTENTS = ("none", "low", "medium", "high")
MAX_TEXT = 2000


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_promotion(p: Promotion, catalogue: Container[str]) -> Promotion:
    """A title, catalogue SKUs, and a validity window whose end is not before its start."""
    problems: dict[str, str] = {}
    if not p.title.strip() or len(p.title) > 200:
        problems["title"] = "required, at most 200 characters"
    if not p.skus or any(sku not in catalogue for sku in p.skus):
        problems["skus"] = "at least one, all in the catalogue"
    if len(p.content) > 20_000:
        problems["content"] = "at most 20000 characters"
    start, end = _date(p.valid_from), _date(p.valid_to)
    if start is None or end is None or end < start:
        problems["valid_to"] = "valid_from and valid_to are YYYY-MM-DD dates, the end not before the start"
    if problems:
        raise InvalidPromotion(**problems)
    return p


def is_current(p: Promotion, today: date) -> bool:
    """Shown at the outlet while active and within its window (company date)."""
    return p.active and p.valid_from <= today.isoformat() <= p.valid_to


def check_feedback(feedback: str, intent: str, intended_qty: int) -> None:
    """§1.5.10: free-text feedback and a sales intention on a small scale, with an optional quantity."""
    problems: dict[str, str] = {}
    if len(feedback) > MAX_TEXT or not (feedback.strip() or intent):
        problems["feedback"] = f"feedback or an intent is required; at most {MAX_TEXT} characters"
    if intent not in INTENTS:
        problems["intent"] = "must be one of: " + ", ".join(INTENTS)
    if intended_qty < 0:
        problems["intended_qty"] = "must not be negative"
    if problems:
        raise InvalidPromotion(**problems)
