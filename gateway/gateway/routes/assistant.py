"""Visit assistant (planning service): the private notebook and notices with read receipts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from baifang.common.v1 import common_pb2
from baifang.planning.v1 import planning_pb2
from baifang_common.context import Caller
from gateway.auth import current_caller
from gateway.deps import Deps, get_deps
from gateway.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, page
from gateway.routes import API_PREFIX
from gateway.schemas.assistant import (
    ContactRequest,
    DocumentRequest,
    IssueRequest,
    IssueStatusRequest,
    MessageRequest,
    NoteRequest,
    NoticeRequest,
    ThreadRequest,
    WorkSummaryRequest,
)

router = APIRouter(prefix=API_PREFIX, tags=["assistant"])

Id = Annotated[str, Path(min_length=1, max_length=128)]
CallerDep = Annotated[Caller, Depends(current_caller)]
DepsDep = Annotated[Deps, Depends(get_deps)]


def note_item(n: planning_pb2.Note) -> dict[str, Any]:
    return {
        "note_id": n.note_id,
        "title": n.title,
        "body": n.body,
        "created_at": n.created_at,
        "updated_at": n.updated_at,
    }


def notice_item(n: planning_pb2.Notice) -> dict[str, Any]:
    return {
        "notice_id": n.notice_id,
        "author_id": n.author_id,
        "audience": n.audience,
        "title": n.title,
        "body": n.body,
        "sent_at": n.sent_at,
        "read": bool(n.read_at),
        "read_at": n.read_at or None,
    }


@router.get("/notes")
async def list_notes(caller: CallerDep, deps: DepsDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Any:
    """The caller's own notes, newest change first (nobody else's, whatever the role)."""
    offset = decode_cursor(cursor)
    answer = await deps.clients.call(deps.clients.planning.ListNotes, planning_pb2.ListNotesRequest(), caller)
    return page([note_item(n) for n in answer.notes], limit, offset)


@router.post("/notes", status_code=201)
async def create_note(body: NoteRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    op = common_pb2.OpMeta(op_id=body.op_id or "")
    request = planning_pb2.WriteNoteRequest(op=op, title=body.title, body=body.body)
    answer = await deps.clients.call(deps.clients.planning.CreateNote, request, caller, write=True)
    return note_item(answer.note)


@router.put("/notes/{note_id}")
async def update_note(note_id: Id, body: NoteRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Replace title and body; 404 note_not_found for a note that is not the caller's."""
    request = planning_pb2.WriteNoteRequest(note_id=note_id, title=body.title, body=body.body)
    answer = await deps.clients.call(deps.clients.planning.UpdateNote, request, caller, write=True)
    return note_item(answer.note)


@router.delete("/notes/{note_id}", status_code=204)
async def delete_note(note_id: Id, caller: CallerDep, deps: DepsDep) -> Response:
    request = planning_pb2.DeleteNoteRequest(note_id=note_id)
    await deps.clients.call(deps.clients.planning.DeleteNote, request, caller, write=True)
    return Response(status_code=204)


def contact_item(c: planning_pb2.ContactMessage) -> dict[str, Any]:
    return {
        "contact_id": c.contact_id,
        "customer_id": c.customer_id,
        "name": c.name,
        "role": c.role,
        "phone": c.phone,
        "manager_id": c.manager_id,
    }


@router.get("/contacts")
async def search_contacts(
    caller: CallerDep,
    deps: DepsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=20)] = "",
    customer_id: Annotated[str, Query(max_length=128)] = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Any:
    """Contacts the caller may see (own customers; a supervisor the team's), by name, phone or customer name."""
    offset = decode_cursor(cursor)
    request = planning_pb2.SearchContactsRequest(q=q, role=role, customer_id=customer_id)
    answer = await deps.clients.call(deps.clients.planning.SearchContacts, request, caller)
    return page([contact_item(c) for c in answer.contacts], limit, offset)


