"""Visit assistant (§1.5.11): the private notebook and notices with read receipts (P-001-1). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from planning.domain.errors import InvalidText, NoteNotFound, NoticeNotAllowed

# A notice for every team.
EVERYONE = "all"
MAX_TITLE = 200
MAX_BODY = 10_000


@dataclass(frozen=True)
class Note:
    id: str
    author_id: str
    title: str
    body: str
    created_at: datetime
    updated_at: datetime
    version: int = 0


@dataclass(frozen=True)
class Notice:
    id: str
    author_id: str
    # A team id, or EVERYONE.
    audience: str
    title: str
    body: str
    sent_at: datetime


@dataclass(frozen=True)
class NoticeRead:
    notice_id: str
    reader_id: str
    read_at: datetime


def text(value: str, field: str, limit: int, required: bool = True) -> str:
    """Trimmed text within `limit` characters; empty only when not required (400 otherwise)."""
    kept = value.strip()
    if required and not kept:
        raise InvalidText(f"{field} is required", field=field)
    if len(kept) > limit:
        raise InvalidText(f"{field} is longer than {limit} characters", field=field)
    return kept


def ensure_author(caller: Caller, note: Note | None, note_id: str) -> Note:
    """Only the author ever sees a note; to anyone else it does not exist (no leak, 404)."""
    if note is None or note.author_id != caller.id:
        raise NoteNotFound(note_id=note_id)
    return note


def notice_audience(caller: Caller, requested: str) -> str:
    """Supervisors send to their own team (the default); admins name a team or everyone."""
    if caller.is_admin and requested:
        return requested
    if caller.is_supervisor and caller.team_id and requested in ("", caller.team_id):
        return caller.team_id
    raise NoticeNotAllowed(audience=requested or "(own team)")


def reads_notice(caller: Caller, notice: Notice) -> bool:
    """A notice reaches everyone or one team; its author and admins see it too."""
    if caller.is_admin or caller.id == notice.author_id or notice.audience == EVERYONE:
        return True
    return bool(caller.team_id) and caller.team_id == notice.audience
