"""Visit assistant (§1.5.11): the private notebook, and notices with read receipts (P-001-1). Online only."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.publisher import EventPublisher
from baifang_common.timeutil import now_utc
from planning.adapters.assistant_store import NoteStore, NoticeStore
from planning.domain import assistant
from planning.domain.assistant import EVERYONE, MAX_BODY, MAX_TITLE, Note, Notice, NoticeRead
from planning.domain.errors import NoticeNotAllowed, NoticeNotFound
from planning.usecases import events
from planning.usecases.events import event_id

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class WriteNote:
    caller: Caller
    title: str
    body: str
    # op_id for a new note; note_id for an edit.
    op_id: str = ""
    note_id: str = ""


@dataclass(frozen=True)
class PostNotice:
    caller: Caller
    op_id: str
    title: str
    body: str
    # A team id or "all"; empty = the supervisor's own team.
    audience: str = ""


@dataclass(frozen=True)
class NoticeItem:
    notice: Notice
    read_at: datetime | None


@dataclass(frozen=True)
class NoticeList:
    items: tuple[NoticeItem, ...]
    unread: int


def _ms(now: Callable[[], datetime]) -> datetime:
    """The clock at the store's precision (milliseconds), so a replay answers the same times."""
    at = now()
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _required_op(op_id: str) -> None:
    if not op_id:
        raise InvalidArgument("op_id is required", field="op_id")


def create_note(
    cmd: WriteNote, *, notes: NoteStore, publisher: EventPublisher, now: Callable[[], datetime] = now_utc
) -> Note:
    """A private note; the id comes from the author and op_id, so a replay answers the first note."""
    _required_op(cmd.op_id)
    at = _ms(now)
    note = Note(
        id="n-" + event_id("note", cmd.caller.id, cmd.op_id),
        author_id=cmd.caller.id,
        title=assistant.text(cmd.title, "title", MAX_TITLE, required=False),
        body=assistant.text(cmd.body, "body", MAX_BODY),
        created_at=at,
        updated_at=at,
    )
    if not notes.insert(note):
        note = assistant.ensure_author(cmd.caller, notes.get(note.id), note.id)
    publisher.publish(events.note_written(note, "created"))
    return note


def list_notes(caller: Caller, *, notes: NoteStore) -> list[Note]:
    """The caller's own notes, newest change first; nobody reads another's notebook."""
    return notes.of_author(caller.id)


def update_note(
    cmd: WriteNote, *, notes: NoteStore, publisher: EventPublisher, now: Callable[[], datetime] = now_utc
) -> Note:
    title = assistant.text(cmd.title, "title", MAX_TITLE, required=False)
    body = assistant.text(cmd.body, "body", MAX_BODY)
    for _ in range(MAX_ATTEMPTS):
        current = assistant.ensure_author(cmd.caller, notes.get(cmd.note_id), cmd.note_id)
        changed = dataclasses.replace(current, title=title, body=body, updated_at=_ms(now), version=current.version + 1)
        if notes.save_if_version(changed, current.version):
            publisher.publish(events.note_written(changed, "updated"))
            return changed
    raise RuntimeError(f"note {cmd.note_id} kept changing")


def delete_note(caller: Caller, note_id: str, *, notes: NoteStore, publisher: EventPublisher) -> None:
    note = assistant.ensure_author(caller, notes.get(note_id), note_id)
    notes.delete(note_id)
    publisher.publish(events.note_written(note, "deleted"))


def post_notice(
    cmd: PostNotice, *, notices: NoticeStore, publisher: EventPublisher, now: Callable[[], datetime] = now_utc
) -> Notice:
    """P-001-1: a supervisor to their team, an admin to a team or everyone; idempotent by op_id."""
    _required_op(cmd.op_id)
    notice = Notice(
        id="nt-" + event_id("notice", cmd.caller.id, cmd.op_id),
        author_id=cmd.caller.id,
        audience=assistant.notice_audience(cmd.caller, cmd.audience),
        title=assistant.text(cmd.title, "title", MAX_TITLE),
        body=assistant.text(cmd.body, "body", MAX_BODY),
        sent_at=_ms(now),
    )
    if not notices.insert(notice):
        notice = notices.get(notice.id) or notice
    publisher.publish(events.notice_posted(notice))
    return notice


def list_notices(caller: Caller, *, notices: NoticeStore) -> NoticeList:
    """Notices that reach the caller, newest first, each with the caller's read time; the unread count."""
    found = notices.all() if caller.is_admin else notices.for_audiences({EVERYONE, caller.team_id} - {""})
    reads = {r.notice_id: r.read_at for r in (notices.read_receipt(n.id, caller.id) for n in found) if r}
    items = tuple(NoticeItem(n, reads.get(n.id)) for n in found)
    return NoticeList(items, sum(1 for i in items if i.read_at is None))


def read_notice(
    caller: Caller,
    notice_id: str,
    *,
    notices: NoticeStore,
    publisher: EventPublisher,
    now: Callable[[], datetime] = now_utc,
) -> NoticeRead:
    """The caller's read receipt (the first one is kept); a notice not for the caller does not exist."""
    notice = _readable(caller, notice_id, notices)
    receipt = notices.mark_read(NoticeRead(notice.id, caller.id, _ms(now)))
    publisher.publish(events.notice_read(receipt))
    return receipt


def notice_receipts(caller: Caller, notice_id: str, *, notices: NoticeStore) -> list[NoticeRead]:
    """Who read a notice and when: its author and admins only."""
    notice = _readable(caller, notice_id, notices)
    if not (caller.is_admin or caller.id == notice.author_id):
        raise NoticeNotAllowed(notice_id=notice_id)
    return notices.receipts(notice.id)


def _readable(caller: Caller, notice_id: str, notices: NoticeStore) -> Notice:
    notice = notices.get(notice_id)
    if notice is None or not assistant.reads_notice(caller, notice):
        raise NoticeNotFound(notice_id=notice_id)
    return notice
