"""Collection errors with their API.md codes (mapped to HTTP by the gateway)."""

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
    """DOMAIN §3.5 item 7: collection bound to a visit needs the visit checked in."""

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
