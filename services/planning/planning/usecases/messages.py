"""Information interaction (§1.7): threads on four channels, posting, unread counts, read state. Online only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import now_utc
from planning.adapters.message_store import MessageStore
from planning.domain import messages as rules
from planning.domain.assistant import MAX_BODY, MAX_TITLE, text
from planning.domain.messages import Message, Thread
from planning.usecases.events import event_id


@dataclass(frozen=True)
class StartThread:
    caller: Caller
    op_id: str
    channel: str
    subject: str
    participants: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class PostMessage:
    caller: Caller
    op_id: str
    thread_id: str
    text: str


@dataclass(frozen=True)
class ThreadView:
    thread: Thread
    unread: int


def _ms(now: Callable[[], datetime]) -> datetime:
    at = now()
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _op(op_id: str) -> None:
    if not op_id:
        raise InvalidArgument("op_id is required", field="op_id")


def start_thread(cmd: StartThread, *, store: MessageStore, now: Callable[[], datetime] = now_utc) -> Thread:
    """A new thread with its first message; idempotent by op_id."""
    _op(cmd.op_id)
    at = _ms(now)
    thread = Thread(
        id="th-" + event_id("thread", cmd.caller.id, cmd.op_id),
        channel=rules.channel_of(cmd.channel),
        subject=text(cmd.subject, "subject", MAX_TITLE),
        participants=rules.participants_of(cmd.caller, list(cmd.participants)),
        created_by=cmd.caller.id,
        created_at=at,
        last_message_at=at,
    )
    body = text(cmd.text, "text", MAX_BODY)
    store.add_thread(thread)
    store.post(Message("ms-" + event_id("message", cmd.caller.id, cmd.op_id), thread.id, cmd.caller.id, body, at))
    store.mark_read(thread.id, cmd.caller.id, at)
    return store.thread(thread.id) or thread


def post_message(cmd: PostMessage, *, store: MessageStore, now: Callable[[], datetime] = now_utc) -> Message:
    """A participant posts; a replayed op_id answers the first message."""
    _op(cmd.op_id)
    thread = rules.ensure_participant(cmd.caller, store.thread(cmd.thread_id), cmd.thread_id)
    message = Message(
        "ms-" + event_id("message", cmd.caller.id, cmd.op_id),
        thread.id,
        cmd.caller.id,
        text(cmd.text, "text", MAX_BODY),
        _ms(now),
    )
    if store.post(message):
        store.mark_read(thread.id, cmd.caller.id, message.sent_at)
    return store.message(message.id) or message


def list_threads(caller: Caller, channel: str, *, store: MessageStore) -> list[ThreadView]:
    """The caller's threads, latest activity first, each with the messages of others not read yet."""
    wanted = rules.channel_of(channel) if channel else None
    views = []
    for thread in store.threads_of(caller.id):
        if wanted is not None and thread.channel != wanted:
            continue
        seen = store.read_at(thread.id, caller.id)
        unread = sum(
            1 for m in store.messages_of(thread.id) if m.author_id != caller.id and (seen is None or m.sent_at > seen)
        )
        views.append(ThreadView(thread, unread))
    return views


def thread_messages(caller: Caller, thread_id: str, *, store: MessageStore) -> list[Message]:
    thread = rules.ensure_participant(caller, store.thread(thread_id), thread_id)
    return store.messages_of(thread.id)


def read_thread(
    caller: Caller, thread_id: str, *, store: MessageStore, now: Callable[[], datetime] = now_utc
) -> datetime:
    """Everything in the thread up to now counts as read by the caller."""
    thread = rules.ensure_participant(caller, store.thread(thread_id), thread_id)
    at = _ms(now)
    store.mark_read(thread.id, caller.id, at)
    return store.read_at(thread.id, caller.id) or at
