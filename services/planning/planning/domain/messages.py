"""Information interaction (§1.7): message threads on four channels, with per-reader read state. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from baifang_common.context import Caller
from planning.domain.errors import InvalidText, ThreadNotFound

MAX_PARTICIPANTS = 50


class Channel(StrEnum):
    RETAIL_CUSTOMER = "retail_customer"
    MONOPOLY = "monopoly"
    LOGISTICS = "logistics"
    PEER = "peer"


@dataclass(frozen=True)
class Thread:
    id: str
    channel: Channel
    subject: str
    participants: tuple[str, ...]
    created_by: str
    created_at: datetime
    last_message_at: datetime


@dataclass(frozen=True)
class Message:
    id: str
    thread_id: str
    author_id: str
    text: str
    sent_at: datetime


def channel_of(value: str) -> Channel:
    try:
        return Channel(value)
    except ValueError as exc:
        raise InvalidText("channel must be one of " + ", ".join(c.value for c in Channel), field="channel") from exc


def participants_of(caller: Caller, others: list[str]) -> tuple[str, ...]:
    """The caller and the named people, each once, in the order given."""
    people = tuple(dict.fromkeys([caller.id, *(p.strip() for p in others if p.strip())]))
    if len(people) < 2 or len(people) > MAX_PARTICIPANTS:
        raise InvalidText(f"name 1 to {MAX_PARTICIPANTS - 1} other participants", field="participants")
    return people


def ensure_participant(caller: Caller, thread: Thread | None, thread_id: str) -> Thread:
    """Only participants read or post; to anyone else the thread does not exist."""
    if thread is None or caller.id not in thread.participants:
        raise ThreadNotFound(thread_id=thread_id)
    return thread
