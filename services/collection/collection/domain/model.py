"""The cigarette catalogue and who owns a customer, as collection knows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Sku:
    """One catalogue entry; prices are integers in fen (1/100 yuan), never floats."""

    sku: str
    name: str
    brand: str
    short_code: str
    price_class: int
    ref_pack_price_fen: int
    ref_carton_price_fen: int
    packs_per_carton: int = 10
    active: bool = True


@dataclass(frozen=True)
class CustomerOwner:
    """The manager a customer is assigned to, as of `effective_at` (ties broken by `occurred_at`)."""

    customer_id: str
    manager_id: str
    team_id: str
    effective_at: datetime
    occurred_at: datetime
