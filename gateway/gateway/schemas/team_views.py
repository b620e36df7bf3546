"""Response bodies of the supervisor views (docs/api.md "Team views"): the OpenAPI document's schemas."""

from __future__ import annotations

from pydantic import BaseModel


class CurrentVisit(BaseModel):
    visit_id: str
    customer_id: str
    checkin_id: str
    verdict: str
    verdict_reason: str
    checked_in_at: str


class MemberPosition(BaseModel):
    manager_id: str
    lat: float
    lon: float
    fix_at: str
    age_s: float
    accuracy_m: float | None
    speed_mps: float | None
    stale: bool
    visit: CurrentVisit | None


class TeamPositions(BaseModel):
    team_id: str
    as_of: str
    items: list[MemberPosition]


class TrackPoint(BaseModel):
    ts: str
    lat: float
    lon: float
    accuracy_m: float
    speed_mps: float | None


class TrackStop(BaseModel):
    lat: float
    lon: float
    start: str
    end: str
    duration_s: float
    points: int
    customer_id: str | None


class TrackCheckin(BaseModel):
    checkin_id: str
    visit_id: str
    customer_id: str
    at: str
    lat: float
    lon: float
    distance_m: float
    verdict: str
    verdict_reason: str
    offline: bool
    mock_location: bool
    late: bool


class TrackGap(BaseModel):
    start: str
    end: str
    minutes: float


class TrackDay(BaseModel):
    manager_id: str
    date: str
    simplified: bool
    tolerance_m: float
    raw_count: int
    point_count: int
    points: list[TrackPoint]
    distance_m: float
    jumps_excluded: int
    stops: list[TrackStop]
    checkins: list[TrackCheckin]
    gaps: list[TrackGap]


class SuspectCheckin(BaseModel):
    checkin_id: str
    customer_id: str
    at: str
    verdict: str
    verdict_reason: str


class AttendanceVisits(BaseModel):
    planned: int
    done: int
    checked_in: int
    missed: int
    late: int
    phone_done: int


class ManagerAttendance(BaseModel):
    manager_id: str
    first_activity: str | None
    last_activity: str | None
    time_in_field_s: float
    visits: AttendanceVisits
    distance_m: float
    checkins: int
    gaps: list[TrackGap]
    gap_minutes: float
    suspect_checkins: list[SuspectCheckin]


class TeamAttendance(BaseModel):
    team_id: str
    date: str
    items: list[ManagerAttendance]
