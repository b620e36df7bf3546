"""The composition root: the only place that creates clients and adapters.

build_worker must not import grpc_api or any gRPC client module (workers run under eventlet).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pymongo import MongoClient
from pymongo.database import Database

from baifang_common import health
from baifang_common import mongo as mongo_factory
from baifang_common.context import Caller
from baifang_common.idempotency import OpStore
from baifang_common.mongo import Document
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import today
from planning.adapters.appointment_store import AppointmentStore
from planning.adapters.assignment_store import AssignmentStore
from planning.adapters.assistant_store import NoteStore, NoticeStore
from planning.adapters.contact_store import ContactStore
from planning.adapters.customer_store import CustomerStore
from planning.adapters.customer_version_store import CustomerVersionStore
from planning.adapters.document_store import DocumentStore
from planning.adapters.followup_store import FollowUpStore
from planning.adapters.issue_store import IssueStore
from planning.adapters.message_store import MessageStore
from planning.adapters.summary_store import WorkSummaryStore
from planning.adapters.task_library_store import TaskLibraryStore
from planning.adapters.visit_store import VisitStore
from planning.domain.appointments import Appointment
from planning.domain.assignments import Assignment
from planning.domain.assistant import Note, Notice, NoticeRead
from planning.domain.contacts import Contact
from planning.domain.customer_file import CustomerVersion
from planning.domain.documents import Document as LibraryDocument
from planning.domain.followups import FollowUp
from planning.domain.imports import ImportReport
from planning.domain.issues import Issue
from planning.domain.messages import Message, Thread
from planning.domain.model import LibraryTask
from planning.domain.rules import PlanSummary, ServingScope
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
    library,
    messages,
    plans,
    route,
    summaries,
    temporary,
    visits,
)

if TYPE_CHECKING:
    from baifang_common.inbox import ProcessedEvents


@dataclass(frozen=True)
class Stores:
    customers: CustomerStore
    visits: VisitStore
    library: TaskLibraryStore
    ops: OpStore
    notes: NoteStore
    notices: NoticeStore
    appointments: AppointmentStore
    follow_ups: FollowUpStore
    contacts: ContactStore
    issues: IssueStore
    summaries: WorkSummaryStore
    documents: DocumentStore
    messages: MessageStore
    assignments: AssignmentStore
    versions: CustomerVersionStore


def build_stores(db: Database[Document]) -> Stores:
    """All of planning's stores over one database, with their indexes in place."""
    stores = Stores(
        customers=CustomerStore(db["customers"]),
        visits=VisitStore(db["visits"]),
        library=TaskLibraryStore(db["task_library"]),
        ops=OpStore(db["ops"]),
        notes=NoteStore(db["notes"]),
        notices=NoticeStore(db["notices"], db["notice_reads"]),
        appointments=AppointmentStore(db["appointments"]),
        follow_ups=FollowUpStore(db["follow_ups"]),
        contacts=ContactStore(db["contacts"]),
        issues=IssueStore(db["issues"]),
        summaries=WorkSummaryStore(db["work_summaries"]),
        documents=DocumentStore(db["documents"]),
        messages=MessageStore(db["threads"], db["messages"], db["thread_reads"]),
        assignments=AssignmentStore(db["customer_assignments"]),
        versions=CustomerVersionStore(db["customer_versions"]),
    )
    stores.versions.ensure_indexes()
    stores.assignments.ensure_indexes()
    stores.messages.ensure_indexes()
    stores.documents.ensure_indexes()
    stores.issues.ensure_indexes()
    stores.contacts.ensure_indexes()
    stores.follow_ups.ensure_indexes()
    stores.appointments.ensure_indexes()
    stores.notes.ensure_indexes()
    stores.notices.ensure_indexes()
    stores.customers.ensure_indexes()
    stores.visits.ensure_indexes()
    stores.library.ensure_indexes()
    return stores


