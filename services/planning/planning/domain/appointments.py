"""Appointments with customers (P-003-3, P-003-4, P-003-5). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from planning.domain.errors import InvalidAppointment

# P-003-4: book at least a day ahead; shorter notice is allowed but flagged.
NOTICE = timedelta(days=1)
MIN_MINUTES, MAX_MINUTES = 5, 480
MAX_PURPOSE = 500
SHORT_NOTICE = "short_notice"


@dataclass(frozen=True)
class Appointment:
    id: str
    manager_id: str
    team_id: str
    customer_id: str
    booked_at: datetime
    scheduled_at: datetime
    duration_min: int
    purpose: str
    # The company-local date of scheduled_at (YYYY-MM-DD), for the day's list.
    date: str


def check_appointment(booked_at: datetime, scheduled_at: datetime, duration_min: int, purpose: str) -> list[str]:
    """Refuse what cannot be right (422, naming the field); answer the warnings of what is only unwise."""
    if scheduled_at <= booked_at:
        raise InvalidAppointment("scheduled_at must be in the future", field="scheduled_at")
    if not MIN_MINUTES <= duration_min <= MAX_MINUTES:
        raise InvalidAppointment(f"duration_min must be {MIN_MINUTES}–{MAX_MINUTES}", field="duration_min")
    if not purpose.strip() or len(purpose.strip()) > MAX_PURPOSE:
        raise InvalidAppointment(f"purpose is required, at most {MAX_PURPOSE} characters", field="purpose")
    return warnings_for(booked_at, scheduled_at)


def warnings_for(booked_at: datetime, scheduled_at: datetime) -> list[str]:
    """P-003-4: booked less than a day ahead → `short_notice` (a warning, never a refusal)."""
    return [SHORT_NOTICE] if scheduled_at - booked_at < NOTICE else []
