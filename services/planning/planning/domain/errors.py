"""Planning's expected failures, each carrying its API.md code."""

from __future__ import annotations

from baifang_common.errors import Conflict, InvalidArgument, NotFound, PermissionDenied


class VisitNotFound(NotFound):
    code = "visit_not_found"
    default_message = "no such visit"


class TaskNotFound(NotFound):
    code = "task_not_found"
    default_message = "no such task on this visit"


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    default_message = "no such customer"


class NotCheckedIn(Conflict):
    code = "not_checked_in"
    default_message = "check in at the customer first"


class VisitClosed(Conflict):
    code = "visit_closed"
    default_message = "the visit is completed or missed"


class Forbidden(PermissionDenied):
    code = "forbidden"
    default_message = "not your visit"


class InvalidPeriod(InvalidArgument):
    code = "invalid_argument"
    default_message = "period must be day, week or month"
