"""Collection errors with their docs/api.md codes (mapped to HTTP by the gateway)."""

from __future__ import annotations

from baifang_common.errors import Conflict, InvalidArgument, NotFound, PermissionDenied, RuleViolation


class InvalidSku(RuleViolation):
    """details: {sku_code: {field: reason}}."""

    code = "invalid_sku"
    default_message = "catalogue entries violate the catalogue rules"


class InvalidPriceInventory(RuleViolation):
    """R-1.5.8.1-c/d/i: details {lines: [{index, sku, field, reason}]}, every failing line at once."""

    code = "invalid_price_inventory"
    default_message = "some lines of the price & stock collection violate the collection rules"


class EmptyCollection(InvalidArgument):
    code = "invalid_argument"
    default_message = "a collection needs at least one line"


class NotCheckedIn(Conflict):
    """docs/domain.md §3.5 item 7: collection bound to a visit needs the visit checked in."""

    code = "not_checked_in"
    default_message = "check in at the customer first"


class Forbidden(PermissionDenied):
    """P-004-15: only the customer's manager writes; their supervisors and admins read."""

    code = "forbidden"
    default_message = "not your customer"


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    default_message = "no such customer"


class AdminOnly(PermissionDenied):
    code = "forbidden"
    default_message = "only an admin maintains the catalogue"


class InvalidAgreedQuantity(RuleViolation):
    """R-1.5.8.2-b: details {lines: [{index, sku, field, reason}]}."""

    code = "invalid_agreed_quantity"
    default_message = "some lines of the agreed quantity are not valid"


class MonthNotCurrent(RuleViolation):
    """R-1.5.8.2-c, §3.5 item 8: only the current month; past and future months are refused."""

    code = "month_not_current"
    default_message = "agreed quantities are entered for the current month only"


class Immutable(Conflict):
    """R-1.5.8.2-a: once submitted, the month's agreed quantity cannot be changed."""

    code = "immutable"
    default_message = "the agreed quantity of this month is already submitted and cannot be changed"


class InvalidTerminalValues(RuleViolation):
    """details: {fields: {item_code: reason}}."""

    code = "invalid_terminal_values"
    default_message = "some values do not fit the configured terminal items"


class InvalidTerminalItems(RuleViolation):
    """details: {items: {index: reason}}."""

    code = "invalid_terminal_items"
    default_message = "the terminal item list is not valid"


class ConcurrentSave(Conflict):
    code = "conflict"
    default_message = "another save of the same record happened at the same time; retry"


class InvalidSupplyAdjustment(RuleViolation):
    """R-1.5.9.1-a/e: details {lines: [{index, sku, field, reason}]} or {reason: ...}."""

    code = "invalid_supply_adjustment"
    default_message = "the supply adjustment is not valid"


class AgreedQuantityMissing(RuleViolation):
    """R-1.5.9.1-e: an increase needs the month's agreed quantity first."""

    code = "agreed_quantity_missing"
    default_message = "submit the month's agreed quantity before asking for an increase"


class AlreadyDecided(Conflict):
    """R-1.5.9.1-b: approved, rejected and withdrawn requests are final."""

    code = "already_decided"
    default_message = "the supply adjustment is already decided"


class AdjustmentNotFound(NotFound):
    code = "supply_adjustment_not_found"
    default_message = "no such supply adjustment"


class InvalidSpecialUseReport(RuleViolation):
    """details: {field: reason} and/or {lines: [{index, sku, field, reason}]}."""

    code = "invalid_special_use_report"
    default_message = "the special-use report is not valid"


class InvalidPromotion(RuleViolation):
    """details: {field: reason}."""

    code = "invalid_promotion"
    default_message = "the promotion or its feedback is not valid"


class PromotionNotFound(NotFound):
    code = "promotion_not_found"
    default_message = "no such promotion"


class InvalidShelving(RuleViolation):
    """details: {brands: [{index, brand, reason}]}."""

    code = "invalid_shelving"
    default_message = "some shelving facts are not valid"


class UnsupportedPhoto(RuleViolation):
    """§1.2: JPEG or PNG only, judged by the content (signature and a readable header), not the name."""

    code = "unsupported_media_type"
    default_message = "a photo must be a JPEG or PNG image"


class PhotoTooLarge(RuleViolation):
    code = "payload_too_large"
    default_message = "the photo is larger than allowed"


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    default_message = "no such photo"


class InvalidPhotoReference(RuleViolation):
    """details: {photo_ids: {photo_id: reason}}: unknown, or a photo of another customer."""

    code = "invalid_photo_reference"
    default_message = "referenced photos must exist and belong to the same customer"