@dataclass(frozen=True)
class GrpcDeps:
    settings: PlanningSettings
    mongo: MongoClient[Document]
    customers: CustomerStore
    visits: VisitStore
    library: TaskLibraryStore
    ops: OpStore
    notes: NoteStore
    notices: NoticeStore
    appointments: AppointmentStore
    follow_ups: FollowUpStore
    contacts: ContactStore
    issues: IssueStore
    summaries: WorkSummaryStore
    documents: DocumentStore
    messages: MessageStore
    assignments: AssignmentStore
    versions: CustomerVersionStore
    publisher: EventPublisher
    readiness: health.Readiness

    def close(self) -> None:
        self.publisher.close()
        self.mongo.close()


@dataclass(frozen=True)
class UseCases:
    """The gRPC process's use cases with their dependencies bound: what the servicer calls."""

    list_visits: Callable[[visits.ListVisits], list[visits.VisitView]]
    get_visit: Callable[[visits.GetVisit], visits.VisitView]
    get_plan_summary: Callable[[plans.GetPlanSummary], PlanSummary]
    list_task_library: Callable[[], list[LibraryTask]]
    get_customer_qr: Callable[[customers.GetCustomerQr], str]
    check_in_visit: Callable[[checkins.CheckInVisit], checkins.CheckinOutcome]
    resolve_visit_for_checkin: Callable[[checkins.ResolveVisitForCheckin], checkins.Resolution]
    mark_checked_in: Callable[[checkins.MarkCheckedIn], checkins.CheckinMark]
    complete_task: Callable[[visits.CompleteTask], visits.TaskResult]
    complete_visit: Callable[[visits.CompleteVisit], visits.VisitResult]
    add_unplanned_task: Callable[[visits.AddUnplannedTask], visits.VisitResult]
    lookup_customer: Callable[[temporary.LookupCustomer], temporary.CustomerLookup]
    add_temporary_visit: Callable[[temporary.AddTemporaryVisit], temporary.TemporaryVisitResult]
    suggest_route: Callable[[route.SuggestRoute], route.SuggestedRoute]
    create_note: Callable[[assistant.WriteNote], Note]
    list_notes: Callable[[Caller], list[Note]]
    update_note: Callable[[assistant.WriteNote], Note]
    delete_note: Callable[[Caller, str], None]
    post_notice: Callable[[assistant.PostNotice], Notice]
    list_notices: Callable[[Caller], assistant.NoticeList]
    read_notice: Callable[[Caller, str], NoticeRead]
    notice_receipts: Callable[[Caller, str], list[NoticeRead]]
    book_appointment: Callable[[appointments.BookAppointment], appointments.Booking]
    list_appointments: Callable[[appointments.ListAppointments], list[Appointment]]
    list_follow_ups: Callable[[followups.ListFollowUps], list[followups.FollowUpView]]
    close_follow_up: Callable[[Caller, str], FollowUp]
    add_contact: Callable[[contacts.AddContact], Contact]
    search_contacts: Callable[[contacts.SearchContacts], list[Contact]]
    open_issue: Callable[[issues.OpenIssue], Issue]
    list_issues: Callable[[Caller, str], list[issues.IssueView]]
    move_issue: Callable[[issues.MoveIssue], issues.IssueView]
    save_summary: Callable[[summaries.SaveSummary], WorkSummary]
    get_summary: Callable[[Caller, str, str], WorkSummary]
    upload_document: Callable[[documents.UploadDocument], LibraryDocument]
    list_documents: Callable[[Caller, str], list[LibraryDocument]]
    start_thread: Callable[[messages.StartThread], Thread]
    post_message: Callable[[messages.PostMessage], Message]
    list_threads: Callable[[Caller, str], list[messages.ThreadView]]
    thread_messages: Callable[[Caller, str], list[Message]]
    read_thread: Callable[[Caller, str], datetime]
    assign_customer: Callable[[assignments.AssignCustomer], Assignment]
    assignment_history: Callable[[Caller, str], list[Assignment]]
    import_customers: Callable[[imports.ImportCustomers], ImportReport]
    import_plans: Callable[[imports.ImportPlans], ImportReport]
    import_tasks: Callable[[imports.ImportTasks], ImportReport]
    get_customer_file: Callable[[Caller, str], customer_file.CustomerFileView]
    update_customer_file: Callable[[customer_file.UpdateCustomerFile], customer_file.CustomerFileView]
    list_customer_versions: Callable[[Caller, str], list[CustomerVersion]]


