"""Request bodies of the collection routes. Money is integer fen: a float (even 45.0) is refused."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from gateway.schemas.common import ApiModel, ClientTs, WriteModel

# Strict: no floats, no numeric strings. Sign and band are the collection service's rules (422 per line).
Fen = Annotated[int, Field(strict=True, ge=-(10**12), le=10**12)]
Quantity = Annotated[int, Field(strict=True, ge=-(10**9), le=10**9)]
# Photos (POST /photos) of the same customer; the service checks that each exists and is theirs.
PhotoIds = Annotated[list[Annotated[str, Field(min_length=1, max_length=128)]], Field(max_length=20)]


class PriceInventoryLine(ApiModel):
    sku: str = Field(min_length=1, max_length=64)
    pack_price: Fen
    carton_price: Fen
    # Absent: the purchases known from imported orders since the last collection.
    purchased: Quantity | None = None
    stock: Quantity


class PriceInventoryRequest(WriteModel):
    lines: list[PriceInventoryLine] = Field(min_length=1, max_length=500)
    client_ts: ClientTs | None = None
    photo_ids: PhotoIds = Field(default_factory=list)


class SkuEntry(ApiModel):
    """A catalogue entry as an admin writes it (the code is in the path); prices in integer fen."""

    name: str = Field(min_length=1, max_length=200)
    brand: str = Field(min_length=1, max_length=100)
    short_code: str = Field(default="", max_length=32)
    price_class: Annotated[int, Field(strict=True, ge=0, le=100)]
    ref_pack_price: Fen
    ref_carton_price: Fen
    packs_per_carton: Annotated[int, Field(strict=True, ge=0, le=1000)] = 10
    active: bool = True


class AgreedLine(ApiModel):
    sku: str = Field(min_length=1, max_length=64)
    qty: Quantity


class AgreedQuantityRequest(WriteModel):
    month: str = Field(min_length=7, max_length=7)
    lines: list[AgreedLine] = Field(min_length=1, max_length=500)


class TerminalSaveRequest(WriteModel):
    values: dict[str, Any] = Field(max_length=200)
    visit_id: str = Field(default="", max_length=128)
    photo_ids: PhotoIds = Field(default_factory=list)


class TerminalItemEntry(ApiModel):
    code: str = Field(min_length=1, max_length=40)
    label: str = Field(min_length=1, max_length=100)
    type: str = Field(default="text", max_length=16)
    unit: str = Field(default="", max_length=16)
    choices: list[str] = Field(default_factory=list, max_length=100)
    card_field: str = Field(default="", max_length=40)


class TerminalItemsRequest(ApiModel):
    items: list[TerminalItemEntry] = Field(min_length=1, max_length=200)


class AdjustmentLine(ApiModel):
    sku: str = Field(min_length=1, max_length=64)
    extra_qty: Quantity


class SupplyAdjustmentRequest(WriteModel):
    customer_id: str = Field(min_length=1, max_length=128)
    month: str = Field(min_length=7, max_length=7)
    lines: list[AdjustmentLine] = Field(min_length=1, max_length=500)
    reason: str = Field(default="", max_length=2000)


class DecisionRequest(ApiModel):
    note: str = Field(default="", max_length=2000)


class SpecialUseRequest(WriteModel):
    customer_id: str = Field(min_length=1, max_length=128)
    consumer_name: str = Field(max_length=100)
    phone: str = Field(max_length=32)
    occasion: str = Field(max_length=16)
    area: str = Field(default="", max_length=16)
    event_date: str = Field(max_length=10)
    lines: list[AgreedLine] = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=2000)
    photo_ids: PhotoIds = Field(default_factory=list)


class PromotionEntry(ApiModel):
    title: str = Field(max_length=200)
    skus: list[str] = Field(min_length=1, max_length=50)
    content: str = Field(default="", max_length=20_000)
    valid_from: str = Field(max_length=10)
    valid_to: str = Field(max_length=10)
    active: bool = True


class FeedbackRequest(WriteModel):
    customer_id: str = Field(min_length=1, max_length=128)
    visit_id: str = Field(default="", max_length=128)
    feedback: str = Field(default="", max_length=2000)
    intent: str = Field(default="none", max_length=16)
    intended_qty: Quantity = 0
    photo_ids: PhotoIds = Field(default_factory=list)


class ShelvingFactEntry(ApiModel):
    brand: str = Field(min_length=1, max_length=64)
    shelved: bool


class ShelvingRequest(WriteModel):
    brands: list[ShelvingFactEntry] = Field(min_length=1, max_length=200)
