"""Planning's expected failures, each carrying its docs/api.md code."""

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


class NotYourCustomer(PermissionDenied):
    """R-1.5.2-e / §3.5.9: the customer is outside the caller's serving scope (403)."""

    code = "forbidden"
    default_message = "not a customer you may serve"


class InvalidQr(RuleViolation):
    """A forged, copied, malformed or unknown outlet code (422)."""

    code = "invalid_qr"
    default_message = "the scanned code is not a valid outlet code"


class NoTasksChosen(RuleViolation):
    """R-1.5.2-a: a temporary visit needs at least one task from the base library (422)."""

    code = "no_tasks_chosen"
    default_message = "choose at least one task from the base task library"


class UnknownTaskCode(RuleViolation):
    """R-1.5.2-a: every chosen task must be a base-library task (422, details.task_codes)."""

    code = "unknown_task_code"
    default_message = "not a task of the base task library"


class ManagersOnly(PermissionDenied):
    """Only account managers add temporary visits to their own list (403)."""

    code = "forbidden"
    default_message = "only account managers add temporary visits"


class LateUploadExpired(Conflict):
    """R-1.3.3-c: an offline op for a missed day arrived after PLANNING_LATE_UPLOAD_DAYS (409)."""

    code = "late_upload_expired"
    default_message = "the offline work of that day arrived after the late-upload window"


class NoteNotFound(NotFound):
    """P-004-15: a note that is not the caller's answers as if it did not exist (404)."""

    code = "note_not_found"
    default_message = "no such note"


class NoticeNotFound(NotFound):
    code = "notice_not_found"
    default_message = "no such notice"


class NoticeNotAllowed(PermissionDenied):
    """P-001-1: supervisors send notices to their own team, admins to a team or everyone (403)."""

    code = "forbidden"
    default_message = "you may not send a notice to this audience"


class InvalidText(InvalidArgument):
    code = "invalid_argument"
    default_message = "a required text is empty or too long"


class InvalidAppointment(RuleViolation):
    """P-003-3: an appointment needs a future time, a purpose and a plausible duration (422)."""

    code = "invalid_appointment"
    default_message = "the appointment is not valid"


class FollowUpNotFound(NotFound):
    """P-004-15: a follow-up that is not the caller's answers as if it did not exist (404)."""

    code = "follow_up_not_found"
    default_message = "no such follow-up"


class IssueNotFound(NotFound):
    """P-004-15: a request or complaint outside the caller's customers answers as if it did not exist (404)."""

    code = "issue_not_found"
    default_message = "no such request or complaint"


class InvalidTransition(Conflict):
    """A tracked item moves open → in_progress → resolved only; resolved is final (409)."""

    code = "invalid_transition"
    default_message = "this status change is not allowed"


class SummaryNotFound(NotFound):
    code = "work_summary_not_found"
    default_message = "no work summary for that day"


class AdminsOnly(PermissionDenied):
    """The document library is uploaded by admins (403)."""

    code = "forbidden"
    default_message = "admins only"


class ThreadNotFound(NotFound):
    """A thread the caller does not take part in answers as if it did not exist (404)."""

    code = "thread_not_found"
    default_message = "no such thread"


class AssignmentNotAllowed(PermissionDenied):
    """P-004-13: reassignment is a supervisor's (within their team) or an admin's action (403)."""

    code = "forbidden"
    default_message = "you may not reassign this customer"


class StaleVersion(Conflict):
    """An edit made on an older version of the record: nothing is overwritten silently."""

    code = "version_conflict"
    default_message = "the record changed since it was read; read it again"