@dataclass(frozen=True)
class WorkerDeps:
    settings: PlanningSettings
    visits: VisitStore
    customers: CustomerStore
    publisher: EventPublisher
    inbox: ProcessedEvents
    late: visits.LateUploads


def build_grpc(settings: PlanningSettings) -> GrpcDeps:
    mongo = mongo_factory.client(settings)
    stores = build_stores(mongo_factory.database(settings, mongo))
    readiness = health.Readiness({"mongo": health.mongo_check(mongo), "amqp": health.amqp_check(settings.amqp_uri)})
    return GrpcDeps(
        settings=settings,
        mongo=mongo,
        customers=stores.customers,
        visits=stores.visits,
        library=stores.library,
        ops=stores.ops,
        notes=stores.notes,
        notices=stores.notices,
        appointments=stores.appointments,
        follow_ups=stores.follow_ups,
        contacts=stores.contacts,
        issues=stores.issues,
        summaries=stores.summaries,
        documents=stores.documents,
        messages=stores.messages,
        assignments=stores.assignments,
        versions=stores.versions,
        publisher=EventPublisher(settings.amqp_uri),
        readiness=readiness,
    )


def use_cases(deps: GrpcDeps) -> UseCases:
    """Bind each use case to its adapters once."""
    partial = functools.partial
    v, c = deps.visits, deps.customers
    write = {"visits": v, "customers": c, "ops": deps.ops, "publisher": deps.publisher}
    late = late_uploads(deps.settings)
    serving = {"scope": ServingScope(deps.settings.serving_scope), "today": partial(today, deps.settings.timezone)}
    return UseCases(
        list_visits=partial(visits.list_visits, visits=v, customers=c),
        get_visit=partial(visits.get_visit, visits=v, customers=c),
        get_plan_summary=partial(plans.get_plan_summary, visits=v, customers=c, timezone=deps.settings.timezone),
        list_task_library=partial(library.list_task_library, library=deps.library),
        get_customer_qr=partial(customers.get_customer_qr, customers=c),
        check_in_visit=partial(
            checkins.check_in_visit, visits=v, customers=c, appointments=deps.appointments, late=late
        ),
        resolve_visit_for_checkin=partial(checkins.resolve_visit_for_checkin, visits=v, customers=c),
        mark_checked_in=partial(checkins.mark_checked_in, visits=v, late=late),
        complete_task=partial(visits.complete_task, **write, late=late),
        complete_visit=partial(
            visits.complete_visit,
            **write,
            late=late,
            after=partial(followups.record_follow_ups, follow_ups=deps.follow_ups, publisher=deps.publisher),
        ),
        add_unplanned_task=partial(visits.add_unplanned_task, **write),
        lookup_customer=partial(temporary.lookup_customer, visits=v, customers=c, **serving),
        add_temporary_visit=partial(temporary.add_temporary_visit, library=deps.library, **write, **serving),
        suggest_route=partial(route.suggest_route, visits=v, customers=c),
        **_assistant_use_cases(deps),
    )


def _assistant_use_cases(deps: GrpcDeps) -> dict[str, Any]:
    """The visit assistant, appointments, follow-ups, contacts and customer issues, bound once."""
    partial = functools.partial
    c = deps.customers
    scope = ServingScope(deps.settings.serving_scope)
    out = deps.publisher
    return {
        "create_note": partial(assistant.create_note, notes=deps.notes, publisher=out),
        "list_notes": partial(assistant.list_notes, notes=deps.notes),
        "update_note": partial(assistant.update_note, notes=deps.notes, publisher=out),
        "delete_note": partial(assistant.delete_note, notes=deps.notes, publisher=out),
        "post_notice": partial(assistant.post_notice, notices=deps.notices, publisher=out),
        "list_notices": partial(assistant.list_notices, notices=deps.notices),
        "read_notice": partial(assistant.read_notice, notices=deps.notices, publisher=out),
        "notice_receipts": partial(assistant.notice_receipts, notices=deps.notices),
        "book_appointment": partial(
            appointments.book_appointment,
            appointments=deps.appointments,
            customers=c,
            scope=scope,
            timezone=deps.settings.timezone,
            publisher=out,
        ),
        "list_appointments": partial(appointments.list_appointments, appointments=deps.appointments, customers=c),
        "list_follow_ups": partial(followups.list_follow_ups, follow_ups=deps.follow_ups, customers=c),
        "close_follow_up": partial(followups.close_follow_up, follow_ups=deps.follow_ups, publisher=out),
        "add_contact": partial(contacts.add_contact, contacts=deps.contacts, customers=c, scope=scope),
        "search_contacts": partial(contacts.search_contacts, contacts=deps.contacts, customers=c),
        "open_issue": partial(
            issues.open_issue,
            issues_store=deps.issues,
            customers=c,
            scope=scope,
            timezone=deps.settings.timezone,
            publisher=out,
        ),
        "list_issues": partial(issues.list_issues, issues_store=deps.issues),
        "move_issue": partial(issues.move_issue, issues_store=deps.issues, publisher=out),
        **_office_use_cases(deps),
    }


