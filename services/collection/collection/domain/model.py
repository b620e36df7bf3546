"""The cigarette catalogue and who owns a customer, as collection knows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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


@dataclass(frozen=True)
class VisitRef:
    """The visit a collection is bound to, as planning knows it."""

    visit_id: str
    manager_id: str
    team_id: str
    customer_id: str
    date: str
    status: str


@dataclass(frozen=True)
class PriceLineInput:
    """One line as the manager entered it; money in fen. `purchased` None = take what orders say."""

    sku: str
    pack_price_fen: int
    carton_price_fen: int
    stock: int
    purchased: int | None = None


@dataclass(frozen=True)
class StockBase:
    """What a line starts from: the last collected stock of the SKU at the outlet, and purchases since."""

    prev_stock: int = 0
    first: bool = True
    ordered: int = 0
    # The day of that last collection ("" when never collected): purchases count from the day after.
    since: str = ""


@dataclass(frozen=True)
class CollectedLine:
    """A validated line with its references, its starting point and the computed sales."""

    sku: str
    name: str
    pack_price_fen: int
    carton_price_fen: int
    ref_pack_price_fen: int
    ref_carton_price_fen: int
    prev_stock: int
    purchased: int
    purchased_source: str
    stock: int
    sales: int
    first: bool


@dataclass(frozen=True)
class PriceInventory:
    """One submitted price & stock collection of a visit (a later one in the same visit supersedes it)."""

    collection_id: str
    visit_id: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str
    submitted_at: datetime
    client_ts: str
    op_id: str
    lines: tuple[CollectedLine, ...]
    superseded: bool = False
    # Photos of this outlet taken for the collection (§1.2).
    photo_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormLine:
    """A line of the collection form: the SKU with its reference prices and where its stock stands."""

    sku: Sku
    base: StockBase


@dataclass(frozen=True)
class AgreedLine:
    sku: str
    qty: int


@dataclass(frozen=True)
class AgreedQuantity:
    """The customer's agreed quantity for one month (docs/domain.md §1.5.8.2): submitted once, never changed."""

    customer_id: str
    month: str
    manager_id: str
    team_id: str
    lines: tuple[AgreedLine, ...]
    submitted_at: datetime
    submitted_by: str
    op_id: str

    @property
    def total(self) -> int:
        return sum(line.qty for line in self.lines)


@dataclass(frozen=True)
class TerminalItem:
    """One configurable item of terminal resources or terminal information (docs/domain.md §1.5.8.3–4).

    type: text | number | bool | choice; `card_field` names the customer-card field it updates.
    """

    code: str
    label: str
    type: str = "text"
    unit: str = ""
    choices: tuple[str, ...] = ()
    card_field: str = ""


@dataclass(frozen=True)
class TerminalVersion:
    """One save of a customer's terminal resources or information: every save is a new version."""

    version_id: str
    customer_id: str
    kind: str
    version: int
    values: dict[str, Any]
    saved_by: str
    saved_at: datetime
    op_id: str
    visit_id: str = ""
    photo_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupplyAdjustment:
    """A request to raise a customer's supply for a month (docs/domain.md §1.5.9.1); effective once approved.

    status: pending → approved | rejected (by the requester's supervisor) | withdrawn (by the requester).
    """

    adjustment_id: str
    customer_id: str
    month: str
    manager_id: str
    team_id: str
    lines: tuple[AgreedLine, ...]
    reason: str
    requested_at: datetime
    op_id: str
    status: str = "pending"
    decided_by: str = ""
    decided_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class SpecialUseReport:
    """A consumer's large one-off need filed through a retailer (docs/domain.md §1.5.9.2); status `filed`."""

    report_id: str
    customer_id: str
    manager_id: str
    team_id: str
    consumer_name: str
    phone: str
    occasion: str
    area: str
    event_date: str
    lines: tuple[AgreedLine, ...]
    note: str
    warnings: tuple[dict[str, Any], ...]
    filed_at: datetime
    op_id: str
    status: str = "filed"
    photo_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Promotion:
    """Brand promotion material (docs/domain.md §1.5.10, P-002-T4): what the manager shows at the outlet."""

    promotion_id: str
    title: str
    skus: tuple[str, ...]
    content: str
    valid_from: str
    valid_to: str
    active: bool = True


@dataclass(frozen=True)
class PromotionFeedback:
    """The customer's feedback and sales intention on a promotion, per customer (and visit when given)."""

    feedback_id: str
    promotion_id: str
    customer_id: str
    manager_id: str
    team_id: str
    visit_id: str
    feedback: str
    intent: str
    intended_qty: int
    recorded_at: datetime
    op_id: str
    photo_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShelvingFact:
    """Whether a key brand is on the outlet's shelf (P-002-T3)."""

    brand: str
    shelved: bool


@dataclass(frozen=True)
class ShelvingRecord:
    """The shelving facts seen at one visit; a later record for the same visit supersedes it."""

    record_id: str
    visit_id: str
    customer_id: str
    manager_id: str
    team_id: str
    date: str
    facts: tuple[ShelvingFact, ...]
    recorded_at: datetime
    op_id: str


@dataclass(frozen=True)
class OrderLine:
    """One line of an outlet's order from the marketing system (§1.8): cartons of a SKU, money in fen.

    Identified by (order_id, line_no); order_date is the company-time day (YYYY-MM-DD).
    """

    order_id: str
    line_no: int
    customer_id: str
    sku: str
    quantity: int
    amount_fen: int
    order_date: str

    @property
    def key(self) -> str:
        return f"{self.order_id}:{self.line_no}"


@dataclass(frozen=True)
class Photo:
    """A stored photo's facts (the bytes live beside it in GridFS): who took it, of which outlet, at which visit."""

    photo_id: str
    customer_id: str
    visit_id: str
    owner_id: str
    kind: str
    content_type: str
    width: int
    height: int
    size: int
    uploaded_at: datetime
