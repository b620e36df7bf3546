"""Check-in failures with their docs/api.md codes (the gateway maps status + code to HTTP)."""

from __future__ import annotations

from baifang_common.errors import Conflict, InvalidArgument, PermissionDenied, RuleViolation, Unavailable


class InvalidQr(RuleViolation):
    """A forged, copied, malformed or unknown outlet code (422)."""

    code = "invalid_qr"
    default_message = "the scanned code is not a valid outlet code"


class QrMismatch(RuleViolation):
    """R-1.5.3-c: the scanned code belongs to another customer than the selected visit's (422)."""

    code = "qr_mismatch"
    default_message = "the scanned code is not the selected customer's"


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


class InvalidBody(InvalidArgument):
    """A batch body that is not JSON / not the message, or whose list is missing (400)."""

    code = "invalid_body"
    default_message = "the body is not a valid batch"


class TooManyPoints(InvalidArgument):
    """More points in one batch than CHECKIN_MAX_BATCH_POINTS (400; details max, count)."""

    code = "too_many_points"
    default_message = "too many points in one batch"


class TooManyScans(InvalidArgument):
    """More scans in one batch than CHECKIN_MAX_BATCH_SCANS (400; details max, count)."""

    code = "too_many_scans"
    default_message = "too many scans in one batch"


class IngestBackpressure(Unavailable):
    """The broker is unreachable or the worker queue is too deep: retry later (503, details.retry_after)."""

    default_message = "ingestion is saturated, retry later"


class TooManyOps(InvalidArgument):
    """The whole batch is refused (400): the client splits it and sends the parts in order."""

    code = "too_many_ops"
    default_message = "too many operations in one batch"


class UnsupportedOpType(InvalidArgument):
    """An op type that is online-only or unknown (collection forms, temporary visits, ...)."""

    code = "unsupported_op_type"
    default_message = "this operation cannot be applied from an offline batch"


class NotYourTeam(PermissionDenied):
    """Supervisor views: a supervisor reads only their own team (403 forbidden)."""

    default_message = "a supervisor reads only their own team"


class ViewNotAllowed(PermissionDenied):
    """Supervisor views: a manager reads only their own track, and no team view (403 forbidden)."""

    default_message = "this role cannot read this view"
