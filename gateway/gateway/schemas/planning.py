"""Request bodies of the planning routes."""

from __future__ import annotations

from pydantic import Field

from gateway.schemas.common import ApiModel, ClientTs, WriteModel


class CompleteTaskRequest(WriteModel):
    note: str = Field(default="", max_length=2000)
    client_ts: ClientTs


class CompleteVisitRequest(WriteModel):
    summary: str = Field(default="", max_length=4000)
    next_steps: str = Field(default="", max_length=4000)
    client_ts: ClientTs


class UnplannedTaskRequest(WriteModel):
    text: str = Field(min_length=1, max_length=2000)
    # The client's time of the entry; the server's receive time when absent.
    client_ts: ClientTs | None = None


class TemporaryVisitRequest(WriteModel):
    """Change customer: the scanned code (or the chosen customer) and base-library task codes."""

    qr: str = Field(default="", max_length=512)
    customer_id: str = Field(default="", max_length=128)
    task_codes: list[str] = Field(default_factory=list, max_length=100)


class AppointmentRequest(WriteModel):
    """P-003-3: when, how long and why; booked less than a day ahead is warned, not refused."""

    customer_id: str = Field(min_length=1, max_length=128)
    scheduled_at: ClientTs
    duration_min: int = Field(ge=1, le=1440)
    purpose: str = Field(min_length=1, max_length=500)


class AssignmentRequest(WriteModel):
    manager_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)
    # Admins only: another team; supervisors stay within theirs.
    team_id: str = Field(default="", max_length=64)
    effective_from: ClientTs | None = None


class CustomerFileEdit(ApiModel):
    """An edit of the customer file, made on the version read (409 version_conflict when it moved on)."""

    version: int = Field(strict=True, ge=0, le=10**9)
    route_id: str | None = Field(default=None, max_length=64)
    area_id: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    short_code: str | None = Field(default=None, max_length=32)
