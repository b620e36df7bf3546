"""Planning's outgoing events with deterministic ids, so a republish after a crash is deduplicated."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import astuple

from baifang_common.events import (
    AppointmentBooked,
    CustomerIssueChanged,
    CustomerUpserted,
    FollowUpChanged,
    NoteWritten,
    NoticePosted,
    NoticeReadRecorded,
    TaskCompleted,
    UnplannedTaskRecorded,
    VisitCompleted,
    VisitMissed,
    VisitTemporaryAdded,
    WorkSummarySaved,
)
from baifang_common.timeutil import iso, now_utc
from planning.domain.appointments import Appointment
from planning.domain.assistant import Note, Notice, NoticeRead
from planning.domain.followups import FollowUp
from planning.domain.issues import Issue
from planning.domain.model import Customer, Task, UnplannedTask, Visit
from planning.domain.summaries import WorkSummary

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "planning.baifang")


def event_id(*parts: str) -> str:
    """The same fact always gets the same id: uuid5 of "<event_type>:<ids...>"."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def digest(value: object) -> str:
    """A short content hash: the version part of an event id."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def customer_upserted(c: Customer) -> CustomerUpserted:
    """The customer record as it now is; the id changes with the content, so a repeat is deduplicated."""
    return CustomerUpserted(
        event_id=event_id("customer.upserted", c.id, digest(astuple(c))),
        customer_id=c.id,
        code=c.code,
        short_code=c.short_code,
        name=c.name,
        licence_no=c.licence_no,
        address=c.address,
        location={"lat": c.lat, "lon": c.lon},
        star=c.star,
        terminal_type=c.terminal_type,
        credit_grade=c.credit_grade,
        value_class=c.value_class,
        order_type=c.order_type,
        settlement_method=c.settlement_method,
        route_id=c.route_id,
        area_id=c.area_id,
        status=c.status,
        version=max(c.version, 1),
    )


def task_completed(visit: Visit, task: Task) -> TaskCompleted:
    return TaskCompleted(
        event_id=event_id("task.completed", visit.id, task.task_id),
        occurred_at=iso(task.done_at or now_utc()),
        visit_id=visit.id,
        task_id=task.task_id,
        task_code=task.code,
        task_kind=task.kind,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
        client_ts=task.completed_at,
        op_id=task.op_id,
        note=task.note,
        offline=task.offline,
    )


def unplanned_task_recorded(visit: Visit, entry: UnplannedTask) -> UnplannedTaskRecorded:
    return UnplannedTaskRecorded(
        event_id=event_id("unplanned_task.recorded", visit.id, entry.op_id),
        occurred_at=iso(entry.received_at or now_utc()),
        visit_id=visit.id,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
        text=entry.text,
        client_ts=entry.client_ts,
        op_id=entry.op_id,
    )


def visit_completed(visit: Visit) -> VisitCompleted:
    return VisitCompleted(
        event_id=event_id("visit.completed", visit.id),
        occurred_at=iso(visit.completed_at or now_utc()),
        visit_id=visit.id,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
        temporary=visit.temporary,
        method=visit.method.value,
        checked_in_at=iso(visit.checked_in_at) if visit.checked_in_at else "",
        completed_at=visit.completed_client_ts or (iso(visit.completed_at) if visit.completed_at else ""),
        tasks_total=visit.tasks_total,
        tasks_done=visit.tasks_done,
        op_id=visit.complete_op_id,
        summary=visit.summary,
        next_steps=visit.next_steps,
        offline=visit.offline,
    )


def visit_missed(visit: Visit) -> VisitMissed:
    return VisitMissed(
        event_id=event_id("visit.missed", visit.id),
        visit_id=visit.id,
        customer_id=visit.customer_id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        date=visit.date,
    )


def visit_temporary_added(visit: Visit, source: str) -> VisitTemporaryAdded:
    """§1.5.2: the visit joined the day's list; analytics counts it in the live progress."""
    return VisitTemporaryAdded(
        event_id=event_id("visit.temporary_added", visit.id),
        visit_id=visit.id,
        manager_id=visit.manager_id,
        team_id=visit.team_id,
        customer_id=visit.customer_id,
        date=visit.date,
        task_codes=[t.code for t in visit.tasks],
        source=source,
    )


def note_written(note: Note, action: str) -> NoteWritten:
    return NoteWritten(
        event_id=event_id("note.written", note.id, action, str(note.version)),
        occurred_at=iso(note.updated_at),
        note_id=note.id,
        author_id=note.author_id,
        action=action,
        version=note.version,
    )


def notice_posted(notice: Notice) -> NoticePosted:
    return NoticePosted(
        event_id=event_id("notice.posted", notice.id),
        occurred_at=iso(notice.sent_at),
        notice_id=notice.id,
        author_id=notice.author_id,
        audience=notice.audience,
        title=notice.title,
    )


def notice_read(receipt: NoticeRead) -> NoticeReadRecorded:
    return NoticeReadRecorded(
        event_id=event_id("notice.read", receipt.notice_id, receipt.reader_id),
        occurred_at=iso(receipt.read_at),
        notice_id=receipt.notice_id,
        reader_id=receipt.reader_id,
        read_at=iso(receipt.read_at),
    )


def appointment_booked(a: Appointment, short_notice: bool) -> AppointmentBooked:
    return AppointmentBooked(
        event_id=event_id("appointment.booked", a.id),
        occurred_at=iso(a.booked_at),
        appointment_id=a.id,
        customer_id=a.customer_id,
        manager_id=a.manager_id,
        team_id=a.team_id,
        date=a.date,
        booked_at=iso(a.booked_at),
        scheduled_at=iso(a.scheduled_at),
        duration_min=a.duration_min,
        purpose=a.purpose,
        short_notice=short_notice,
    )


def follow_up_changed(f: FollowUp) -> FollowUpChanged:
    status = "done" if f.done_at is not None else "open"
    return FollowUpChanged(
        event_id=event_id("follow_up.changed", f.id, status),
        occurred_at=iso(f.done_at) if f.done_at else iso(now_utc()),
        follow_up_id=f.id,
        kind=str(f.kind),
        customer_id=f.customer_id,
        manager_id=f.manager_id,
        team_id=f.team_id,
        visit_id=f.visit_id,
        status=status,
        due_at=iso(f.due_at),
        done_at=iso(f.done_at) if f.done_at else "",
    )


def customer_issue_changed(issue: Issue) -> CustomerIssueChanged:
    last = issue.history[-1] if issue.history else None
    at = last.at if last else issue.opened_at
    return CustomerIssueChanged(
        event_id=event_id("customer_issue.changed", issue.id, str(issue.version), str(issue.status)),
        occurred_at=iso(at),
        issue_id=issue.id,
        kind=str(issue.kind),
        customer_id=issue.customer_id,
        manager_id=issue.manager_id,
        team_id=issue.team_id,
        status=str(issue.status),
        opened_at=iso(issue.opened_at),
        reply_due_at=iso(issue.reply_due_at),
        changed_by=last.by if last else issue.manager_id,
        version=issue.version,
    )


def work_summary_saved(s: WorkSummary) -> WorkSummarySaved:
    return WorkSummarySaved(
        event_id=event_id("work_summary.saved", s.manager_id, s.date, str(s.version)),
        occurred_at=iso(s.saved_at),
        manager_id=s.manager_id,
        team_id=s.team_id,
        date=s.date,
        version=s.version,
        saved_at=iso(s.saved_at),
    )