@router.post("/contacts", status_code=201)
async def add_contact(body: ContactRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """A person at an outlet the caller serves (403 otherwise); a replayed op_id answers the first contact."""
    op = common_pb2.OpMeta(op_id=body.op_id)
    request = planning_pb2.AddContactRequest(
        op=op, customer_id=body.customer_id, name=body.name, role=body.role, phone=body.phone
    )
    answer = await deps.clients.call(deps.clients.planning.AddContact, request, caller, write=True)
    return contact_item(answer)


def issue_item(i: planning_pb2.IssueMessage) -> dict[str, Any]:
    return {
        "issue_id": i.issue_id,
        "kind": i.kind,
        "customer_id": i.customer_id,
        "manager_id": i.manager_id,
        "text": i.text,
        "status": i.status,
        "opened_at": i.opened_at,
        "reply_due_at": i.reply_due_at,
        "overdue": i.overdue,
        "history": [{"status": c.status, "at": c.at, "by": c.by, "note": c.note or None} for c in i.history],
    }


@router.post("/customer-issues", status_code=201)
async def open_issue(body: IssueRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """A customer request or complaint; the written reply is due in 2 working days."""
    op = common_pb2.OpMeta(op_id=body.op_id)
    request = planning_pb2.OpenIssueRequest(op=op, customer_id=body.customer_id, kind=body.kind, text=body.text)
    answer = await deps.clients.call(deps.clients.planning.OpenIssue, request, caller, write=True)
    return issue_item(answer)


@router.get("/customer-issues")
async def list_issues(
    caller: CallerDep,
    deps: DepsDep,
    status: Annotated[str, Query(max_length=20)] = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Any:
    """Requests and complaints of the caller's customers (a supervisor: the team's), reply due first."""
    offset = decode_cursor(cursor)
    answer = await deps.clients.call(
        deps.clients.planning.ListIssues, planning_pb2.ListIssuesRequest(status=status), caller
    )
    return page([issue_item(i) for i in answer.issues], limit, offset)


@router.post("/customer-issues/{issue_id}/status")
async def move_issue(issue_id: Id, body: IssueStatusRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """open → in_progress → resolved, with a note kept in the history; 409 invalid_transition otherwise."""
    request = planning_pb2.MoveIssueRequest(issue_id=issue_id, status=body.status, note=body.note)
    answer = await deps.clients.call(deps.clients.planning.MoveIssue, request, caller, write=True)
    return issue_item(answer)


def summary_item(s: planning_pb2.WorkSummaryMessage) -> dict[str, Any]:
    return {
        "manager_id": s.manager_id,
        "date": s.date,
        "summary": s.summary,
        "next_day_plan": s.next_day_plan,
        "saved_at": s.saved_at,
        "versions": [
            {"summary": v.summary, "next_day_plan": v.next_day_plan, "saved_at": v.saved_at} for v in s.versions
        ],
    }


@router.put("/work-summaries/{day}")
async def save_work_summary(day: Id, body: WorkSummaryRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """The manager's summary of a day (today or past) and plan for the next; each save keeps the last as a version."""
    request = planning_pb2.SaveWorkSummaryRequest(date=day, summary=body.summary, next_day_plan=body.next_day_plan)
    answer = await deps.clients.call(deps.clients.planning.SaveWorkSummary, request, caller, write=True)
    return summary_item(answer)


@router.get("/work-summaries/{day}")
async def get_work_summary(
    day: Id, caller: CallerDep, deps: DepsDep, manager_id: Annotated[str, Query(max_length=64)] = ""
) -> dict[str, Any]:
    """A day's summary: the caller's, or a team member's for their supervisor; 404 when none was written."""
    request = planning_pb2.GetWorkSummaryRequest(date=day, manager_id=manager_id)
    answer = await deps.clients.call(deps.clients.planning.GetWorkSummary, request, caller)
    return summary_item(answer)


def document_item(d: planning_pb2.DocumentMessage, with_body: bool = True) -> dict[str, Any]:
    item = {"document_id": d.document_id, "category": d.category, "title": d.title, "uploaded_at": d.uploaded_at}
    return {**item, "uploaded_by": d.uploaded_by, "body": d.body} if with_body else item


@router.get("/library")
async def list_library(
    caller: CallerDep,
    deps: DepsDep,
    category: Annotated[str, Query(max_length=20)] = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Any:
    """The document library, newest first; `category` = law, minutes, brand_codes or work_method."""
    offset = decode_cursor(cursor)
    request = planning_pb2.ListDocumentsRequest(category=category)
    answer = await deps.clients.call(deps.clients.planning.ListDocuments, request, caller)
    return page([document_item(d) for d in answer.documents], limit, offset)


@router.post("/admin/library", status_code=201)
async def upload_document(body: DocumentRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Admins add a text document to the library; a replayed op_id answers the first."""
    op = common_pb2.OpMeta(op_id=body.op_id)
    request = planning_pb2.UploadDocumentRequest(op=op, category=body.category, title=body.title, body=body.body)
    answer = await deps.clients.call(deps.clients.planning.UploadDocument, request, caller, write=True)
    return document_item(answer)


def thread_item(t: planning_pb2.ThreadMessage) -> dict[str, Any]:
    return {
        "thread_id": t.thread_id,
        "channel": t.channel,
        "subject": t.subject,
        "participants": list(t.participants),
        "created_by": t.created_by,
        "last_message_at": t.last_message_at,
        "unread": t.unread,
    }


def message_item(m: planning_pb2.ChatMessage) -> dict[str, Any]:
    return {
        "message_id": m.message_id,
        "thread_id": m.thread_id,
        "author_id": m.author_id,
        "text": m.text,
        "sent_at": m.sent_at,
    }


@router.post("/threads", status_code=201)
async def start_thread(body: ThreadRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """A thread on one of the four channels with its first message; the caller is a participant."""
    request = planning_pb2.StartThreadRequest(
        op=common_pb2.OpMeta(op_id=body.op_id),
        channel=body.channel,
        subject=body.subject,
        participants=body.participants,
        text=body.text,
    )
    return thread_item(await deps.clients.call(deps.clients.planning.StartThread, request, caller, write=True))


@router.get("/threads")
async def list_threads(
    caller: CallerDep,
    deps: DepsDep,
    channel: Annotated[str, Query(max_length=20)] = "",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Any:
    """The caller's threads, latest activity first, with unread counts."""
    offset = decode_cursor(cursor)
    answer = await deps.clients.call(
        deps.clients.planning.ListThreads, planning_pb2.ListThreadsRequest(channel=channel), caller
    )
    return page([thread_item(t) for t in answer.threads], limit, offset)


@router.get("/threads/{thread_id}/messages")
async def thread_messages(
    thread_id: Id, caller: CallerDep, deps: DepsDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Any:
    offset = decode_cursor(cursor)
    request = planning_pb2.ThreadIdRequest(thread_id=thread_id)
    answer = await deps.clients.call(deps.clients.planning.ListThreadMessages, request, caller)
    return page([message_item(m) for m in answer.messages], limit, offset)


@router.post("/threads/{thread_id}/messages", status_code=201)
async def post_message(thread_id: Id, body: MessageRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    request = planning_pb2.PostMessageRequest(
        op=common_pb2.OpMeta(op_id=body.op_id), thread_id=thread_id, text=body.text
    )
    return message_item(await deps.clients.call(deps.clients.planning.PostMessage, request, caller, write=True))


@router.post("/threads/{thread_id}/read")
async def read_thread(thread_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    request = planning_pb2.ThreadIdRequest(thread_id=thread_id)
    answer = await deps.clients.call(deps.clients.planning.ReadThread, request, caller, write=True)
    return {"thread_id": answer.thread_id, "read_at": answer.read_at}


@router.get("/notices")
async def list_notices(caller: CallerDep, deps: DepsDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Any:
    """Notices that reach the caller (team and everyone), newest first, with `read` and the `unread` count."""
    offset = decode_cursor(cursor)
    answer = await deps.clients.call(deps.clients.planning.ListNotices, planning_pb2.ListNoticesRequest(), caller)
    return {**page([notice_item(n) for n in answer.notices], limit, offset), "unread": answer.unread}


@router.post("/notices", status_code=201)
async def post_notice(body: NoticeRequest, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Supervisor: to their own team; admin: `audience` = a team id or `all`. 403 otherwise."""
    request = planning_pb2.PostNoticeRequest(
        op=common_pb2.OpMeta(op_id=body.op_id), audience=body.audience, title=body.title, body=body.body
    )
    answer = await deps.clients.call(deps.clients.planning.PostNotice, request, caller, write=True)
    return notice_item(answer.notice)


@router.post("/notices/{notice_id}/read")
async def read_notice(notice_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """The caller's read receipt; the first read is kept."""
    answer = await deps.clients.call(
        deps.clients.planning.ReadNotice, planning_pb2.NoticeIdRequest(notice_id=notice_id), caller, write=True
    )
    return {"notice_id": answer.notice_id, "reader_id": answer.reader_id, "read_at": answer.read_at}


@router.get("/notices/{notice_id}/receipts")
async def notice_receipts(notice_id: Id, caller: CallerDep, deps: DepsDep) -> dict[str, Any]:
    """Who read the notice and when: its author and admins only."""
    answer = await deps.clients.call(
        deps.clients.planning.ListNoticeReceipts, planning_pb2.NoticeIdRequest(notice_id=notice_id), caller
    )
    return {"items": [{"reader_id": r.reader_id, "read_at": r.read_at} for r in answer.receipts], "next_cursor": None}
