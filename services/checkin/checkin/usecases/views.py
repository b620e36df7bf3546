"""Supervisor views of checkin's own data: the team's live positions, a manager's day, a team's day.

The data is checkin's (Redis positions, track chunks, check-ins, tracking gaps); the rules are
pure (domain/track_view.py). Who may read: a supervisor their own team, an admin any team, a
manager only their own track.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from baifang_common.context import Caller
from baifang_common.errors import InvalidArgument
from baifang_common.timeutil import parse_ts, utc_key
from checkin.adapters.day_reader import DayReader
from checkin.adapters.live_positions import LivePosition, LivePositions
from checkin.domain.errors import NotYourTeam, ViewNotAllowed
from checkin.domain.track_view import (
    Stop,
    TrackFix,
    Travel,
    ViewRules,
    day_bounds_ms,
    is_stale,
    simplify,
    stops,
    travel,
)

SUSPECT = "suspect"


def team_to_read(caller: Caller, requested_team: str) -> str:
    """A supervisor reads their own team, an admin the team it names; anyone else is refused."""
    if caller.is_supervisor:
        if requested_team and requested_team != caller.team_id:
            raise NotYourTeam(team_id=requested_team)
        return caller.team_id
    if caller.is_admin:
        if not requested_team:
            raise InvalidArgument("team_id is required for an admin", field="team_id")
        return requested_team
    raise ViewNotAllowed(role=caller.role)


# --- live positions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberPosition:
    position: LivePosition
    age_s: float
    stale: bool
    visit: dict[str, Any] | None


def get_team_positions(
    caller: Caller, team_id: str, *, live: LivePositions, rules: ViewRules, now_ms: int | None = None
) -> tuple[str, list[MemberPosition]]:
    """Each member's newest fix with its age and staleness, and their newest check-in (Redis only)."""
    team = team_to_read(caller, team_id)
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    found = live.team(team)
    return team, [
        MemberPosition(
            position=p,
            age_s=max(0.0, (now - p.ms) / 1000),
            stale=is_stale(p.ms, now, rules),
            visit=found.visits.get(p.manager_id),
        )
        for p in found.positions
    ]


def remember_current_visit(event: Any, *, live: LivePositions) -> None:
    """A recorded check-in becomes its manager's current visit on the live map, unless a newer one is."""
    at = utc_key(parse_ts(event.client_ts, "client_ts", naive_zone=UTC))
    live.remember_visit(
        event.team_id,
        event.manager_id,
        {
            "visit_id": event.visit_id,
            "customer_id": event.customer_id,
            "checkin_id": event.checkin_id,
            "verdict": event.verdict,
            "verdict_reason": event.verdict_reason,
            "at": at,
        },
    )


# --- a manager's day --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackDay:
    manager_id: str
    date: str
    points: list[TrackFix]  # simplified unless asked raw
    raw_count: int
    travel: Travel
    stops: list[Stop]
    places: list[str]  # per stop: the customer checked in at during it, or ''
    checkins: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    simplified: bool
    tolerance_m: float


@dataclass(frozen=True)
class TrackQuery:
    caller: Caller
    manager_id: str
    date: str
    simplify: bool = True
    tolerance_m: float = 10.0


def _may_read_track(caller: Caller, manager_id: str, team_of_day: str) -> None:
    if caller.is_admin or (caller.is_manager and caller.id == manager_id):
        return
    if caller.is_supervisor:
        if team_of_day and team_of_day != caller.team_id:
            raise NotYourTeam(manager_id=manager_id)
        return
    raise ViewNotAllowed("a manager reads only their own track", manager_id=manager_id)


def checkin_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "checkin_id": str(doc.get("_id", "")),
        "visit_id": doc.get("visit_id", ""),
        "customer_id": doc.get("customer_id", ""),
        "at": doc.get("client_ts", ""),
        "lat": doc.get("lat", 0.0),
        "lon": doc.get("lon", 0.0),
        "distance_m": doc.get("distance_m", -1.0),
        "verdict": doc.get("verdict", ""),
        "verdict_reason": doc.get("verdict_reason", ""),
        "offline": bool(doc.get("offline", False)),
        "mock_location": bool(doc.get("mock_location", False)),
        "late": bool(doc.get("late", False)),
    }


