"""Planning's expected failures, each carrying its API.md code."""

from __future__ import annotations

from baifang_common.errors import Conflict, InvalidArgument, NotFound, PermissionDenied, RuleViolation


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


class TaskOnlineOnly(RuleViolation):
    """R-1.3.3-d: only `basic` tasks complete from an offline batch; collection tasks need the form online."""

    code = "task_online_only"
    default_message = "this task needs its collection form and completes online only"


class VisitClosed(Conflict):
    code = "visit_closed"
    default_message = "the visit is completed or missed"


class Forbidden(PermissionDenied):
    code = "forbidden"
    default_message = "not your visit"


class InvalidPeriod(InvalidArgument):
    code = "invalid_argument"
    default_message = "period must be day, week or month"


class InvalidUnplannedText(InvalidArgument):
    code = "invalid_argument"
    default_message = "the unplanned task text is empty or too long"
