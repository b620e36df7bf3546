# ruff: noqa: N802  (method names are the RPC names from planning.proto)
"""PlanningServicer: proto → command → use case → proto. Nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2 as pb
from baifang.planning.v1 import planning_pb2_grpc
from baifang_common.context import require_caller
from baifang_common.grpc_server import Servicer, serve
from baifang_common.identity import FROM_GATEWAY
from baifang_common.logging import configure_logging
from baifang_common.timeutil import iso
from planning import bootstrap
from planning.bootstrap import GrpcDeps
from planning.domain.appointments import Appointment
from planning.domain.assignments import Assignment
from planning.domain.assistant import Note, Notice, NoticeRead
from planning.domain.contacts import Contact
from planning.domain.customer_file import CustomerVersion
from planning.domain.documents import Document
from planning.domain.followups import FollowUp
from planning.domain.imports import ImportReport, PlanRow
from planning.domain.issues import Issue
from planning.domain.messages import Message, Thread
from planning.domain.model import Customer, LibraryTask, Task, Visit
from planning.domain.route import Point
from planning.domain.rules import PlanCounts
from planning.domain.summaries import WorkSummary
from planning.settings import PlanningSettings
from planning.usecases import (
    appointments,
    assignments,
    assistant,
    checkins,
    contacts,
    customer_file,
    customers,
    documents,
    followups,
    imports,
    issues,
    messages,
    plans,
    route,
    summaries,
    temporary,
    visits,
)
from planning.usecases.visits import VisitView

SERVICE_NAME = "baifang.planning.v1.PlanningService"
# Who may call each RPC (issuers of the signed identity, enforced by the common server interceptor):
# the public API through the gateway; the check-in path from checkin only; the visit work from the
# gateway and from checkin's offline batches; collection reads a visit's state before it records
# collected data against it.
FROM_CHECKIN = frozenset({"checkin"})
CALLERS = {
    **dict.fromkeys(pb.DESCRIPTOR.services_by_name["PlanningService"].methods_by_name, FROM_GATEWAY),
    "GetVisit": FROM_GATEWAY | {"collection"},
    "CheckInVisit": FROM_CHECKIN,
    "ResolveVisitForCheckin": FROM_CHECKIN,
    "MarkCheckedIn": FROM_CHECKIN,
    "CompleteTask": FROM_GATEWAY | FROM_CHECKIN,
    "CompleteVisit": FROM_GATEWAY | FROM_CHECKIN,
    "AddUnplannedTask": FROM_GATEWAY | FROM_CHECKIN,
}


class PlanningServicer(planning_pb2_grpc.PlanningServiceServicer):
    def __init__(self, deps: GrpcDeps) -> None:
        self.deps = deps
        self.use = bootstrap.use_cases(deps)

    def ListVisits(self, request: pb.ListVisitsRequest, context: Any) -> pb.ListVisitsResponse:
        query = visits.ListVisits(require_caller(), request.date, request.manager_id)
        views = self.use.list_visits(query)
        return pb.ListVisitsResponse(visits=[visit_pb(v, with_tasks=False) for v in views])

    def GetVisit(self, request: pb.GetVisitRequest, context: Any) -> pb.GetVisitResponse:
        query = visits.GetVisit(require_caller(), request.visit_id)
        view = self.use.get_visit(query)
        return pb.GetVisitResponse(visit=visit_pb(view))

    def GetPlanSummary(self, request: pb.GetPlanSummaryRequest, context: Any) -> pb.GetPlanSummaryResponse:
        query = plans.GetPlanSummary(require_caller(), request.period, request.date, request.manager_id)
        summary = self.use.get_plan_summary(query)
        return pb.GetPlanSummaryResponse(
            period=summary.period.value,
            start=summary.start.isoformat(),
            end=summary.end.isoformat(),
            counts=counts_pb(summary.counts),
            rows=[pb.PlanSummaryRow(key=day.isoformat(), counts=counts_pb(c)) for day, c in summary.rows],
        )

    def ListTaskLibrary(self, request: pb.ListTaskLibraryRequest, context: Any) -> pb.ListTaskLibraryResponse:
        require_caller()  # any authenticated caller reads the library
        entries = self.use.list_task_library()
        return pb.ListTaskLibraryResponse(
            tasks=[pb.LibraryTask(code=t.code, name=t.name, kind=t.kind, method=t.method) for t in entries]
        )

    def GetCustomerQr(self, request: pb.GetCustomerQrRequest, context: Any) -> pb.GetCustomerQrResponse:
        query = customers.GetCustomerQr(require_caller(), request.customer_id)
        qr = self.use.get_customer_qr(query)
        return pb.GetCustomerQrResponse(customer_id=request.customer_id, qr=qr)

    def CheckInVisit(self, request: pb.CheckInVisitRequest, context: Any) -> pb.CheckInVisitResponse:
        cmd = checkins.CheckInVisit(
            require_caller(),
            request.manager_id,
            request.customer_id,
            request.date,
            request.qr,
            request.checkin_id,
            request.checked_in_at,
            request.visit_id,
        )
        outcome = self.use.check_in_visit(cmd)
        response = pb.CheckInVisitResponse(
            customer=customer_pb(outcome.customer),
            qr_valid=outcome.qr_valid,
            checkin_id=outcome.checkin_id,
            appointment_at=iso(outcome.appointment_at) if outcome.appointment_at else "",
            marked_before=outcome.marked_before,
        )
        if outcome.visit is not None:
            response.visit.CopyFrom(visit_pb(VisitView(outcome.visit, None), with_tasks=False))
        return response

    def ResolveVisitForCheckin(
        self, request: pb.ResolveVisitForCheckinRequest, context: Any
    ) -> pb.ResolveVisitForCheckinResponse:
        query = checkins.ResolveVisitForCheckin(
            require_caller(), request.manager_id, request.customer_id, request.date, request.qr
        )
        found = self.use.resolve_visit_for_checkin(query)
        response = pb.ResolveVisitForCheckinResponse(customer=customer_pb(found.customer), qr_valid=found.qr_valid)
        if found.visit is not None:
            response.visit.CopyFrom(visit_pb(VisitView(found.visit, found.customer)))
        return response

    def MarkCheckedIn(self, request: pb.MarkCheckedInRequest, context: Any) -> pb.MarkCheckedInResponse:
        cmd = checkins.MarkCheckedIn(require_caller(), request.visit_id, request.checkin_id, request.checked_in_at)
        mark = self.use.mark_checked_in(cmd)
        card = self.deps.customers.get(mark.visit.customer_id)
        return pb.MarkCheckedInResponse(visit=visit_pb(VisitView(mark.visit, card)), checkin_id=mark.checkin_id)

    def CompleteTask(self, request: pb.CompleteTaskRequest, context: Any) -> pb.CompleteTaskResponse:
        op = request.op
        cmd = visits.CompleteTask(
            require_caller(),
            request.visit_id,
            op.op_id,
            op.client_ts,
            op.offline,
            task_id=request.task_id,
            note=request.note,
        )
        result = self.use.complete_task(cmd)
        return pb.CompleteTaskResponse(visit=visit_pb(result.view), task=task_pb(result.task), replayed=result.replayed)

    def CompleteVisit(self, request: pb.CompleteVisitRequest, context: Any) -> pb.CompleteVisitResponse:
        op = request.op
        cmd = visits.CompleteVisit(
            require_caller(),
            request.visit_id,
            op.op_id,
            op.client_ts,
            op.offline,
            summary=request.summary,
            next_steps=request.next_steps,
        )
        result = self.use.complete_visit(cmd)
        return pb.CompleteVisitResponse(visit=visit_pb(result.view), replayed=result.replayed)

    def AddUnplannedTask(self, request: pb.AddUnplannedTaskRequest, context: Any) -> pb.AddUnplannedTaskResponse:
        op = request.op
        cmd = visits.AddUnplannedTask(
            require_caller(), request.visit_id, op.op_id, op.client_ts, op.offline, text=request.text
        )
        result = self.use.add_unplanned_task(cmd)
        return pb.AddUnplannedTaskResponse(visit=visit_pb(result.view), replayed=result.replayed)

    def LookupCustomer(self, request: pb.LookupCustomerRequest, context: Any) -> pb.LookupCustomerResponse:
        query = temporary.LookupCustomer(require_caller(), request.qr, request.date)
        found = self.use.lookup_customer(query)
        response = pb.LookupCustomerResponse(
            customer=customer_pb(found.customer), on_list=found.visit is not None, may_add=found.may_add
        )
        if found.visit is not None:
            response.visit.CopyFrom(visit_pb(VisitView(found.visit, found.customer), with_tasks=False))
        return response

    def AddTemporaryVisit(self, request: pb.AddTemporaryVisitRequest, context: Any) -> pb.AddTemporaryVisitResponse:
        cmd = temporary.AddTemporaryVisit(
            require_caller(),
            request.op.op_id,
            tuple(request.task_codes),
            qr=request.qr,
            customer_id=request.customer_id,
        )
        result = self.use.add_temporary_visit(cmd)
        return pb.AddTemporaryVisitResponse(
            visit=visit_pb(VisitView(result.visit, result.customer)), created=result.created, replayed=result.replayed
        )

    def SuggestRoute(self, request: pb.SuggestRouteRequest, context: Any) -> pb.SuggestRouteResponse:
        start = Point(request.start.lat, request.start.lon) if request.has_start else None
        found = self.use.suggest_route(route.SuggestRoute(require_caller(), request.date, request.manager_id, start))
        response = pb.SuggestRouteResponse(
            start_source=found.start_source,
            stops=[pb.RouteStop(visit=visit_pb(s.view, with_tasks=False), leg_m=s.leg_m) for s in found.stops],
            total_m=found.total_m,
        )
        if found.start is not None:
            response.start.CopyFrom(common_pb2.GeoPoint(lat=found.start.lat, lon=found.start.lon))
        return response

    def CreateNote(self, request: pb.WriteNoteRequest, context: Any) -> pb.NoteResponse:
        cmd = assistant.WriteNote(require_caller(), request.title, request.body, op_id=request.op.op_id)
        return pb.NoteResponse(note=note_pb(self.use.create_note(cmd)))

    def ListNotes(self, request: pb.ListNotesRequest, context: Any) -> pb.ListNotesResponse:
        return pb.ListNotesResponse(notes=[note_pb(n) for n in self.use.list_notes(require_caller())])

    def UpdateNote(self, request: pb.WriteNoteRequest, context: Any) -> pb.NoteResponse:
        cmd = assistant.WriteNote(require_caller(), request.title, request.body, note_id=request.note_id)
        return pb.NoteResponse(note=note_pb(self.use.update_note(cmd)))

    def DeleteNote(self, request: pb.DeleteNoteRequest, context: Any) -> pb.DeleteNoteResponse:
        self.use.delete_note(require_caller(), request.note_id)
        return pb.DeleteNoteResponse()

    def PostNotice(self, request: pb.PostNoticeRequest, context: Any) -> pb.NoticeResponse:
        cmd = assistant.PostNotice(require_caller(), request.op.op_id, request.title, request.body, request.audience)
        return pb.NoticeResponse(notice=notice_pb(self.use.post_notice(cmd), None))

    def ListNotices(self, request: pb.ListNoticesRequest, context: Any) -> pb.ListNoticesResponse:
        found = self.use.list_notices(require_caller())
        return pb.ListNoticesResponse(
            notices=[notice_pb(i.notice, i.read_at) for i in found.items], unread=found.unread
        )

    def ReadNotice(self, request: pb.NoticeIdRequest, context: Any) -> pb.NoticeReceipt:
        return receipt_pb(self.use.read_notice(require_caller(), request.notice_id))

    def ListNoticeReceipts(self, request: pb.NoticeIdRequest, context: Any) -> pb.ListNoticeReceiptsResponse:
        receipts = self.use.notice_receipts(require_caller(), request.notice_id)
        return pb.ListNoticeReceiptsResponse(receipts=[receipt_pb(r) for r in receipts])

    def BookAppointment(self, request: pb.BookAppointmentRequest, context: Any) -> pb.BookAppointmentResponse:
        cmd = appointments.BookAppointment(
            require_caller(),
            request.op.op_id,
            request.customer_id,
            request.scheduled_at,
            request.duration_min,
            request.purpose,
        )
        booking = self.use.book_appointment(cmd)
        return pb.BookAppointmentResponse(appointment=appointment_pb(booking.appointment), warnings=booking.warnings)

    def ListAppointments(self, request: pb.ListAppointmentsRequest, context: Any) -> pb.ListAppointmentsResponse:
        query = appointments.ListAppointments(require_caller(), request.date, request.manager_id)
        return pb.ListAppointmentsResponse(appointments=[appointment_pb(a) for a in self.use.list_appointments(query)])

    def ListFollowUps(self, request: pb.ListFollowUpsRequest, context: Any) -> pb.ListFollowUpsResponse:
        query = followups.ListFollowUps(require_caller(), request.manager_id, request.include_done)
        views = self.use.list_follow_ups(query)
        return pb.ListFollowUpsResponse(follow_ups=[follow_up_pb(v.item, v.overdue) for v in views])

    def CloseFollowUp(self, request: pb.CloseFollowUpRequest, context: Any) -> pb.FollowUpMessage:
        return follow_up_pb(self.use.close_follow_up(require_caller(), request.follow_up_id), False)

    def AddContact(self, request: pb.AddContactRequest, context: Any) -> pb.ContactMessage:
        cmd = contacts.AddContact(
            require_caller(), request.op.op_id, request.customer_id, request.name, request.role, request.phone
        )
        return contact_pb(self.use.add_contact(cmd))

    def SearchContacts(self, request: pb.SearchContactsRequest, context: Any) -> pb.SearchContactsResponse:
        query = contacts.SearchContacts(require_caller(), request.q, request.role, request.customer_id)
        return pb.SearchContactsResponse(contacts=[contact_pb(c) for c in self.use.search_contacts(query)])

    def OpenIssue(self, request: pb.OpenIssueRequest, context: Any) -> pb.IssueMessage:
        cmd = issues.OpenIssue(require_caller(), request.op.op_id, request.customer_id, request.kind, request.text)
        return issue_pb(self.use.open_issue(cmd), False)

    def ListIssues(self, request: pb.ListIssuesRequest, context: Any) -> pb.ListIssuesResponse:
        views = self.use.list_issues(require_caller(), request.status)
        return pb.ListIssuesResponse(issues=[issue_pb(v.issue, v.overdue) for v in views])

    def MoveIssue(self, request: pb.MoveIssueRequest, context: Any) -> pb.IssueMessage:
        view = self.use.move_issue(issues.MoveIssue(require_caller(), request.issue_id, request.status, request.note))
        return issue_pb(view.issue, view.overdue)

    def SaveWorkSummary(self, request: pb.SaveWorkSummaryRequest, context: Any) -> pb.WorkSummaryMessage:
        cmd = summaries.SaveSummary(require_caller(), request.date, request.summary, request.next_day_plan)
        return summary_pb(self.use.save_summary(cmd))

    def GetWorkSummary(self, request: pb.GetWorkSummaryRequest, context: Any) -> pb.WorkSummaryMessage:
        return summary_pb(self.use.get_summary(require_caller(), request.date, request.manager_id))

    def UploadDocument(self, request: pb.UploadDocumentRequest, context: Any) -> pb.DocumentMessage:
        cmd = documents.UploadDocument(
            require_caller(), request.op.op_id, request.category, request.title, request.body
        )
        return document_pb(self.use.upload_document(cmd))

    def ListDocuments(self, request: pb.ListDocumentsRequest, context: Any) -> pb.ListDocumentsResponse:
        found = self.use.list_documents(require_caller(), request.category)
        return pb.ListDocumentsResponse(documents=[document_pb(d) for d in found])

    def StartThread(self, request: pb.StartThreadRequest, context: Any) -> pb.ThreadMessage:
        cmd = messages.StartThread(
            require_caller(),
            request.op.op_id,
            request.channel,
            request.subject,
            tuple(request.participants),
            request.text,
        )
        return thread_pb(self.use.start_thread(cmd), 0)

    def ListThreads(self, request: pb.ListThreadsRequest, context: Any) -> pb.ListThreadsResponse:
        views = self.use.list_threads(require_caller(), request.channel)
        return pb.ListThreadsResponse(threads=[thread_pb(v.thread, v.unread) for v in views])

    def ListThreadMessages(self, request: pb.ThreadIdRequest, context: Any) -> pb.ListThreadMessagesResponse:
        found = self.use.thread_messages(require_caller(), request.thread_id)
        return pb.ListThreadMessagesResponse(messages=[chat_pb(m) for m in found])

    def PostMessage(self, request: pb.PostMessageRequest, context: Any) -> pb.ChatMessage:
        cmd = messages.PostMessage(require_caller(), request.op.op_id, request.thread_id, request.text)
        return chat_pb(self.use.post_message(cmd))

    def ReadThread(self, request: pb.ThreadIdRequest, context: Any) -> pb.ReadThreadResponse:
        at = self.use.read_thread(require_caller(), request.thread_id)
        return pb.ReadThreadResponse(thread_id=request.thread_id, read_at=iso(at))

    def AssignCustomer(self, request: pb.AssignCustomerRequest, context: Any) -> pb.AssignmentMessage:
        cmd = assignments.AssignCustomer(
            require_caller(),
            request.op.op_id,
            request.customer_id,
            request.manager_id,
            request.reason,
            team_id=request.team_id,
            effective_from=request.effective_from,
        )
        return assignment_pb(self.use.assign_customer(cmd))

    def ListAssignments(self, request: pb.ListAssignmentsRequest, context: Any) -> pb.ListAssignmentsResponse:
        found = self.use.assignment_history(require_caller(), request.customer_id)
        return pb.ListAssignmentsResponse(assignments=[assignment_pb(a) for a in found])

    def ImportCustomers(self, request: pb.ImportCustomersRequest, context: Any) -> pb.ImportReport:
        rows = [customer_from_pb(c) for c in request.customers]
        return import_report_pb(self.use.import_customers(imports.ImportCustomers(require_caller(), rows)))

    def ImportPlans(self, request: pb.ImportPlansRequest, context: Any) -> pb.ImportReport:
        rows = [
            PlanRow(r.manager_id, r.team_id, r.date, r.customer_id, r.order, r.method, tuple(r.task_codes))
            for r in request.visits
        ]
        return import_report_pb(self.use.import_plans(imports.ImportPlans(require_caller(), rows)))

    def ImportTasks(self, request: pb.ImportTasksRequest, context: Any) -> pb.ImportReport:
        rows = [LibraryTask(t.code, t.name, t.kind, t.method) for t in request.tasks]
        return import_report_pb(self.use.import_tasks(imports.ImportTasks(require_caller(), rows)))

    def GetCustomerFile(self, request: pb.CustomerFileRequest, context: Any) -> pb.CustomerFile:
        return customer_file_pb(self.use.get_customer_file(require_caller(), request.customer_id))

    def UpdateCustomerFile(self, request: pb.UpdateCustomerFileRequest, context: Any) -> pb.CustomerFile:
        cmd = customer_file.UpdateCustomerFile(
            require_caller(), request.customer_id, request.expected_version, dict(request.fields)
        )
        return customer_file_pb(self.use.update_customer_file(cmd))

    def ListCustomerVersions(self, request: pb.CustomerFileRequest, context: Any) -> pb.ListCustomerVersionsResponse:
        found = self.use.list_customer_versions(require_caller(), request.customer_id)
        return pb.ListCustomerVersionsResponse(versions=[customer_version_pb(v) for v in found])


def customer_from_pb(c: pb.Customer) -> Customer:
    return Customer(
        id=c.id,
        code=c.code,
        name=c.name,
        manager_id=c.manager_id,
        team_id=c.team_id,
        short_code=c.short_code,
        licence_no=c.licence_no,
        address=c.address,
        lat=c.location.lat,
        lon=c.location.lon,
        star=c.star,
        terminal_type=c.terminal_type,
        credit_grade=c.credit_grade,
        value_class=c.value_class,
        order_type=c.order_type,
        settlement_method=c.settlement_method,
        phone=c.phone,
        route_id=c.route_id,
        area_id=c.area_id,
    )


def customer_file_pb(view: customer_file.CustomerFileView) -> pb.CustomerFile:
    since = view.responsible_since
    return pb.CustomerFile(
        customer=customer_pb(view.customer),
        responsible_since=iso(since) if since else "",
        contacts=[contact_pb(c) for c in view.contacts],
    )


def customer_version_pb(v: CustomerVersion) -> pb.CustomerVersion:
    return pb.CustomerVersion(
        version=v.version,
        changed_by=v.changed_by,
        changed_at=iso(v.changed_at),
        source=v.source,
        changes=[pb.FieldChange(field=f, before=b, after=a) for f, b, a in v.changes],
    )


def import_report_pb(report: ImportReport) -> pb.ImportReport:
    return pb.ImportReport(
        applied=report.applied,
        unchanged=report.unchanged,
        rejected=[
            pb.ImportProblem(index=index, field=name, reason=reason)
            for index, (name, reason) in sorted(report.rejected.items())
        ],
    )


def assignment_pb(a: Assignment) -> pb.AssignmentMessage:
    return pb.AssignmentMessage(
        assignment_id=a.id,
        customer_id=a.customer_id,
        manager_id=a.manager_id,
        team_id=a.team_id,
        previous_manager_id=a.previous_manager_id,
        effective_from=iso(a.effective_from),
        assigned_by=a.assigned_by,
        reason=a.reason,
    )


def thread_pb(t: Thread, unread: int) -> pb.ThreadMessage:
    return pb.ThreadMessage(
        thread_id=t.id,
        channel=t.channel.value,
        subject=t.subject,
        participants=list(t.participants),
        created_by=t.created_by,
        last_message_at=iso(t.last_message_at),
        unread=unread,
    )


def chat_pb(m: Message) -> pb.ChatMessage:
    return pb.ChatMessage(
        message_id=m.id, thread_id=m.thread_id, author_id=m.author_id, text=m.text, sent_at=iso(m.sent_at)
    )


def document_pb(d: Document) -> pb.DocumentMessage:
    return pb.DocumentMessage(
        document_id=d.id,
        category=d.category.value,
        title=d.title,
        body=d.body,
        uploaded_by=d.uploaded_by,
        uploaded_at=iso(d.uploaded_at),
    )


def summary_pb(s: WorkSummary) -> pb.WorkSummaryMessage:
    return pb.WorkSummaryMessage(
        manager_id=s.manager_id,
        date=s.date,
        summary=s.summary,
        next_day_plan=s.next_day_plan,
        saved_at=iso(s.saved_at),
        versions=[
            pb.WorkSummaryVersion(summary=v.summary, next_day_plan=v.next_day_plan, saved_at=iso(v.saved_at))
            for v in s.versions
        ],
    )


def issue_pb(i: Issue, overdue: bool) -> pb.IssueMessage:
    return pb.IssueMessage(
        issue_id=i.id,
        kind=i.kind.value,
        customer_id=i.customer_id,
        manager_id=i.manager_id,
        text=i.text,
        status=i.status.value,
        opened_at=iso(i.opened_at),
        reply_due_at=i.reply_due_at.isoformat(),
        overdue=overdue,
        history=[pb.IssueChange(status=c.status.value, at=iso(c.at), by=c.by, note=c.note) for c in i.history],
    )


def contact_pb(c: Contact) -> pb.ContactMessage:
    return pb.ContactMessage(
        contact_id=c.id,
        customer_id=c.customer_id,
        name=c.name,
        role=c.role.value,
        phone=c.phone,
        manager_id=c.manager_id,
    )


def follow_up_pb(f: FollowUp, overdue: bool) -> pb.FollowUpMessage:
    return pb.FollowUpMessage(
        follow_up_id=f.id,
        kind=f.kind.value,
        manager_id=f.manager_id,
        customer_id=f.customer_id,
        visit_id=f.visit_id,
        text=f.text,
        due_at=iso(f.due_at),
        done_at=iso(f.done_at) if f.done_at else "",
        overdue=overdue,
    )


def appointment_pb(a: Appointment) -> pb.Appointment:
    return pb.Appointment(
        appointment_id=a.id,
        manager_id=a.manager_id,
        customer_id=a.customer_id,
        booked_at=iso(a.booked_at),
        scheduled_at=iso(a.scheduled_at),
        duration_min=a.duration_min,
        purpose=a.purpose,
        date=a.date,
    )


def note_pb(n: Note) -> pb.Note:
    return pb.Note(note_id=n.id, title=n.title, body=n.body, created_at=iso(n.created_at), updated_at=iso(n.updated_at))


def notice_pb(n: Notice, read_at: datetime | None) -> pb.Notice:
    return pb.Notice(
        notice_id=n.id,
        author_id=n.author_id,
        audience=n.audience,
        title=n.title,
        body=n.body,
        sent_at=iso(n.sent_at),
        read_at=iso(read_at) if read_at else "",
    )


def receipt_pb(r: NoticeRead) -> pb.NoticeReceipt:
    return pb.NoticeReceipt(notice_id=r.notice_id, reader_id=r.reader_id, read_at=iso(r.read_at))


def customer_pb(c: Customer) -> pb.Customer:
    return pb.Customer(
        id=c.id,
        code=c.code,
        short_code=c.short_code,
        name=c.name,
        licence_no=c.licence_no,
        address=c.address,
        location=common_pb2.GeoPoint(lat=c.lat, lon=c.lon),
        star=c.star,
        terminal_type=c.terminal_type,
        credit_grade=c.credit_grade,
        value_class=c.value_class,
        order_type=c.order_type,
        settlement_method=c.settlement_method,
        manager_id=c.manager_id,
        team_id=c.team_id,
        phone=c.phone,
        route_id=c.route_id,
        area_id=c.area_id,
        version=c.version,
    )


def task_pb(t: Task) -> pb.Task:
    return pb.Task(
        task_id=t.task_id,
        code=t.code,
        name=t.name,
        kind=t.kind,
        status=t.status.value,
        method=t.method,
        completed_at=t.completed_at,
        note=t.note,
    )


def visit_pb(view: VisitView, with_tasks: bool = True) -> pb.Visit:
    v: Visit = view.visit
    message = pb.Visit(
        visit_id=v.id,
        manager_id=v.manager_id,
        team_id=v.team_id,
        date=v.date,
        method=v.method.value,
        status=v.status.value,
        temporary=v.temporary,
        order=v.order,
        checkin_id=v.checkin_id,
        checked_in_at=iso(v.checked_in_at) if v.checked_in_at else "",
        completed_at=v.completed_client_ts or (iso(v.completed_at) if v.completed_at else ""),
        summary=v.summary,
        next_steps=v.next_steps,
        tasks_total=v.tasks_total,
        tasks_done=v.tasks_done,
    )
    if view.customer is not None:
        message.customer.CopyFrom(customer_pb(view.customer))
    else:
        message.customer.id = v.customer_id
    if with_tasks:
        message.tasks.extend(task_pb(t) for t in v.tasks)
        message.unplanned_tasks.extend(pb.UnplannedTask(text=u.text, client_ts=u.client_ts) for u in v.unplanned_tasks)
    return message


def counts_pb(c: PlanCounts) -> pb.PlanCounts:
    return pb.PlanCounts(
        planned_customers=c.planned_customers,
        completed_customers=c.completed_customers,
        planned_tasks=c.planned_tasks,
        executed_tasks=c.executed_tasks,
        temporary_customers=c.temporary_customers,
    )


def servicer(deps: GrpcDeps) -> Servicer:
    return Servicer(
        planning_pb2_grpc.add_PlanningServiceServicer_to_server, PlanningServicer(deps), SERVICE_NAME, CALLERS
    )


def run() -> None:
    settings = PlanningSettings()
    configure_logging("planning", "grpc", settings.log_level)
    deps = bootstrap.build_grpc(settings)
    serve(settings, [servicer(deps)], readiness=deps.readiness, on_stop=deps.close)
