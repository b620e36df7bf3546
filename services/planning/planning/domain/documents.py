"""Document library of the visit assistant (§1.5.11.4–5, §1.10): laws, minutes, brand short codes, work method."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from planning.domain.errors import InvalidText


class Category(StrEnum):
    LAW = "law"
    MINUTES = "minutes"
    BRAND_CODES = "brand_codes"
    WORK_METHOD = "work_method"


@dataclass(frozen=True)
class Document:
    id: str
    category: Category
    title: str
    body: str
    uploaded_by: str
    uploaded_at: datetime


def category_of(value: str) -> Category:
    try:
        return Category(value)
    except ValueError as exc:
        raise InvalidText("category must be one of " + ", ".join(c.value for c in Category), field="category") from exc
