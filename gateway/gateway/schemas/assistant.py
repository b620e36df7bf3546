"""Request bodies of the visit assistant routes."""

from __future__ import annotations

from pydantic import Field

from gateway.schemas.common import ApiModel, OpId


class NoteRequest(ApiModel):
    # Required to create a note (a replay answers the first note); ignored on edits.
    op_id: OpId | None = None
    title: str = Field(default="", max_length=200)
    body: str = Field(min_length=1, max_length=10_000)


class NoticeRequest(ApiModel):
    op_id: OpId
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    # A team id or "all" (admins); empty = the supervisor's own team.
    audience: str = Field(default="", max_length=64)


class ContactRequest(ApiModel):
    op_id: OpId
    customer_id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=100)
    # owner | manager | clerk | payment | other
    role: str = Field(default="other", max_length=20)
    phone: str = Field(min_length=1, max_length=32)


class IssueRequest(ApiModel):
    op_id: OpId
    customer_id: str = Field(min_length=1, max_length=128)
    # request | complaint
    kind: str = Field(min_length=1, max_length=20)
    text: str = Field(min_length=1, max_length=10_000)


class IssueStatusRequest(ApiModel):
    # in_progress | resolved
    status: str = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=2000)


class WorkSummaryRequest(ApiModel):
    summary: str = Field(min_length=1, max_length=4000)
    next_day_plan: str = Field(default="", max_length=4000)


class DocumentRequest(ApiModel):
    op_id: OpId
    # law | minutes | brand_codes | work_method
    category: str = Field(min_length=1, max_length=20)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000)


class ThreadRequest(ApiModel):
    op_id: OpId
    # retail_customer | monopoly | logistics | peer
    channel: str = Field(min_length=1, max_length=20)
    subject: str = Field(min_length=1, max_length=200)
    participants: list[str] = Field(min_length=1, max_length=49)
    text: str = Field(min_length=1, max_length=10_000)


class MessageRequest(ApiModel):
    op_id: OpId
    text: str = Field(min_length=1, max_length=10_000)
