"""Check-in failures with their API.md codes (the gateway maps status + code to HTTP)."""

from __future__ import annotations

from baifang_common.errors import Conflict, PermissionDenied, RuleViolation, Unavailable


class InvalidQr(RuleViolation):
    """A forged, copied, malformed or unknown outlet code (422)."""

    code = "invalid_qr"
    default_message = "the scanned code is not a valid outlet code"


class CustomerNotInPlan(Conflict):
    """The outlet is real but not on the caller's list for that day (409, details.customer)."""

    code = "customer_not_in_plan"
    default_message = "the customer is not on today's visit list"


class NotAManager(PermissionDenied):
    """Only account managers check in (403 forbidden)."""

    default_message = "only account managers check in"


class FirstCheckinPending(Unavailable):
    """The visit holds another check-in whose record is still being written; retry (503)."""

    default_message = "the first check-in of this visit is still being recorded, retry"