def _office_use_cases(deps: GrpcDeps) -> dict[str, Any]:
    """Work summaries, the document library, message threads and customer assignment, bound once."""
    partial = functools.partial
    c = deps.customers
    return {
        "save_summary": partial(
            summaries.save_summary,
            summaries_store=deps.summaries,
            today=partial(today, deps.settings.timezone),
            publisher=deps.publisher,
        ),
        "get_summary": partial(summaries.get_summary, summaries_store=deps.summaries, customers=c),
        "upload_document": partial(documents.upload_document, documents=deps.documents),
        "list_documents": partial(documents.list_documents, documents=deps.documents),
        "start_thread": partial(messages.start_thread, store=deps.messages),
        "post_message": partial(messages.post_message, store=deps.messages),
        "list_threads": partial(messages.list_threads, store=deps.messages),
        "thread_messages": partial(messages.thread_messages, store=deps.messages),
        "read_thread": partial(messages.read_thread, store=deps.messages),
        "assign_customer": partial(
            assignments.assign_customer, customers=c, assignments=deps.assignments, publisher=deps.publisher
        ),
        "assignment_history": partial(assignments.assignment_history, customers=c, assignments=deps.assignments),
        **_import_use_cases(deps),
    }


def _import_use_cases(deps: GrpcDeps) -> dict[str, Any]:
    """The marketing system's imports: customers, visit plans and the base task library."""
    partial = functools.partial
    return {
        "import_customers": partial(
            imports.import_customers,
            customers=deps.customers,
            assignments=deps.assignments,
            versions=deps.versions,
            publisher=deps.publisher,
        ),
        "import_plans": partial(
            imports.import_plans,
            visits=deps.visits,
            customers=deps.customers,
            library=deps.library,
            publisher=deps.publisher,
        ),
        "import_tasks": partial(imports.import_tasks, library=deps.library),
        **_customer_file_use_cases(deps),
    }


def _customer_file_use_cases(deps: GrpcDeps) -> dict[str, Any]:
    """The customer file: read, edited on a version, its history."""
    partial = functools.partial
    file_stores = {"customers": deps.customers, "assignments": deps.assignments, "contacts": deps.contacts}
    return {
        "get_customer_file": partial(customer_file.get_customer_file, **file_stores),
        "update_customer_file": partial(
            customer_file.update_customer_file, **file_stores, versions=deps.versions, publisher=deps.publisher
        ),
        "list_customer_versions": partial(
            customer_file.list_customer_versions, customers=deps.customers, versions=deps.versions
        ),
    }


def build_worker(settings: PlanningSettings) -> WorkerDeps:
    # Imported here: baifang_common.worker pulls in eventlet and nameko, which the gRPC process must never load.
    from baifang_common.inbox import ProcessedEvents

    mongo = mongo_factory.client(settings)
    db = mongo_factory.database(settings, mongo)
    stores = build_stores(db)
    inbox_collection = db["processed_events"]
    return WorkerDeps(
        settings=settings,
        visits=stores.visits,
        customers=stores.customers,
        publisher=EventPublisher(settings.amqp_uri),
        inbox=ProcessedEvents(inbox_collection),
        late=late_uploads(settings),
    )


def late_uploads(settings: PlanningSettings) -> visits.LateUploads:
    return visits.LateUploads(settings.timezone, settings.late_upload_days)