def gap_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {"start_ms": int(doc["start_ms"]), "end_ms": int(doc["end_ms"]), "minutes": float(doc.get("minutes", 0))}


def place_of(stop: Stop, checkins: Sequence[dict[str, Any]]) -> str:
    """The customer of a check-in made during the stop (a minute of slack either side), or ''."""
    for doc in checkins:
        try:
            at = parse_ts(str(doc.get("client_ts") or ""), "client_ts").timestamp() * 1000
        except InvalidArgument:
            continue
        if stop.start_ms - 60_000 <= at <= stop.end_ms + 60_000:
            return str(doc.get("customer_id") or "")
    return ""


def get_track_day(query: TrackQuery, *, reader: DayReader, rules: ViewRules) -> TrackDay:
    """The day's fixes (simplified unless asked raw), distance without impossible jumps, stops,
    check-ins with verdicts and live tracking gaps."""
    checkins = reader.checkins_of(query.manager_id, query.date)
    start, end = day_bounds_ms(query.date, rules.timezone)
    points, team = reader.day(query.manager_id, start, end)
    _may_read_track(query.caller, query.manager_id, team or next((str(d.get("team_id")) for d in checkins), ""))
    shown = points
    if query.simplify:
        shown = [points[i] for i in simplify(points, query.tolerance_m)]
    found = stops(points, rules.stop_min_s, rules.stop_radius_m)
    return TrackDay(
        manager_id=query.manager_id,
        date=query.date,
        points=shown,
        raw_count=len(points),
        travel=travel(points, rules.max_speed_mps),
        stops=found,
        places=[place_of(stop, checkins) for stop in found],
        checkins=[checkin_view(doc) for doc in checkins],
        gaps=[gap_view(doc) for doc in reader.gaps_of(query.manager_id, query.date)],
        simplified=query.simplify,
        tolerance_m=query.tolerance_m if query.simplify else 0.0,
    )


# --- a team's day (attendance facts) ------------------------------------------------------------


@dataclass
class ManagerDay:
    """What checkin knows of a manager's working day."""

    manager_id: str
    first_fix_ms: int | None = None
    last_fix_ms: int | None = None
    points: int = 0
    distance_m: float = 0.0
    checkins: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def suspect(self) -> list[dict[str, Any]]:
        return [c for c in self.checkins if c["verdict"] != "ok"]


def manager_day(manager_id: str, points: Sequence[TrackFix], rules: ViewRules) -> ManagerDay:
    day = ManagerDay(manager_id)
    if points:
        day.first_fix_ms, day.last_fix_ms, day.points = points[0].ms, points[-1].ms, len(points)
        day.distance_m = travel(points, rules.max_speed_mps).distance_m
    return day


def get_team_day(
    caller: Caller, team_id: str, date: str, *, reader: DayReader, live: LivePositions, rules: ViewRules
) -> tuple[str, list[ManagerDay]]:
    """Per manager with a fix or a check-in that day: first and last fix, distance, check-ins, gaps.

    The team's members are those with a live position (the last 7 days), a check-in or a gap that
    day: the chunks are then read by bucket id, never by scanning a date's chunks company-wide."""
    team = team_to_read(caller, team_id)
    checkins, gaps = reader.team_day(team, date)
    candidates = {*live.members(team), *(str(d["manager_id"]) for d in (*checkins, *gaps))}
    start, end = day_bounds_ms(date, rules.timezone)
    fixes, teams = reader.days(sorted(candidates), start, end)
    managers = {m for m in fixes if teams.get(m) == team} | {str(d["manager_id"]) for d in checkins}
    days = {m: manager_day(m, fixes.get(m, []), rules) for m in sorted(managers)}
    for doc in checkins:
        days[str(doc["manager_id"])].checkins.append(checkin_view(doc))
    for doc in gaps:
        if str(doc["manager_id"]) in days:
            days[str(doc["manager_id"])].gaps.append(gap_view(doc))
    return team, list(days.values())
